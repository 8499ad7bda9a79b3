"""A hostile feed host against the fetch guard, over real sockets: a deadline stretched over
redirect hops, Content-Encoding chains, passwords that survive redaction, and environment
proxies."""

from __future__ import annotations

import base64
import gzip
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipper.adapters.fetch_http import COOKIES_PER_DOMAIN, FetchLimits, HttpRetriever
from clipper.cli import main
from clipper.exceptions import FetchError
from clipper.logic.urls import redact_url
from clipper.types import CachingInfo

from .conftest import REPO, Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import run_clipper
from .test_fetch_guard import Listener, _limits

FEED = b"<rss version='2.0'><channel><title>T</title></channel></rss>"


def _request_path(conn: socket.socket) -> str:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b" ", 2)[1].decode() if data.count(b" ") >= 2 else "/"


def _answer(conn: socket.socket, head: bytes, body: bytes = b"") -> None:
    conn.sendall(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)


@pytest.fixture
def listen() -> Iterator[Callable[[Callable[[socket.socket], None]], Listener]]:
    started: list[Listener] = []

    def start(serve: Callable[[socket.socket], None]) -> Listener:
        started.append(Listener("127.0.0.1", serve))
        return started[-1]

    yield start
    for listener in started:
        listener.close()


# --------------------------------------------------------------------------- 3. deadline


def _slow_hops(conn: socket.socket) -> None:
    """Each of /0 ... /5 drips its headers for about 1.2 s, then redirects to the next."""
    hop = int(_request_path(conn).strip("/") or 0)
    if hop >= 5:
        _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n", FEED)
        return
    conn.sendall(b"HTTP/1.1 302 Found\r\nX-Slow: ")
    for _ in range(6):
        time.sleep(0.2)
        conn.sendall(b"a")
    _answer(conn, f"\r\nLocation: /{hop + 1}\r\n".encode())


def test_redirect_hops_share_one_total_timeout(listen) -> None:  # type: ignore[no-untyped-def]
    # every hop is quicker than total_timeout, all of them together are not
    host = listen(_slow_hops)
    retriever = HttpRetriever(_limits(connect_timeout=1, read_timeout=1, total_timeout=2))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"timed out: the response took over 2s"):
            retriever.retrieve(host.url("/0"), CachingInfo(), None)
    finally:
        retriever.close()
    assert time.monotonic() - started < 15  # a guard against hanging, not a timing assertion
    assert host.accepted < 5


# --------------------------------------------------------------------------- 2. encodings


def test_a_long_content_encoding_chain_is_refused(listen) -> None:  # type: ignore[no-untyped-def]
    # each gzip layer costs a decoder with its own window: thousands of them are a memory bomb
    # of a few kilobytes, so only a handful of stacked encodings are decoded
    layers = 2000
    body = FEED
    for _ in range(layers):
        body = gzip.compress(body, 1)
    encoding = ", ".join(["gzip"] * layers).encode()

    def serve(conn: socket.socket) -> None:
        _request_path(conn)
        _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Encoding: " + encoding + b"\r\n", body)

    def stacked(conn: socket.socket) -> None:
        _request_path(conn)
        twice = gzip.compress(gzip.compress(FEED))
        _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, identity, gzip\r\n", twice)

    bomb, fine = listen(serve), listen(stacked)
    retriever = HttpRetriever(_limits())
    try:
        with pytest.raises(FetchError) as caught:
            retriever.retrieve(bomb.url("/feed"), CachingInfo(), None)
        assert str(caught.value) == (
            "could not decompress the response: "
            "2,000 Content-Encoding layers (at most 5 are decoded)"
        )
        assert retriever.retrieve(fine.url("/feed"), CachingInfo(), None).content == FEED
    finally:
        retriever.close()


# --------------------------------------------------------------------------- 8. secrets


