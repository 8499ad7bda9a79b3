"""Fetching over real sockets: politeness, adversarial servers, and what gets stored."""

from __future__ import annotations

import threading
import time
from ipaddress import ip_network
from pathlib import Path

from clipper.adapters.fetch_http import FetchLimits, HttpRetriever
from clipper.exceptions import FetchError
from clipper.types import CachingInfo, FetchStatus

from .conftest import LOOPBACK, Clock, build, write_config
from .feedserver import FeedServer, Reply, Seen, gzipped, rss, static_reply

ITEMS = [
    {
        "title": f"Item {n}",
        "link": f"http://news.example/{n}",
        "guid": f"g{n}",
        "description": f"<p>Body of item {n}</p>",
    }
    for n in range(5)
]


def limits(**kwargs: object) -> FetchLimits:
    """Retriever limits that allow the tests' loopback server, as ``write_config`` does."""
    return FetchLimits(
        user_agent="t",
        allow_private_networks=(ip_network(LOOPBACK),),
        **kwargs,  # type: ignore[arg-type]
    )


def catalog(*feeds: tuple[str, str], **extra: object) -> dict[str, list[dict[str, object]]]:
    return {"tech": [{"url": url, "name": name, **extra} for url, name in feeds]}


def statuses(clipper) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {row.name: row for row in clipper.feed_statuses()}


def test_second_run_is_conditional_and_stores_nothing_new(
    tmp_path: Path, server: FeedServer
) -> None:
    body = rss(ITEMS)
    url = server.route("/feed", lambda seen: static_reply(body, seen))
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog((url, "Feed"))), clock)
    with clipper:
        first = clipper.update_feeds()
        assert first.new_articles == 5 and first.count(FetchStatus.OK) == 1
        clock.advance(days=1)
        second = clipper.update_feeds(due_only=False)
        assert second.count(FetchStatus.NOT_MODIFIED) == 1 and second.new_articles == 0
        assert clipper.storage.count_articles() == 5
    first_req, second_req = server.hits("/feed")
    assert "if-none-match" not in first_req.headers
    assert second_req.headers["if-none-match"].startswith('"')
    assert first_req.headers["user-agent"].startswith("Clipper/")
    assert "gzip" in first_req.headers["accept-encoding"]


def test_feeds_not_due_are_not_polled_but_all_polls_them(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/feed", Reply(200, rss(ITEMS)))
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog((url, "Feed"))), clock)
    with clipper:
        clipper.update_feeds()
        clock.advance(minutes=1)
        assert clipper.update_feeds().results == ()
        assert len(clipper.update_feeds(due_only=False).results) == 1
    assert len(server.hits("/feed")) == 2


def test_one_broken_feed_never_stops_the_others(tmp_path: Path, server: FeedServer) -> None:
    good = server.route("/good", Reply(200, rss(ITEMS)))
    feeds = [
        (good, "good"),
        (server.route("/404", Reply(404)), "missing"),
        (server.route("/500", Reply(500, b"oops")), "error"),
        (
            server.route(
                "/html",
                Reply(
                    200, b"<html><body><p>Welcome</p></body></html>", {"Content-Type": "text/html"}
                ),
            ),
            "html",
        ),
        (server.route("/garbage", Reply(200, b"\x00\x01\x02 not xml")), "garbage"),
        (server.route("/empty", Reply(200, b"")), "empty"),
        ("http://127.0.0.1:9/closed", "closed port"),
    ]
    _, clipper = build(write_config(tmp_path, feeds=catalog(*feeds)), Clock())
    with clipper:
        summary = clipper.update_feeds()
        rows = statuses(clipper)
    assert summary.count(FetchStatus.OK) == 1 and summary.new_articles == 5
    assert summary.count(FetchStatus.ERROR) == 6
    assert rows["missing"].last_error == "HTTP 404 Not Found"
    assert rows["error"].last_error == "HTTP 500 Internal Server Error"
    assert "not a feed" in rows["html"].last_error and "discover" in rows["html"].last_error
    assert "network error" in rows["closed port"].last_error
    assert all(rows[n].error_count == 1 for n in ("missing", "error", "html", "closed port"))


