"""What a second independent review of issue 15 found, each checked as an operator sees it: real
feeds on a local server, ``clipper run`` in child processes, the Slack stand-in, real SQLite.

- a stop past ``run.shutdown_grace`` (or a crash) leaves no claim behind that holds the next
  start's digests for an hour; a digest waiting for matching is told once, not every tick;
- a Slack call that keeps failing is one warning line (each try at -vv) and the summary line;
"""

from __future__ import annotations

import json
import re
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from clipper.adapters.storage import Storage
from clipper.config import load_config

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import Fault, SlackStub
from .support.cli import kill_clipper, run_clipper, start_clipper, wait_until
from .support.seeding import mention, seed_matches

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
    wait_until(lambda: bool(server.hits("/slow")), "the slow feed in flight", process, log)
    return process


def _restart_until_the_digest_goes(path: Path, server: FeedServer, log: Path) -> str:
    """Start ``clipper run`` again (the slow feed now answers at once) and return its log once
    the rep's digest was queued and delivered; stop it."""
    server.route("/slow", Reply(200, rss([])))
    process = start_clipper(path, "run", log=log)
    try:
        wait_until(
            lambda: "delivered 1 digest message" in log.read_text(),
            "the digest to go out",
            process,
            log,
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)
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
        kill_clipper(process)
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


def test_fetch_once_releases_a_crashed_run_s_claims_and_fetches_every_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _slow_and_fast(tmp_path, server)
    process = _start_and_wait_for_the_slow_fetch(path, server, tmp_path / "first.log")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert _leased_feeds(path) >= 1
    fetched = run_clipper(path, "fetch", "--once", "--all")
    told = fetched.stdout + fetched.stderr
    assert "a process that no longer runs" in told and f":{process.pid}:" in told, told
    assert _leased_feeds(path) == 0
    assert "0 failed" in fetched.stdout, told  # no feed skipped because a dead run held it


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


def _sam_owns_acme(tmp_path: Path, server: FeedServer) -> Path:
    """A config with one feed about Acme Robotics, owned by the one rep, Sam."""
    url = server.route("/feed", Reply(200, rss(ACME_ITEMS)))
    return write_config(
        tmp_path,
        feeds={"tech": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme Robotics", "owner": "sam@example.com"}],
        reps=[{"email": "sam@example.com", "name": "Sam", "timezone": "UTC"}],
    )


def test_a_slack_call_that_keeps_failing_is_one_line_and_the_summary_not_one_per_try(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _sam_owns_acme(tmp_path, server)
    with SlackStub({"sam@example.com": "U1"}) as slack:
        slack.faults.append(Fault("users.lookupByEmail", action="500", always=True))
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url}
        result = run_clipper(path, "--log-format", "json", "run", "--once", env=env)
        tried = slack.count("users.lookupByEmail")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    failed = [line for line in lines if "finding sam@example.com's DM failed" in line["msg"]]
    assert len(failed) == 1, result.stderr
    assert failed[0]["level"] == "warning" and failed[0]["rep"] == "sam@example.com"
    assert f"({tried} tries)" in failed[0]["msg"] and tried > 1, failed[0]
    summary = [line for line in lines if "could not open the DM; will retry" in line["msg"]]
    assert len(summary) == 1, result.stderr


def test_a_digest_queued_for_slack_waits_untouched_for_a_process_with_slack(
    tmp_path: Path, server: FeedServer
) -> None:
    """A one-shot run from a shell without the token, on the production database, leaves
    Slack's parts alone and says so; it does not crash on them."""
    path = _sam_owns_acme(tmp_path, server)
    with SlackStub({"sam@example.com": "U1"}) as slack:
        slack.faults.append(Fault("users.lookupByEmail", action="500", always=True))
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url}
        queued = run_clipper(path, "run", "--once", env=env)
        assert "could not open the DM; will retry" in queued.stdout + queued.stderr
        assert slack.count("chat.postMessage") == 0
        without = run_clipper(path, "run", "--once", env={"SLACK_BOT_TOKEN": ""})
        told = without.stdout + without.stderr
        assert without.returncode == 0, told
        assert "Traceback" not in told and "AssertionError" not in told, told
        assert re.search(r"\d+ digest parts? queued for Slack wait", told), told
        assert "a `clipper run` with Slack delivers them" in told
        assert slack.count("chat.postMessage") == 0
    # left as it was: pending for a process with Slack, not claimed by the one without
    import sqlite3

    with sqlite3.connect(load_config(path, {}).database_path) as db:
        rows = db.execute(
            "SELECT p.state, p.lease_owner FROM digest_parts p JOIN digests d ON d.id = p.digest_id"
            " WHERE d.sink = 'slack'"
        ).fetchall()
    assert rows and all(state == "pending" and owner is None for state, owner in rows), rows