def test_redact_url_hides_a_raw_at_sign_password_and_query_tokens() -> None:
    # clients take the last "@" of the authority as its end, so "p@ss" is one password
    assert redact_url("http://reader:p@ss@host/feed") == "http://reader:***@host/feed"
    assert redact_url("http://u:p%40ss@h/f, http://h/a@b") == "http://u:***@h/f, http://h/a@b"
    assert (
        redact_url("fetching https://h/rss?id=7&api_key=K3y&Token=T&keyword=acme#top")
        == "fetching https://h/rss?id=7&api_key=***&Token=***&keyword=acme#top"
    )


def test_feed_secrets_in_passwords_and_query_strings_appear_in_no_output(
    tmp_path: Path, server: FeedServer
) -> None:
    server.route("/private", Reply(500, b"oops"))
    at_sign = server.url("/private").replace("http://", "http://reader:p@ss-W0rd-tail@")
    tokened = server.url("/tokened") + "?edition=us&access_token=T0ken-Secret-42"
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": at_sign, "name": "private"}, {"url": tokened, "name": "tokened"}]},
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1,localhost"}
    outputs = []
    for command in (["-vv", "fetch", "--once"], ["feeds", "status"], ["feeds", "status", "--json"]):
        done = run_clipper(path, *command, env={**env, "COLUMNS": "300"})
        outputs.append(done.stdout + done.stderr)
    everything = "\n".join(outputs)
    assert "W0rd-tail" not in everything and "T0ken-Secret-42" not in everything
    assert "http://reader:***@127.0.0.1:" in outputs[0] and "access_token=***" in outputs[0]
    assert "?edition=us&access_token=***" in outputs[1]
    # the stored URLs keep their secrets: the server was asked with them
    assert server.hits("/private")[0].headers["authorization"] == "Basic " + base64.b64encode(
        b"reader:p@ss-W0rd-tail"
    ).decode("ascii")
    assert any("T0ken-Secret-42" in seen.path for seen in server.requests)


# --------------------------------------------------------------------------- 1. proxies


def test_an_environment_proxy_is_used_and_bounded_by_the_deadline(
    listen, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # the operator's proxy (on loopback, not in the allow-list) connects for Clipper; internal
    # addresses are still refused before it is asked, and its answer is bounded in time too
    asked: list[str] = []

    def proxy(conn: socket.socket) -> None:
        data = b""
        conn.settimeout(5)
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        line = data.split(b"\r\n", 1)[0].decode()
        asked.append(line)
        if "/drip" in line:  # headers that never end, one byte every 0.3 s
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(100):
                conn.sendall(b"a")
                time.sleep(0.3)
        else:
            _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n", FEED)

    via = listen(proxy)
    monkeypatch.setenv("HTTP_PROXY", via.url(""))
    retriever = HttpRetriever(
        FetchLimits(user_agent="t", read_timeout=1.5, total_timeout=2)  # no allow-list
    )
    try:
        got = retriever.retrieve("http://feeds.example.test/rss", CachingInfo(), None)
        assert got.content == FEED
        with pytest.raises(FetchError, match="refused to connect to 169.254.169.254"):
            retriever.retrieve("http://169.254.169.254/latest", CachingInfo(), None)
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out: the response took over 2s"):
            retriever.retrieve("http://feeds.example.test/drip", CachingInfo(), None)
        assert time.monotonic() - started < 15  # a guard against hanging
    finally:
        retriever.close()
    assert asked == [
        "GET http://feeds.example.test/rss HTTP/1.1",
        "GET http://feeds.example.test/drip HTTP/1.1",
    ]


def test_raw_deflate_is_decoded_however_its_first_bytes_arrive(listen) -> None:  # type: ignore[no-untyped-def]
    # servers disagree on "deflate" (zlib-wrapped or raw); which one it is shows in the first two
    # bytes, so a first chunk of one byte must not decide it
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = packer.compress(FEED) + packer.flush()

    def serve(conn: socket.socket) -> None:
        _request_path(conn)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"1\r\n"
            + raw[:1]
            + b"\r\n"
        )
        time.sleep(0.3)
        rest = raw[1:]
        conn.sendall(f"{len(rest):x}\r\n".encode() + rest + b"\r\n0\r\n\r\n")

    host = listen(serve)
    retriever = HttpRetriever(_limits())
    try:
        assert retriever.retrieve(host.url("/feed"), CachingInfo(), None).content == FEED
    finally:
        retriever.close()


