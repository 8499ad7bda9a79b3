"""What a second independent review of issue 15 found, each checked as an operator sees it: real
feeds on a local server, ``clipper run`` in child processes, the Slack stand-in, real SQLite.

- a stop past ``run.shutdown_grace`` (or a crash) leaves no claim behind that holds the next
  start's digests for an hour; a digest waiting for matching is told once, not every tick;
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from clipper.adapters.storage import Storage
from clipper.config import load_config

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import start_clipper
from .support.seeding import mention, seed_matches
from .test_lifecycle import stop, wait_for

ACME_ITEMS = [
    {
        "title": f"Acme Robotics opens plant number {n}",
        "link": f"https://news.example/acme/{n}",
        "guid": f"acme-{n}",
        "description": f"Acme Robotics opens its plant number {n} in Ohio.",
    }
    for n in range(3)
]


def _slow_and_fast(tmp_path: Path, server: FeedServer) -> Path:
    """A configuration with one feed that answers at once and one that takes 60 s, a rep who
    owns Acme Robotics, and a short grace."""
    fast = server.route("/fast", Reply(200, rss(ACME_ITEMS)))
    slow = server.route("/slow", Reply(200, rss([]), delay=60))
    return write_config(
        tmp_path,
        feeds={"tech": [{"url": fast, "name": "Fast"}, {"url": slow, "name": "Slow"}]},
        accounts=[{"name": "Acme Robotics", "owner": "rep@example.com"}],
        settings={
            "run": {"shutdown_grace": "1s", "config_poll": 0},
            # the slow feed is still being read when the grace runs out
            "fetch": {"read_timeout": "90s", "total_timeout": "120s"},
        },
    )


def _leased_feeds(path: Path) -> int:
    storage = Storage(load_config(path, {}).database_path)
    try:
        return sum(1 for status in storage.feed_statuses() if _leased(storage, status.url))
    finally:
        storage.close()


def _leased(storage: Storage, url: str) -> bool:
    rows = storage.pool.read(
        "reading a feed's lease", "SELECT lease_owner FROM feeds WHERE url = ?", (url,)
    )
    return bool(rows and rows[0]["lease_owner"])


def _start_and_wait_for_the_slow_fetch(path: Path, server: FeedServer, log: Path) -> Any:
    process = start_clipper(path, "run", log=log)
    wait_for("the slow feed in flight", lambda: bool(server.hits("/slow")), log, process)
    return process


def _restart_until_the_digest_goes(path: Path, server: FeedServer, log: Path) -> str:
    """Start ``clipper run`` again (the slow feed now answers at once) and return its log once
    the rep's digest was queued and delivered; stop it."""
    server.route("/slow", Reply(200, rss([])))
    process = start_clipper(path, "run", log=log)
    try:
        wait_for(
            "the digest to go out",
            lambda: "delivered 1 digest message" in log.read_text(),
            log,
            process,
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        stop(process)
    return log.read_text()


def test_a_stop_past_the_grace_releases_its_claims_so_the_next_start_sends_the_digest(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _slow_and_fast(tmp_path, server)
    first = tmp_path / "first.log"
    process = _start_and_wait_for_the_slow_fetch(path, server, first)
    try:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        stop(process)
    text = first.read_text()
    assert code == 1, text
    assert "shutdown grace (1s) ran out; still running: fetch and match" in text, text
    # the feed still being read is given back, not held for its 15-minute lease
    assert "released 1 feed for the next start" in text, text
    assert _leased_feeds(path) == 0
    again = _restart_until_the_digest_goes(path, server, tmp_path / "second.log")
    assert "queued digest" in again and "rep@example.com" in again, again
    assert "a process that no longer runs" not in again, again  # nothing was left to release
    assert again.count("waits for matching") <= 1, again


def test_a_crashed_run_s_claims_are_released_at_the_next_start_on_the_same_machine(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _slow_and_fast(tmp_path, server)
    first = tmp_path / "first.log"
    process = _start_and_wait_for_the_slow_fetch(path, server, first)
    process.send_signal(signal.SIGKILL)  # no chance to release anything
    process.wait(timeout=30)
    assert _leased_feeds(path) >= 1  # the slow feed, and the fast one if not stored yet
    again = _restart_until_the_digest_goes(path, server, tmp_path / "second.log")
    assert f":{process.pid}:" in again and "a process that no longer runs" in again, again
    assert re.search(r"released [12] feeds? claimed by ", again), again
    assert "queued digest" in again, again
    assert again.count("waits for matching") <= 1, again


def test_a_waiting_digest_is_reported_waiting_again_only_after_the_first_tick(
    tmp_path: Path, server: FeedServer
) -> None:
    """The run loop tells a wait from ``waiting`` minus ``waiting_again``: once per digest."""
    clock = Clock()
    url = server.route("/feed", Reply(200, rss(ACME_ITEMS)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme", "owner": "rep@example.com"}],
    )
    _config, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        seed_matches(clipper.storage, clock(), lambda _a: mention("Acme"), limit=1)
        first = clipper.digests.compose_due()
        clock.advance(minutes=1)
        second = clipper.digests.compose_due()
    assert first.waiting == ["rep@example.com"] and first.waiting_again == []
    assert second.waiting == ["rep@example.com"] and second.waiting_again == ["rep@example.com"]
