"""One-shot commands stopped as a user stops them: Ctrl-C (SIGINT) or SIGTERM to the child
process while it fetches slow feeds or posts to a slow Slack, then the next run picks up the
rest, storing and posting nothing twice."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clipper.adapters.storage import Storage
from clipper.config import load_config

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.cli import kill_clipper, run_clipper, start_clipper, wait_until
from .test_digest_delivery import USERS, Setup, acme, seed
from .test_lifecycle import keys

FEEDS = 16
DELAY = 1.0  # within the tests' 2 s read timeout: fetches in flight succeed


def stored_articles(path: Path) -> Counter[str]:
    """Each stored article's link, with how many rows hold it."""
    database = load_config(path, {}).database_path
    with sqlite3.connect(database) as db:
        return Counter(row[0] for row in db.execute("SELECT url FROM articles"))


def slow_feeds(server: FeedServer) -> list[dict[str, str]]:
    feeds = []
    for n in range(FEEDS):
        items = [
            {"title": f"Story {n}-{i}", "link": f"https://news.example/{n}/{i}", "guid": f"{n}-{i}"}
            for i in range(2)
        ]
        url = server.route(f"/slow{n}", Reply(200, rss(items), delay=DELAY))
        feeds.append({"url": url, "name": f"Slow {n}"})
    return feeds


def test_ctrl_c_during_fetch_once_stops_with_130_and_one_line_and_the_next_fetch_does_the_rest(
    tmp_path: Path, server: FeedServer
) -> None:
    path = write_config(
        tmp_path,
        feeds={"slow": slow_feeds(server)},
        settings={"fetch": {"concurrency": 2, "backfill_window": "3650d"}},
    )
    log = tmp_path / "fetch.log"
    process = start_clipper(path, "fetch", "--once", log=log)
    try:
        wait_until(
            lambda: any(server.hits(f"/slow{n}") for n in range(FEEDS)),
            "fetches in flight",
            process,
            log,
        )
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    stopped = [line for line in text.splitlines() if line.startswith("stopped: ")]
    assert len(stopped) == 1, text
    assert f"of {FEEDS} feeds fetched" in stopped[0], text
    assert stopped[0].endswith("; the rest at the next run"), text
    # the signal is acknowledged at once, naming what it waits for
    assert "SIGINT: stopping; in flight: fetching feeds (a second SIGINT exits at once)" in text
    assert "feeds: " not in text, text  # the usual summary is not printed as well
    first = {n for n in range(FEEDS) if server.hits(f"/slow{n}")}
    assert 0 < len(first) < FEEDS, text
    # what was fetched before the stop is stored, every article once
    kept = stored_articles(path)
    assert len(kept) == 2 * len(first) and set(kept.values()) == {1}, kept

    # the next run fetches the feeds the stop left (they were released, not leased), and only
    # those: the ones fetched already are not due yet
    again = run_clipper(path, "fetch", "--once")
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(len(server.hits(f"/slow{n}")) == 1 for n in range(FEEDS)), again.stdout
    kept = stored_articles(path)
    assert len(kept) == 2 * FEEDS and set(kept.values()) == {1}, kept


def test_a_second_ctrl_c_during_fetch_once_exits_at_once(
    tmp_path: Path, server: FeedServer
) -> None:
    slow = [
        {"url": server.route(f"/stuck{n}", Reply(200, rss([]), delay=30)), "name": f"S{n}"}
        for n in range(2)
    ]
    path = write_config(tmp_path, feeds={"slow": slow}, settings={"fetch": {"read_timeout": "60s"}})
    log = tmp_path / "fetch.log"
    process = start_clipper(path, "fetch", "--once", log=log)
    try:
        wait_until(lambda: bool(server.hits("/stuck0")), "a fetch in flight", process, log)
        process.send_signal(signal.SIGINT)
        wait_until(
            lambda: "SIGINT: stopping" in log.read_text(), "the first signal's line", process, log
        )
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=15)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 130, text
    assert "second SIGINT: exiting now without waiting (in flight: fetching feeds)" in text, text
    assert "Traceback" not in text, text