# --------------------------------------------------------------------------- 1. host forms


def test_redirects_to_every_spelling_of_a_local_address_never_connect() -> None:
    # one dual-stack listener on every local address: any spelling that reached it would count
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", 0))
    sock.listen(16)
    sock.settimeout(0.05)
    port = sock.getsockname()[1]
    spellings = [
        "0.0.0.0",
        "0",
        "[::]",
        "[::1]",
        "127.0.0.2",
        "127.2",
        "2130706434",
        "0x7f000002",
        "[::ffff:127.0.0.2]",
        "[::ffff:0.0.0.0]",
        "[0:0:0:0:0:ffff:7f00:2]",
        "[::127.0.0.2]",
        "[fe80::1%25lo]",
        "[64:ff9b::7f00:2]",
        "[2002:7f00:2::]",
    ]

    def redirect(conn: socket.socket) -> None:
        hop = int(_request_path(conn).strip("/"))
        _answer(
            conn, f"HTTP/1.1 302 Found\r\nLocation: http://{spellings[hop]}:{port}/\r\n".encode()
        )

    first = Listener("127.0.0.1", redirect)
    retriever = HttpRetriever(_limits())  # 127.0.0.1/32 only
    refused = []
    try:
        for hop in range(len(spellings)):
            with pytest.raises(FetchError) as caught:
                retriever.retrieve(first.url(f"/{hop}"), CachingInfo(), None)
            refused.append(str(caught.value).startswith("refused to connect to "))
    finally:
        retriever.close()
        first.close()
    with pytest.raises(TimeoutError):
        sock.accept()
    sock.close()
    assert all(refused), [s for s, r in zip(spellings, refused, strict=True) if not r]


def test_a_password_that_breaks_the_url_is_not_shown_in_its_error() -> None:
    # base64 passwords hold "/" and "+": written raw, the URL cannot be parsed, and the error
    # (stored, shown by feeds status, logged) must not quote the password or a part of it
    assert (
        redact_url("http://reader:Zq9/Secr3t+Tail==@feeds.example.test/feed")
        == "http://reader:***@feeds.example.test/feed"
    )
    assert redact_url("http://h:8080/feed/@user") == "http://h:8080/feed/@user"
    assert redact_url("https://medium.com/feed/@user") == "https://medium.com/feed/@user"
    retriever = HttpRetriever(_limits())
    try:
        for secret in ("Zq9/Secr3t+Tail==", "Zq9?Secr3t", "Zq9#Secr3t"):
            url = f"http://reader:{secret}@feeds.example.test/feed"
            with pytest.raises(FetchError) as caught:
                retriever.retrieve(url, CachingInfo(), None)
            message = str(caught.value)
            assert "Zq9" not in message and "Secr3t" not in message, message
            assert message == (
                "invalid URL 'http://reader:***@feeds.example.test/feed' "
                "(a password must percent-encode '/', '?', '#' and '@')"
            )
    finally:
        retriever.close()


# --------------------------------------------------------------------------- 1. local files


def test_a_feed_body_naming_a_local_file_is_not_read_from_disk(
    tmp_path: Path, server: FeedServer
) -> None:
    # a feed parser that is handed bytes may take them for a file name and open it: a hostile
    # host answering "/srv/private.xml" (or "/dev/zero") would make Clipper read its own disk
    private = tmp_path / "private.xml"
    private.write_bytes(
        rss([{"title": "Local secret", "link": "http://in.example/1", "guid": "s"}])
    )
    url = server.route(
        "/feed", Reply(200, str(private).encode(), {"Content-Type": "application/rss+xml"})
    )
    _, clipper = build(write_config(tmp_path, feeds={"x": [{"url": url, "name": "F"}]}), Clock())
    with clipper:
        summary = clipper.update_feeds()
        stored = clipper.storage.articles()
        (row,) = clipper.feed_statuses()
    assert summary.new_articles == 0 and stored == []
    assert row.last_error is not None and "not a feed" in row.last_error