def test_gone_disables_and_permanent_redirect_moves_the_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    gone = server.route("/gone", Reply(410))
    new = server.route("/new-home", Reply(200, rss(ITEMS)))
    moved = server.route("/old-home", Reply(301, headers={"Location": "/new-home"}))
    temp = server.route("/temporary", Reply(302, headers={"Location": new}))
    clock = Clock()
    _, clipper = build(
        write_config(tmp_path, feeds=catalog((gone, "gone"), (moved, "moved"), (temp, "temp"))),
        clock,
    )
    with clipper:
        clipper.update_feeds()
        rows = statuses(clipper)
        assert "410 Gone" in rows["gone"].disabled_reason
        assert rows["moved"].redirected_to == new
        assert rows["temp"].redirected_to is None
        clock.advance(days=2)
        clipper.update_feeds(due_only=False)
    assert len(server.hits("/gone")) == 1  # disabled feeds are never polled, even with --all
    assert len(server.hits("/old-home")) == 1  # the stored URL now points at the new home
    assert len(server.hits("/temporary")) == 2


def test_retry_after_is_honoured_even_with_all(tmp_path: Path, server: FeedServer) -> None:
    limited = server.route("/limited", Reply(429, headers={"Retry-After": "3600"}))
    busy = server.route("/busy", Reply(503, headers={"Retry-After": "600"}))
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog((limited, "l"), (busy, "b"))), clock)
    with clipper:
        summary = clipper.update_feeds()
        assert summary.count(FetchStatus.RATE_LIMITED) == 1
        clock.advance(minutes=30)
        clipper.update_feeds(due_only=False)
        assert len(server.hits("/limited")) == 1 and len(server.hits("/busy")) == 2
        clock.advance(minutes=31)
        clipper.update_feeds(due_only=False)
        rows = statuses(clipper)
    assert len(server.hits("/limited")) == 2
    assert rows["l"].error_count == 0 and rows["b"].error_count == 3


def test_failures_back_off_and_disable_after_the_limit(tmp_path: Path, server: FeedServer) -> None:
    url = server.route("/flaky", Reply(500))
    clock = Clock()
    path = write_config(
        tmp_path, feeds=catalog((url, "flaky")), settings={"fetch": {"error_limit": 3}}
    )
    _, clipper = build(path, clock)
    with clipper:
        for _ in range(5):
            clipper.update_feeds()
            clock.advance(days=1)
        (row,) = clipper.feed_statuses()
        assert len(server.hits("/flaky")) == 3
        assert row.disabled_reason.startswith("disabled after 3 consecutive failures")
        assert "HTTP 500" in row.disabled_reason
        assert clipper.enable_feed(url)
        clipper.update_feeds()
    assert len(server.hits("/flaky")) == 4


def test_limits_slow_huge_gzip_loops(tmp_path: Path, server: FeedServer) -> None:
    big = rss([{**ITEMS[0], "description": "x" * 400_000}])
    feeds = [
        (server.route("/slow", Reply(200, rss(ITEMS), delay=4)), "slow"),
        (server.route("/trickle", Reply(200, rss(ITEMS) * 3, trickle=0.2)), "trickle"),
        (server.route("/big", Reply(200, big)), "big"),
        (server.route("/big-chunked", Reply(200, big, no_length=True)), "big-chunked"),
        (
            server.route(
                "/bomb", Reply(200, gzipped(b" " * 5_000_000 + big), {"Content-Encoding": "gzip"})
            ),
            "bomb",
        ),
        (server.route("/gz", Reply(200, gzipped(rss(ITEMS)), {"Content-Encoding": "gzip"})), "gz"),
        (server.route("/loop-a", Reply(302, headers={"Location": "/loop-b"})), "loop"),
    ]
    server.route("/loop-b", Reply(302, headers={"Location": "/loop-a"}))
    path = write_config(
        tmp_path,
        feeds=catalog(*feeds),
        settings={"fetch": {"read_timeout": "1s", "total_timeout": "2s", "max_body_size": "100kB"}},
    )
    _, clipper = build(path, Clock())
    with clipper:
        started = time.monotonic()
        summary = clipper.update_feeds()
        elapsed = time.monotonic() - started
        rows = statuses(clipper)
    assert elapsed < 30  # a guard against hanging, not a timing assertion
    assert summary.count(FetchStatus.OK) == 1 and rows["gz"].items == 5
    assert "timed out (read)" in rows["slow"].last_error
    assert "took over 2s" in rows["trickle"].last_error
    assert "over the 100,000-byte limit" in rows["big"].last_error
    assert "over the 100,000-byte limit" in rows["big-chunked"].last_error
    assert "after decompression" in rows["bomb"].last_error
    assert "redirect loop" in rows["loop"].last_error


