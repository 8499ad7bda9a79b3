"""Health, readiness, metrics and logs of real ``clipper run`` processes without Slack: a local
feed server, one SQLite file, the health server at ``health.listen`` (issue 15 items 1-3)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import WITHOUT_SLACK, clipper_running, clipper_serving, wait_until
from .support.health import (
    LISTENING,
    free_port,
    metric_samples,
    metric_value,
    readyz,
    wait_for_address,
)
from .support.seeding import PAIR_ACCOUNTS, PAIR_ITEMS, PAIR_REPS


def _config(root: Path, server: FeedServer, **settings: Any) -> Path:
    wire = server.route("/wire", Reply(200, rss(PAIR_ITEMS)))
    broken = server.route("/broken", Reply(500, b"down for maintenance"))
    return write_config(
        root,
        feeds={"news": [{"url": wire, "name": "Wire"}, {"url": broken, "name": "Broken"}]},
        accounts=PAIR_ACCOUNTS,
        reps=PAIR_REPS,
        settings={"fetch": {"tick": "1s"}, **settings},
    )


@contextmanager
def running(
    config: Path, *args: str, root: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """``clipper [ARGS] run`` without Slack; yields the process, its stdout and stderr files."""
    stdout, stderr = root / "run.out", root / "run.err"
    with clipper_running(
        config, *args, "run", log=stdout, err=stderr, drop=WITHOUT_SLACK
    ) as process:
        yield process, stdout, stderr


def test_run_without_slack_serves_health_readiness_and_metrics_after_a_cycle(
    tmp_path: Path, server: FeedServer
) -> None:
    config = _config(tmp_path, server)
    with running(config, root=tmp_path) as (process, out, err):
        base = wait_for_address(process, out, err)
        # one cycle: fetched, matched, both digests written
        wait_until(
            lambda: len(list((tmp_path / "var" / "digests").glob("*/*.md"))) >= 2,
            "the first digests",
            process,
            out,
            err,
        )
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert (health.status_code, health.text) == (200, "ok\n")
        # the configuration has no skipped parts, the database takes a write, every job ticks
        ready = wait_until(
            lambda: (r := readyz(base)).status_code == 200 and r, "ready", process, out, err
        )
        assert ready.text == "ready\n"
        samples = wait_until(
            lambda: (
                (s := metric_samples(base))
                and metric_value(s, "clipper_scheduler_tick_seconds_count", job="digests") >= 1
                and s
            ),
            "a digest tick counted",
            process,
            out,
            err,
        )
        assert metric_value(samples, "clipper_feed_fetches_total", result="ok", reason="none") == 1
        # the failing feed is counted by reason, never by URL
        assert (
            metric_value(samples, "clipper_feed_fetches_total", result="error", reason="http_5xx")
            >= 1
        )
        assert not any("127.0.0.1" in str(labels) for _name, labels in samples)
        assert metric_value(samples, "clipper_articles_new_total") == 4
        assert metric_value(samples, "clipper_matches_total", kind="account") >= 4
        assert metric_value(samples, "clipper_embedding_texts_total") > 0
        assert metric_value(samples, "clipper_embedding_seconds_count") > 0
        assert metric_value(samples, "clipper_digests_queued_total", kind="digest") == 2
        assert metric_value(samples, "clipper_digests_sent_total", sink="terminal") == 2
        assert (
            metric_value(samples, "clipper_digest_parts_total", sink="terminal", outcome="sent")
            >= 2
        )
        assert (
            metric_value(samples, "clipper_scheduler_tick_seconds_count", job="fetch and match")
            >= 1
        )
        assert (
            metric_value(samples, "clipper_scheduler_tick_seconds_sum", job="fetch and match") > 0
        )
        # read from storage at scrape time: nothing waits, nothing is disabled yet
        assert ("clipper_outbox_pending_parts", ()) in samples
        assert metric_value(samples, "clipper_outbox_pending_parts") == 0
        assert metric_value(samples, "clipper_outbox_oldest_pending_age_seconds") == 0
        assert ("clipper_feeds_disabled", ()) in samples

        # another writer holds the database's write lock: not ready, and it says why
        with sqlite3.connect(tmp_path / "var" / "clipper.db", isolation_level=None) as blocker:
            blocker.execute("BEGIN IMMEDIATE")
            try:
                refused = readyz(base)
                assert refused.status_code == 503
                assert refused.text.startswith("not ready\n- database: not writable")
                assert "locked" in refused.text
                as_json = httpx.get(f"{base}/readyz?format=json", timeout=10)
                assert as_json.status_code == 503
                body = as_json.json()
                assert body["ready"] is False
                assert body["problems"][0].startswith("database: not writable")
                # alive all the same: a restart would not help
                assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            finally:
                blocker.execute("ROLLBACK")
        # ready again by itself once the lock is gone; a fetch tick that waited for the lock
        # longer than twice fetch.tick (1 s here) is reported stale until it finishes
        again = wait_until(
            lambda: (r := readyz(base)).status_code == 200 and r,
            "ready again after the lock",
            process,
            out,
            err,
        )
        assert again.text == "ready\n"

        # idle ticks (nothing due: the feeds' next check is minutes away) print nothing
        ticks = metric_value(
            metric_samples(base), "clipper_scheduler_tick_seconds_count", job="fetch and match"
        )
        wait_until(
            lambda: (
                metric_value(
                    metric_samples(base),
                    "clipper_scheduler_tick_seconds_count",
                    job="fetch and match",
                )
                >= ticks + 3
            ),
            "three more fetch ticks",
            process,
            out,
            err,
        )
        printed = out.read_text()
    assert printed.count("feeds: ") == 1, printed
    assert printed.count("matched ") == 1, printed
    assert "feeds: 1 ok, 0 not modified, 1 failed; new articles: 4" in printed


def test_a_tick_that_overruns_makes_readyz_say_the_scheduler_is_stale(
    tmp_path: Path, server: FeedServer
) -> None:
    slow = server.route("/slow", Reply(200, rss(PAIR_ITEMS), delay=6))
    config = write_config(
        tmp_path,
        feeds={"news": [{"url": slow, "name": "Slow"}]},
        accounts=PAIR_ACCOUNTS,
        reps=PAIR_REPS,
        settings={"fetch": {"tick": "1s", "read_timeout": "20s", "total_timeout": "30s"}},
    )
    with running(config, root=tmp_path) as (process, out, err):
        base = wait_for_address(process, out, err)
        # the first fetch waits 6 s for the feed: over twice the 1 s tick
        stale = wait_until(
            lambda: (r := readyz(base)).status_code == 503 and "scheduler" in r.text and r,
            "a stale scheduler",
            process,
            out,
            err,
        )
        assert "- scheduler: 'fetch and match' has not ticked for" in stale.text
        assert "(every 1 s; stale after 2 s)" in stale.text
        # once the tick finishes, ready again
        wait_until(lambda: readyz(base).status_code == 200, "ready again", process, out, err)


def _listening_sockets(pid: int) -> set[str]:
    """Return the TCP sockets process ``pid`` listens on, as /proc/net/tcp{,6} local addresses."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                found.add(fields[1])
    return found


