"""Fetching under attack, over real sockets: internal addresses (SSRF), decompression bombs,
headers dripped one byte at a time, and passwords in feed URLs."""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipper.adapters.extract_text import decode_html
from clipper.adapters.fetch_http import FetchLimits, HttpRetriever
from clipper.cli import main
from clipper.config import load_config
from clipper.exceptions import ConfigError, DecompressionError, ExtractError, FetchError
from clipper.logic.inflate import inflate
from clipper.logic.netpolicy import Refusal, parse_network, refusal
from clipper.logic.urls import redact_url
from clipper.types import CachingInfo, FetchStatus

from .conftest import LOOPBACK, REPO, Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import run_clipper

ITEMS = [
    {"title": f"Item {n}", "link": f"http://news.example/{n}", "guid": f"g{n}"} for n in (1, 2)
]
#: 590 bytes of gzip inside gzip that inflate to 256 MiB (the issue's page)
NESTED_BOMB = gzip.compress(gzip.compress(b"\0" * (256 << 20), 9), 9)


class Listener:
    """A bare TCP server on any loopback address that records every connection it accepts and
    hands each one to ``serve`` (by default: a tiny HTTP page)."""

    def __init__(
        self, host: str, serve: Callable[[socket.socket], None] | None = None, port: int = 0
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.host, self.port = self.sock.getsockname()[:2]
        self.accepted = 0
        self.serve = serve or _page
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _loop(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.serve(conn)

    def close(self) -> None:
        self.closed.set()
        self.thread.join(2)
        self.sock.close()


def _read_request(conn: socket.socket) -> None:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def _page(conn: socket.socket) -> None:
    _read_request(conn)
    body = (
        b"<html><body><article><p>"
        + b"Internal secret text. " * 40
        + b"</p></article></body></html>"
    )
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def _drip_headers(conn: socket.socket) -> None:
    """Answer with headers that never end, one byte every 0.3 s, for up to 90 s."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    stop = time.monotonic() + 90
    while time.monotonic() < stop:
        conn.sendall(b"a")
        time.sleep(0.3)


@pytest.fixture
def internal() -> Iterator[Listener]:
    """A service on 127.0.0.2: loopback, but outside the tests' allow-list (127.0.0.1/32)."""
    listener = Listener("127.0.0.2")
    yield listener
    listener.close()


def _limits(**kwargs: object) -> FetchLimits:
    return FetchLimits(
        user_agent="t",
        allow_private_networks=(ip_network(LOOPBACK),),
        **kwargs,  # type: ignore[arg-type]
    )


def _errors(clipper) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {row.name: row.last_error for row in clipper.feed_statuses()}


# --------------------------------------------------------------------------- 1. SSRF: the rule


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", Refusal.LOOPBACK),
        ("127.0.0.2", Refusal.LOOPBACK),
        ("10.1.2.3", Refusal.PRIVATE),
        ("172.16.0.1", Refusal.PRIVATE),
        ("192.168.1.1", Refusal.PRIVATE),
        ("169.254.169.254", Refusal.LINK_LOCAL),
        ("0.0.0.0", Refusal.UNSPECIFIED),
        ("224.0.0.1", Refusal.MULTICAST),
        ("240.0.0.1", Refusal.RESERVED),
        ("100.64.0.1", Refusal.NOT_GLOBAL),
        ("::1", Refusal.LOOPBACK),
        ("::", Refusal.UNSPECIFIED),
        ("fe80::1", Refusal.LINK_LOCAL),
        ("fc00::1", Refusal.PRIVATE),
        ("ff02::1", Refusal.MULTICAST),
        ("::ffff:127.0.0.1", Refusal.LOOPBACK),
        ("::ffff:169.254.169.254", Refusal.LINK_LOCAL),
        ("::ffff:10.0.0.1", Refusal.PRIVATE),
        ("2002:7f00:1::", Refusal.LOOPBACK),  # 6to4 carrying 127.0.0.1
        ("64:ff9b::a9fe:a9fe", Refusal.LINK_LOCAL),  # NAT64 carrying 169.254.169.254
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_only_global_unicast_addresses_are_allowed(address: str, expected: Refusal | None) -> None:
    assert refusal(ipaddress.ip_address(address)) is expected


def test_the_allow_list_opens_exactly_its_networks() -> None:
    allowed = (
        parse_network("127.0.0.1/32"),
        parse_network("10.0.0.0/8"),
        parse_network("fd00::/8"),
    )
    assert refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("10.9.8.7"), allowed) is None
    assert refusal(ipaddress.ip_address("fd12::1"), allowed) is None
    assert refusal(ipaddress.ip_address("127.0.0.2"), allowed) is Refusal.LOOPBACK
    assert refusal(ipaddress.ip_address("192.168.0.1"), allowed) is Refusal.PRIVATE
    for bad in ("10.0.0.1/8", "localhost", "10.0.0.0/33", 8):
        with pytest.raises(ValueError, match="CIDR"):
            parse_network(bad)


def test_a_bad_cidr_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, settings={"fetch": {"allow_private_networks": ["10.0.0.0/8", "10.0.0.1/8"]}}
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    (problem,) = caught.value.problems
    line = path.read_text().splitlines().index("  - 10.0.0.1/8") + 1
    assert problem.startswith(f"{path}:{line}: fetch.allow_private_networks[1]: ")
    assert "expected a network in CIDR form such as 10.0.0.0/8, got '10.0.0.1/8'" in problem


# --------------------------------------------------------------------------- 1. SSRF: sockets


def test_a_redirect_to_the_metadata_address_is_refused(tmp_path: Path, server: FeedServer) -> None:
    url = server.route(
        "/feed", Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    _, clipper = build(write_config(tmp_path, feeds={"x": [{"url": url, "name": "F"}]}), Clock())
    with clipper:
        assert clipper.update_feeds().count(FetchStatus.ERROR) == 1
        error = _errors(clipper)["F"]
    assert error is not None
    assert error.startswith("refused to connect to 169.254.169.254: a link-local address")


def test_a_redirect_to_another_loopback_address_never_connects(
    server: FeedServer, internal: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the tests allow 127.0.0.1/32 only: 127.0.0.2 stays refused, by address or by name
    real = socket.getaddrinfo

    def resolve(host: str, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if host == "intranet.test":
            host = "127.0.0.2"
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    by_address = server.route("/a", Reply(302, headers={"Location": internal.url("/feed")}))
    by_name = server.route(
        "/n", Reply(302, headers={"Location": f"http://intranet.test:{internal.port}/feed"})
    )
    retriever = HttpRetriever(_limits())
    try:
        for url, shown in ((by_address, "127.0.0.2"), (by_name, "intranet.test (127.0.0.2)")):
            with pytest.raises(FetchError) as caught:
                retriever.retrieve(url, CachingInfo(), None)
            assert str(caught.value) == (
                f"refused to connect to {shown}: a loopback address "
                "(fetch.allow_private_networks can allow it)"
            )
    finally:
        retriever.close()
    time.sleep(0.3)
    assert internal.accepted == 0
    assert len(server.hits("/a")) == 1 and len(server.hits("/n")) == 1


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DNS rebinding: the first answer is allowed, every later one internal; a guard that resolved
    # again to connect would reach 127.0.0.2 (bound second, on the free port 127.0.0.1 was given:
    # nothing else listens on 127.0.0.2, so the port is free there too)
    public = Listener("127.0.0.1")
    internal = Listener("127.0.0.2", port=public.port)
    real = socket.getaddrinfo
    answers: list[str] = []

    def resolve(host: str, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if host == "rebind.test":
            host = "127.0.0.1" if not answers else "127.0.0.2"
            answers.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    retriever = HttpRetriever(_limits())
    try:
        page = retriever.get_page(f"http://rebind.test:{internal.port}/", None)
    finally:
        retriever.close()
        public.close()
        internal.close()
    assert b"Internal secret text" in (page.content or b"")
    assert answers == ["127.0.0.1"] and public.accepted == 1 and internal.accepted == 0


def test_without_the_allow_list_loopback_feeds_are_refused_but_local_files_work(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/feed", Reply(200, rss(ITEMS)))
    local = tmp_path / "saved.xml"
    local.write_bytes(rss(ITEMS, title="Saved"))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "remote"}, {"url": str(local), "name": "saved"}]},
        settings={"fetch": {"allow_private_networks": []}},
    )
    _, clipper = build(path, Clock())
    with clipper:
        summary = clipper.update_feeds()
        errors = _errors(clipper)
    assert summary.count(FetchStatus.OK) == 1 and summary.new_articles == 2
    assert errors["saved"] is None
    assert (errors["remote"] or "").startswith("refused to connect to 127.0.0.1: a loopback")
    assert server.requests == []


def test_full_text_is_never_fetched_from_an_internal_host(
    tmp_path: Path, server: FeedServer, internal: Listener
) -> None:
    items = [{"title": "Inside job", "link": internal.url("/admin"), "guid": "1"}]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(tmp_path, feeds={"x": [{"url": url, "name": "F", "full_text": True}]})
    _, clipper = build(path, Clock())
    with clipper:
        summary = clipper.update_feeds()
        (article,) = clipper.storage.articles()
    assert (summary.extracted, summary.extract_failed) == (0, 1)
    assert article.full_text is None
    assert article.extract_error and "refused to connect to 127.0.0.2" in article.extract_error
    assert internal.accepted == 0


def test_discover_lists_only_http_links_to_allowed_addresses(
    tmp_path: Path, server: FeedServer, internal: Listener
) -> None:
    page = (
        "<html><head>"
        "<link rel='alternate' type='application/rss+xml' href='file:///etc/passwd'>"
        f"<link rel='alternate' type='application/rss+xml' href='{internal.url('/feed')}'>"
        "<link rel='alternate' type='application/rss+xml' href='http://169.254.169.254/feed'>"
        "<link rel='alternate' type='application/atom+xml' href='/news.atom' title='News'>"
        "</head><body></body></html>"
    ).encode()
    url = server.route("/page", Reply(200, page, {"Content-Type": "text/html"}))
    result = CliRunner().invoke(
        main, ["--config", str(write_config(tmp_path)), "feeds", "discover", url]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{server.base}/news.atom\tatom\tNews"]
    assert "refused file:///etc/passwd: not an http(s) URL" in result.stderr
    assert "refused to connect to 127.0.0.2: a loopback address" in result.stderr
    assert "refused to connect to 169.254.169.254: a link-local address" in result.stderr
    assert internal.accepted == 0


def test_discovered_titles_carry_no_terminal_control_codes(
    tmp_path: Path, server: FeedServer
) -> None:
    # a hostile page's link title must not retitle or clear the operator's terminal
    page = (
        b"<html><head><link rel='alternate' type='application/rss+xml' href='/a.rss' "
        b"title='News\x1b]0;pwned\x07\x1b[2J'></head><body>"
        b"<a href='/b/feed'>More\x1b[31m news</a></body></html>"
    )
    url = server.route("/page", Reply(200, page, {"Content-Type": "text/html"}))
    result = CliRunner().invoke(
        main, ["--config", str(write_config(tmp_path)), "feeds", "discover", url]
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert result.stdout.splitlines() == [
        f"{server.base}/a.rss\trss\tNews]0;pwned[2J",
        f"{server.base}/b/feed\tlink\tMore[31m news",
    ]


# --------------------------------------------------------------------------- 2. bombs


def test_bounded_inflate_refuses_bombs_and_keeps_ordinary_bodies() -> None:
    text = b"<p>ordinary page</p>" * 100
    assert inflate(gzip.compress(gzip.compress(text)), 10_000) == text
    assert inflate(zlib.compress(text), 10_000, ["deflate"]) == text
    assert inflate(gzip.compress(text) + gzip.compress(b"!"), 10_000) == text + b"!"
    assert len(NESTED_BOMB) < 700
    with pytest.raises(DecompressionError) as caught:
        inflate(NESTED_BOMB, 15 << 20)
    assert caught.value.over_limit
    with pytest.raises(DecompressionError, match="unsupported Content-Encoding 'br'"):
        inflate(text, 10_000, ["br"])
    with pytest.raises(ExtractError, match="over the 15,728,640-byte limit after decompression"):
        decode_html(NESTED_BOMB)
    with pytest.raises(ExtractError, match="corrupt"):
        decode_html(gzip.compress(text)[:-12])


def _run_measured(args: list[str], timeout: float = 120) -> tuple[int, str, int]:
    """Run the CLI in a fresh interpreter; return its exit code, output and how much its peak
    memory grew (bytes) from just before the command to the end."""
    script = (
        "import resource, sys\n"
        "from clipper.cli import main\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(f'PEAK-GROWTH {(after - before) * 1024}', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1,localhost"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    growth = int(output.rsplit("PEAK-GROWTH ", 1)[1].split()[0])
    return done.returncode, output, growth


def test_extract_refuses_a_nested_gzip_page_with_bounded_memory(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/bomb", Reply(200, NESTED_BOMB, {"Content-Type": "text/html"}))
    code, output, growth = _run_measured(["--config", str(write_config(tmp_path)), "extract", url])
    assert code == 1, output
    assert "over the 15,728,640-byte limit (after decompression)" in output
    assert growth < 300 << 20, f"peak memory grew by {growth:,} bytes"
    local = tmp_path / "bomb.html.gz"
    local.write_bytes(NESTED_BOMB)
    result = CliRunner().invoke(
        main, ["--config", str(write_config(tmp_path)), "extract", str(local)]
    )
    assert result.exit_code == 1 and "15,728,640-byte limit" in result.output


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()


def test_gzip_feeds_over_the_cap_are_refused_without_inflating_them(
    tmp_path: Path, server: FeedServer
) -> None:
    body = _gzip_of_zeros(256 << 20)  # 256 MiB of zeros in about 250 kB
    feeds = [
        {
            "url": server.route(
                f"/gz{n}",
                Reply(200, body, {"Content-Encoding": "gzip", "Content-Type": "text/xml"}),
            ),
            "name": f"gz{n}",
        }
        for n in range(8)
    ]
    feeds.append(
        {
            "url": server.route(
                "/fine", Reply(200, gzip.compress(rss(ITEMS)), {"Content-Encoding": "gzip"})
            ),
            "name": "fine",
        }
    )
    path = write_config(
        tmp_path,
        feeds={"x": feeds},
        settings={"fetch": {"max_body_size": "1MiB", "per_host_concurrency": 8}},
    )
    code, output, growth = _run_measured(["--config", str(path), "fetch", "--once"])
    assert "feeds: 1 ok, 0 not modified, 8 failed; new articles: 2" in output, output
    assert output.count("over the 1,048,576-byte limit (after decompression)") == 8
    assert growth < 150 << 20, f"peak memory grew by {growth:,} bytes"


# --------------------------------------------------------------------------- 3. slow headers


@pytest.fixture
def dripping() -> Iterator[Listener]:
    listener = Listener("127.0.0.1", _drip_headers)
    yield listener
    listener.close()


def test_headers_dripped_byte_by_byte_fail_at_the_total_timeout(dripping: Listener) -> None:
    retriever = HttpRetriever(_limits(connect_timeout=1, read_timeout=1.5, total_timeout=2))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"timed out: the response took over 2s"):
            retriever.retrieve(dripping.url("/feed"), CachingInfo(), None)
    finally:
        retriever.close()
    assert time.monotonic() - started < 15  # a guard against hanging, not a timing assertion


def test_run_once_finishes_despite_a_dripping_feed(
    tmp_path: Path, server: FeedServer, dripping: Listener
) -> None:
    good = server.route("/good", Reply(200, rss(ITEMS)))
    path = write_config(
        tmp_path,
        feeds={
            "x": [{"url": good, "name": "good"}, {"url": dripping.url("/feed"), "name": "drip"}]
        },
        settings={"fetch": {"read_timeout": "1.5s", "total_timeout": "2s"}},
    )
    started = time.monotonic()
    result = CliRunner().invoke(main, ["--config", str(path), "run", "--once"])
    assert time.monotonic() - started < 45, result.output  # not hanging on the dripping feed
    assert "feeds: 1 ok, 0 not modified, 1 failed; new articles: 2" in result.output
    assert "timed out: the response took over 2s" in result.output


# --------------------------------------------------------------------------- 8. secrets


def test_redact_url_hides_passwords_and_tokens_only() -> None:
    assert redact_url("https://user:pass@host/feed") == "https://user:***@host/feed"
    assert redact_url("https://TOKEN@host/feed") == "https://***@host/feed"
    assert (
        redact_url("network error fetching http://a:b@h:8/x?q=a@b, then http://h/p:q@r")
        == "network error fetching http://a:***@h:8/x?q=a@b, then http://h/p:q@r"
    )
    assert redact_url("file:///srv/feeds/a.xml") == "file:///srv/feeds/a.xml"


def test_feed_passwords_appear_in_no_output_or_log(tmp_path: Path, server: FeedServer) -> None:
    server.route("/private", Reply(500, b"oops"))
    server.route("/working", Reply(200, rss(ITEMS)))
    secret = "s3cret-Pa55"
    failing = server.url("/private").replace("http://", f"http://reader:{secret}@")
    working = server.url("/working").replace("http://", f"http://reader:{secret}@")
    closed = f"http://reader:{secret}@127.0.0.1:9/feed"
    path = write_config(
        tmp_path,
        feeds={
            "x": [
                {"url": failing, "name": "private"},
                {"url": working, "name": "working"},
                {"url": closed, "name": "closed"},
                {"url": closed, "name": "closed twice"},
            ]
        },
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1,localhost"}
    outputs, stdouts = [], []
    for command in (
        ["-vv", "fetch", "--once"],
        ["feeds", "status"],
        ["feeds", "status", "--json"],
        ["check"],
    ):
        done = run_clipper(path, *command, env={**env, "COLUMNS": "300"})
        outputs.append(done.stdout + done.stderr)
        stdouts.append(done.stdout)
    everything = "\n".join(outputs)
    assert secret not in everything
    fetch, status, as_json, check = outputs
    assert "<http://reader:***@127.0.0.1:9/feed>: network error fetching" in fetch
    assert "HTTP 500" in fetch and "feed http://reader:***@127.0.0.1:" in fetch  # the log line
    assert ": ok, " in fetch  # the working feed's log line is redacted too
    assert "http://reader:***@127.0.0.1:9/feed" in status
    rows = [json.loads(line) for line in stdouts[2].splitlines()]
    assert {row["url"] for row in rows} >= {closed.replace(secret, "***")}
    assert "duplicate feed http://reader:***@127.0.0.1:9/feed" in check
    # the stored URL keeps its credentials: the server was asked with them
    assert server.hits("/private")[0].headers["authorization"].startswith("Basic ")