def test_wrong_charset_is_still_read(tmp_path: Path, server: FeedServer) -> None:
    body = (
        "<?xml version='1.0' encoding='windows-1252'?><rss version='2.0'><channel>"
        "<title>t</title><item><title>Café crème – déjà vu</title><guid>1</guid>"
        "<link>http://x.example/1</link></item></channel></rss>"
    ).encode("cp1252")
    url = server.route("/cp", Reply(200, body, {"Content-Type": "text/xml; charset=utf-8"}))
    _, clipper = build(write_config(tmp_path, feeds=catalog((url, "cp"))), Clock())
    with clipper:
        summary = clipper.update_feeds()
        (article,) = clipper.storage.articles()
    assert summary.count(FetchStatus.OK) == 1
    assert "Caf" in article.title and "vu" in article.title


def test_changing_guids_and_updated_dates_make_no_new_articles(
    tmp_path: Path, server: FeedServer
) -> None:
    version = {"n": 0}

    def feed(_seen: Seen) -> Reply:
        n = version["n"]
        items = [
            {
                "title": f"Item {i}",
                "link": f"http://news.example/{i}?utm_source={n}",
                "guid": f"run{n}-{i}",
                "description": f"Body {i}",
                "pubDate": f"Mon, 23 Nov 2026 0{i}:{n:02d}:00 GMT",
            }
            for i in range(5)
        ]
        return Reply(200, rss(items))

    url = server.route("/shifty", feed)
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog((url, "shifty"))), clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 5
        for n in range(1, 4):
            version["n"] = n
            clock.advance(hours=3)
            assert clipper.update_feeds(due_only=False).new_articles == 0
        assert clipper.storage.count_articles() == 5


def test_per_host_concurrency_is_limited(tmp_path: Path, server: FeedServer) -> None:
    feeds = [
        (server.route(f"/f{n}", Reply(200, rss(ITEMS[:1]), delay=0.3)), f"f{n}") for n in range(8)
    ]
    path = write_config(
        tmp_path,
        feeds=catalog(*feeds),
        settings={"fetch": {"per_host_concurrency": 2, "concurrency": 8}},
    )
    _, clipper = build(path, Clock())
    with clipper:
        clipper.update_feeds()
    assert server.max_in_flight == 2


def test_user_agent_per_feed(tmp_path: Path, server: FeedServer) -> None:
    url = server.route("/ua", Reply(200, rss(ITEMS)))
    path = write_config(
        tmp_path, feeds={"x": [{"url": url, "name": "ua", "user_agent": "Special/1.0"}]}
    )
    _, clipper = build(path, Clock())
    with clipper:
        clipper.update_feeds()
    assert server.hits("/ua")[0].headers["user-agent"] == "Special/1.0"


def test_retriever_rejects_redirects_to_local_files(server: FeedServer) -> None:
    url = server.route("/evil", Reply(302, headers={"Location": "file:///etc/passwd"}))
    retriever = HttpRetriever(limits())
    try:
        retriever.retrieve(url, CachingInfo(), None)
    except FetchError as exc:
        assert "non-HTTP" in str(exc)
    else:
        raise AssertionError("a redirect to file:// must not be followed")
    finally:
        retriever.close()


def test_threads_share_one_retriever(server: FeedServer) -> None:
    url = server.route("/shared", Reply(200, rss(ITEMS)))
    retriever = HttpRetriever(limits(per_host_concurrency=4))
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(retriever.retrieve(url, CachingInfo(), None).status)
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    retriever.close()
    assert results == [200] * 8


def test_gzip_body_without_content_encoding_is_read(tmp_path: Path, server: FeedServer) -> None:
    url = server.route(
        "/gz-raw", Reply(200, gzipped(rss(ITEMS)), {"Content-Type": "application/xml"})
    )
    _, clipper = build(write_config(tmp_path, feeds=catalog((url, "raw"))), Clock())
    with clipper:
        assert clipper.update_feeds().new_articles == 5


def test_polling_adapts_to_ttl_and_cache_control(tmp_path: Path, server: FeedServer) -> None:
    ttl = server.route("/ttl", Reply(200, rss(ITEMS, ttl=180)))  # minutes
    cached = server.route(
        "/cached", Reply(200, rss(ITEMS), {"Cache-Control": "public, max-age=14400"})
    )
    plain = server.route("/plain", Reply(200, rss(ITEMS)))
    clock = Clock()
    path = write_config(
        tmp_path,
        feeds=catalog((ttl, "ttl"), (cached, "cached"), (plain, "plain")),
        settings={"fetch": {"default_interval": "1h", "jitter": 0}},
    )
    _, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        rows = statuses(clipper)
    minutes = {name: (rows[name].next_check_at - clock.now).total_seconds() / 60 for name in rows}
    assert minutes == {"ttl": 180, "cached": 240, "plain": 60}