def test_health_listen_off_serves_nothing(tmp_path: Path, server: FeedServer) -> None:
    config = _config(tmp_path, server, health={"listen": "off"})
    with running(config, root=tmp_path) as (process, out, err):
        wait_until(lambda: "matched " in out.read_text(), "the first cycle", process, out, err)
        assert _listening_sockets(process.pid) == set()
    assert "health, readiness and metrics" not in out.read_text()


def test_health_listen_on_the_web_page_s_address_is_served_once_from_one_server(
    tmp_path: Path, server: FeedServer
) -> None:
    address = f"127.0.0.1:{free_port()}"
    config = _config(tmp_path, server, health={"listen": address}, web={"listen": address})
    with running(config, root=tmp_path) as (process, out, err):
        wait_until(lambda: "matched " in out.read_text(), "the first cycle", process, out, err)
        assert len(_listening_sockets(process.pid)) == 1
        assert httpx.get(f"http://{address}/healthz", timeout=10).status_code == 200
        assert readyz(f"http://{address}").status_code in (200, 503)
        assert "clipper_feed_fetches_total" in httpx.get(f"http://{address}/metrics").text
    assert "cannot listen" not in err.read_text()


def test_json_logs_parse_line_by_line_and_carry_the_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    config = _config(tmp_path, server)
    with running(config, "--log-format", "json", root=tmp_path) as (process, out, err):
        wait_until(lambda: '"matched ' in err.read_text(), "the first cycle", process, out, err)
    lines = [json.loads(line) for line in err.read_text().splitlines()]
    assert lines and all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    failed = [line for line in lines if line.get("feed") == "Broken"]
    assert failed and failed[0]["level"] == "warning"
    assert failed[0]["reason"] == "http_5xx" and failed[0]["status"] == "error"
    assert failed[0]["msg"].startswith("failed Broken <http://127.0.0.1:")
    wire = [line for line in lines if line.get("feed") == "Wire" and line.get("new") == 4]
    assert wire and wire[0]["msg"].endswith("/wire: ok, 4 new, 0 updated, 0 silent")
    assert wire[0]["logger"] == "clipper.pipeline" and wire[0]["level"] == "info"
    assert any(line["msg"].startswith("matched 4 new articles") for line in lines)
    assert any(line.get("rep") == "sam@example.com" and "digest" in line for line in lines)


def test_a_bad_health_listen_is_a_configuration_error_naming_the_key(tmp_path: Path) -> None:
    from .support.cli import run_clipper

    config = write_config(tmp_path, settings={"health": {"listen": "localhost"}})
    done = run_clipper(config, "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "health.listen" in done.stderr and "'localhost' is not host:port or off" in done.stderr


def test_serve_without_slack_answers_readyz_on_both_servers(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    log = tmp_path / "serve.log"
    with clipper_serving(
        config, log, LISTENING.pattern, "the health server", stop_timeout=30
    ) as health:
        page = re.search(
            r"report page \(signed links only\) on (http://\S+)/report", log.read_text()
        )
        assert page is not None, log.read_text()
        for base in (health, page.group(1)):
            assert readyz(base).text == "ready\n"
            assert httpx.get(f"{base}/healthz", timeout=10).text == "ok\n"
        assert "clipper_http_requests_total" in httpx.get(f"{health}/metrics", timeout=10).text