def test_a_feed_cut_off_after_some_items_is_read_whole_at_the_next_poll_not_hidden_by_a_304(
    tmp_path: Path, server: FeedServer
) -> None:
    items = [
        {"title": f"Story {n}", "link": f"https://s.example/{n}", "guid": f"s{n}"} for n in range(5)
    ]
    whole = rss(items)
    cut = whole[: whole.index(b"<item><title>Story 3")]  # no </channel></rss>
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 30 Nov 2026 09:00:00 GMT"}
    served: list[str] = []

    def reply(seen: Any) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            served.append("304")
            return Reply(304, b"", validators)
        served.append("cut" if not served else "whole")
        return Reply(200, cut if served[-1] == "cut" else whole, validators)

    url = server.route("/cut", reply)
    path = write_config(tmp_path, feeds={"tech": [{"url": url, "name": "Cut Feed"}]})
    first = run_clipper(path, "-v", "fetch", "--once", "--all")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "new articles: 3" in first.stdout and "warning Cut Feed" in first.stdout
    again = run_clipper(path, "-v", "fetch", "--once", "--all")
    assert again.returncode == 0, again.stdout + again.stderr
    # the broken document's ETag was not kept: the whole one is read and the 2 missing arrive
    assert served == ["cut", "whole"]
    assert "new articles: 2" in again.stdout, again.stdout
    # a whole document keeps its validators: the poll after is a 304
    third = run_clipper(path, "fetch", "--once", "--all")
    assert "1 not modified" in third.stdout and served[-1] == "304", third.stdout


def test_routine_reloads_are_info_and_an_unchanged_one_says_so(
    tmp_path: Path, server: FeedServer
) -> None:
    feed = server.route("/feed", Reply(200, rss([])))
    path = write_config(
        tmp_path,
        feeds={"tech": [{"url": feed, "name": "Wire"}]},
        settings={"run": {"config_poll": 0}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(path, "--log-format", "json", "run", log=log)

    def said(text: str) -> list[dict[str, Any]]:
        rows = [json.loads(row) for row in log.read_text().splitlines() if row.startswith("{")]
        return [row for row in rows if text in row["msg"]]

    try:
        wait_until(
            lambda: bool(said("health, readiness and metrics on")), "the server", process, log
        )
        process.send_signal(signal.SIGHUP)
        wait_until(lambda: bool(said("configuration unchanged (SIGHUP)")), "the look", process, log)
        path.write_text(path.read_text() + "alerts:\n  feed_health:\n    time: '09:30'\n")
        process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: bool(said("configuration reloaded (SIGHUP)")), "the reload", process, log
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)
    for text in ("SIGHUP: reloading", "configuration unchanged", "configuration reloaded"):
        assert [row["level"] for row in said(text)] in (["info"], ["info", "info"]), text
    # the default text log (warnings and errors) holds none of them
    assert not [row for row in said("") if row["level"] == "warning" and "SIGHUP" in row["msg"]]


def test_the_health_command_says_which_address_it_asked_in_every_case(
    tmp_path: Path, server: FeedServer
) -> None:
    feed = server.route("/feed", Reply(200, rss([])))
    path = write_config(tmp_path, feeds={"tech": [{"url": feed, "name": "Wire"}]})
    log = tmp_path / "run.log"
    process = start_clipper(path, "run", log=log)
    recorded = tmp_path / "var" / "health.addr"
    try:
        wait_until(recorded.exists, "the recorded address", process, log)
        address = recorded.read_text().strip()
        alive = run_clipper(path, "health")
        assert alive.returncode == 0 and alive.stdout.strip() == "ok", alive.stderr
        assert f"asking {address} (recorded by the running process in {recorded})" in (
            alive.stderr.replace("\n", " ")
        )
        given = run_clipper(path, "health", "--url", address)
        assert given.returncode == 0 and f"asking {address} (--url" in given.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)
    # stopped: no recorded address, so this configuration's (port 0 here: the Slack port)
    down = run_clipper(path, "health", "--timeout", "1")
    assert down.returncode == 1 and "(this configuration's; no " in down.stderr, down.stderr


def test_the_feed_health_file_is_named_by_the_day_it_reports_on(
    tmp_path: Path, server: FeedServer
) -> None:
    """A first start at 04:23, before the 08:00 report time, sends the report due the day
    before at once: it reports on the feeds as they are on 1 December, and says so."""
    url = server.route("/down", Reply(500, b"down"))
    path = write_config(tmp_path, feeds={"tech": [{"url": url, "name": "Down"}]})
    clock = Clock(datetime(2026, 12, 1, 4, 23, tzinfo=UTC))
    _config, clipper = build(path, clock)
    with clipper:
        for _ in range(2):  # broken after two failures in a row
            clipper.update_feeds(due_only=False)
            clock.advance(minutes=1)
        run = clipper.run_daily_care().feed_health
    assert run is not None and run.file is not None
    assert run.file.name == "feed-health-2026-12-01.md"
    assert run.file.read_text().startswith("# Feed health (2026-12-01 04:25 UTC)")


def test_each_feed_is_counted_and_its_failure_told_as_it_finishes_not_after_the_slowest(
    tmp_path: Path, server: FeedServer
) -> None:
    broken = server.route("/broken", Reply(500, b"down"))
    slow = server.route("/slow", Reply(200, rss([]), delay=30))
    path = write_config(
        tmp_path,
        feeds={"tech": [{"url": broken, "name": "Broken"}, {"url": slow, "name": "Slow"}]},
        settings={"fetch": {"read_timeout": "60s", "total_timeout": "90s"}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(path, "run", log=log)
    try:
        wait_until(lambda: "metrics on http" in log.read_text(), "the server", process, log)
        found = re.search(r"metrics on (http://127\.0\.0\.1:\d+)", log.read_text())
        assert found is not None
        metrics = f"{found.group(1)}/metrics"
        counted = 'clipper_feed_fetches_total{reason="http_5xx",result="error"} 1.0'
        wait_until(lambda: counted in httpx.get(metrics).text, "the failure counted", process, log)
        # told and counted while the slow feed is still being read: the pass has not ended
        assert server.in_flight == 1
        text = log.read_text()
        assert "failed Broken" in text and "feeds: " not in text, text
    finally:
        kill_clipper(process)