def test_sigterm_during_run_once_delivery_exits_143_and_the_next_run_posts_each_part_once(
    tmp_path: Path, server: FeedServer
) -> None:
    with SlackStub(dict(USERS)) as slack:
        setup = Setup(tmp_path, server, slack)
        setup.clock = Clock(datetime.now(UTC))
        clipper = seed(setup, acme(120), slack={"pace_s": 0.0})
        with clipper:
            clipper.digests.compose_due(force=True)
            parts = clipper.storage.digest_parts()
        assert len(parts) >= 4 and all(p.state.value == "pending" for p in parts)
        slack.ts_clock = time.time  # the child posts on the wall clock

        def slow_posts(method: str, _body: dict[str, Any]) -> None:
            if method == "chat.postMessage":
                time.sleep(1.0)

        slack.hook = slow_posts
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url}
        assert setup.path is not None
        log = tmp_path / "run.log"
        process = start_clipper(setup.path, "run", "--once", log=log, env=env)
        try:
            wait_until(
                lambda: slack.count("chat.postMessage") >= 1, "a post in flight", process, log
            )
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            kill_clipper(process)
        text = log.read_text()
        assert code == 143, text
        assert "Traceback" not in text, text
        stopped = [line for line in text.splitlines() if line.startswith("stopped: ")]
        assert len(stopped) == 1 and "digest message" in stopped[0], text
        assert stopped[0].endswith("sent; the rest at the next run"), text
        posted = keys(slack.posts())
        assert 0 < sum(posted.values()) < len(parts), text
        storage = Storage(load_config(setup.path, {}).database_path)
        try:
            states = Counter(p.state.value for p in storage.digest_parts())
        finally:
            storage.close()
        # each part posted is marked sent; the rest are pending, claimable at once
        assert states == {
            "sent": sum(posted.values()),
            "pending": len(parts) - sum(posted.values()),
        }

        slack.hook = None
        again = run_clipper(setup.path, "run", "--once", env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        posted = keys(slack.posts())
        assert sum(posted.values()) == len(parts) and max(posted.values()) == 1, posted


def test_sigterm_during_a_command_without_stopping_points_finishes_it_then_exits_143(
    tmp_path: Path, server: FeedServer
) -> None:
    """``feeds discover`` has nothing to release: the page in flight is read and answered,
    then the command ends with 143 and one line, no traceback."""
    page = server.route("/feed", Reply(200, rss([]), delay=DELAY))
    path = write_config(tmp_path)
    log = tmp_path / "discover.log"
    process = start_clipper(path, "feeds", "discover", page, log=log)
    try:
        wait_until(lambda: bool(server.hits("/feed")), "the page in flight", process, log)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 143, text
    assert "Traceback" not in text, text
    assert "is a feed" in text, text
    assert text.splitlines()[-1] == "stopped (SIGTERM): what was in flight finished first", text


def test_sigterm_with_json_logs_tells_the_stop_as_json_lines_only(
    tmp_path: Path, server: FeedServer
) -> None:
    path = write_config(
        tmp_path, feeds={"slow": slow_feeds(server)}, settings={"fetch": {"concurrency": 2}}
    )
    log = tmp_path / "fetch.log"
    process = start_clipper(path, "--log-format", "json", "fetch", "--once", log=log)
    try:
        wait_until(
            lambda: any(server.hits(f"/slow{n}") for n in range(FEEDS)),
            "fetches in flight",
            process,
            log,
        )
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 143, text
    records = [json.loads(line) for line in text.splitlines()]  # every line is JSON
    said = [r["msg"] for r in records if r["level"] == "warning"]
    assert (
        said[0] == "SIGTERM: stopping; in flight: fetching feeds (a second SIGTERM exits at once)"
    )
    assert said[-1].startswith("stopped: ") and said[-1].endswith("; the rest at the next run")