def test_a_socks_proxy_without_its_package_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://proxyuser:Pr0xy-Secret@127.0.0.1:1080")
    result = CliRunner().invoke(main, ["--config", str(write_config(tmp_path)), "fetch", "--once"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = result.output.strip().splitlines()
    assert line.startswith(
        "error: the environment's proxy socks5://proxyuser:***@127.0.0.1:1080 is a SOCKS proxy, "
        "which needs the Python package socksio (or unset ALL_PROXY, HTTPS_PROXY, HTTP_PROXY)"
    )
    assert "Pr0xy-Secret" not in result.output


# --------------------------------------------------------------------------- 8. errors


def test_a_malformed_response_quoting_junk_gives_a_short_error_shown_quickly(
    tmp_path: Path, listen
) -> None:  # type: ignore[no-untyped-def]
    # the HTTP parser quotes the illegal line it got: 60 kB of server text in the feed's error,
    # stored, printed, and fed to the redaction, which must stay linear on it
    junk = b"a." * 30_000

    def serve(conn: socket.socket) -> None:
        _request_path(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + junk + b"\r\nContent-Length: 0\r\n\r\n")

    def far(conn: socket.socket) -> None:
        _request_path(conn)
        _answer(conn, b"HTTP/1.1 302 Found\r\nLocation: ftp://h/" + junk + b"\r\n")

    def encoded(conn: socket.socket) -> None:
        _request_path(conn)
        _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Encoding: " + junk + b"\r\n")

    host = listen(serve)
    retriever = HttpRetriever(_limits())
    try:
        for other in (listen(far), listen(encoded)):
            with pytest.raises(FetchError) as caught:
                retriever.retrieve(other.url("/feed"), CachingInfo(), None)
            message = str(caught.value)
            assert len(message) < 400 and "a.a.a.a" in message and "…" in message
    finally:
        retriever.close()
    started = time.monotonic()
    assert redact_url(junk.decode() * 2) == junk.decode() * 2
    assert time.monotonic() - started < 5  # quadratic redaction took about 30 s here
    path = write_config(tmp_path, feeds={"x": [{"url": host.url("/feed"), "name": "junk"}]})
    _, clipper = build(path, Clock())
    with clipper:
        summary = clipper.update_feeds()
        (row,) = clipper.feed_statuses()
    (result,) = summary.results
    for error in (result.error, row.last_error):
        assert error is not None
        assert error.startswith(
            f"network error fetching {host.url('/feed')}: RemoteProtocolError: illegal header "
            "line: bytearray(b'a.a.a."
        )
        assert len(error) < 400 and error.endswith("…")


# --------------------------------------------------------------------------- cookies


def _cookie_flood(conn: socket.socket) -> None:
    """Answer the feed with 100 new cookies, each poll new names (a host growing the jar)."""
    path = _request_path(conn)
    cookies = b"".join(
        f"Set-Cookie: c{path.strip('/')}x{i}={'v' * 200}; Path=/\r\n".encode() for i in range(100)
    )
    _answer(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + cookies, FEED)


def test_a_host_setting_endless_cookies_cannot_grow_the_process(listen) -> None:  # type: ignore[no-untyped-def]
    """Every poll of a hostile host brings 100 new cookies: the feed is still read each time,
    and the cookies kept for the host stop at 50 (so a months-long `clipper run` stays flat)."""
    listener = listen(_cookie_flood)
    retriever = HttpRetriever(_limits())
    try:
        for poll in range(20):
            got = retriever.retrieve(listener.url(f"/{poll}"), CachingInfo(), None)
            assert got.content == FEED
        kept = list(retriever._client.cookies.jar)
        assert 0 < len(kept) <= COOKIES_PER_DOMAIN
        # the first cookies are kept: live cookies are never evicted for new ones
        assert any(cookie.name.startswith("c0x") for cookie in kept)
    finally:
        retriever.close()
