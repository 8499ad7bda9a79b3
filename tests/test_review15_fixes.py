"""What an independent review of issue 15 found, each checked as an operator sees it: real feeds
on a local server, ``clipper`` commands and ``clipper run`` in child processes, real SQLite.

- a truncated or malformed feed is a failed fetch (reason ``parse``), counted, alerted on and
  never hidden behind a 304;
- ``clipper health`` works with a broken config file and asks the address the process serves;
- each Slack failure is one log line; the configuration watcher's ticks are not logged;
- a reload names only the settings a restart would apply, against what is running.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pytest

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import (
    kill_clipper,
    log_of_running,
    run_clipper,
    start_clipper,
    wait_on_log,
    wait_until,
)
from .support.health import free_port, image_healthcheck, passes, wait_for_address
from .support.seeding import acme_wire, mention, seed_matches

TRUNCATED = b"<rss><channel><title>x"


def test_a_truncated_feed_fails_with_reason_parse_and_is_never_hidden_by_a_304(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route(
        "/truncated",
        Reply(200, TRUNCATED, {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 09:00:00 GMT"}),
    )
    config = write_config(tmp_path, feeds={"tech": [{"url": url, "name": "Cut Short"}]})
    for _ in range(3):
        result = run_clipper(config, "-v", "fetch", "--once", "--all")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "0 ok, 0 not modified, 1 failed" in result.stdout
        assert "failed Cut Short" in result.stdout and "not well-formed" in result.stdout
    # the failed parse kept no validators: every poll asked for the whole document again
    assert [seen.headers.get("If-None-Match") for seen in server.hits("/truncated")] == [None] * 3
    health = run_clipper(config, "feeds", "health")
    assert health.returncode == 1, health.stdout + health.stderr
    assert "Broken: failing now (1)" in health.stdout and "Cut Short" in health.stdout
    assert "not well-formed" in health.stdout


def test_a_broken_feed_that_still_has_items_keeps_them_with_a_warning(
    tmp_path: Path, server: FeedServer
) -> None:
    body = (
        b'<rss version="2.0"><channel><title>x</title>'
        b"<item><title>Kept one</title><link>https://k.example/1</link></item>"
        b"<item><title>Cut"
    )
    url = server.route("/half", Reply(200, body))
    config = write_config(tmp_path, feeds={"tech": [{"url": url, "name": "Half Feed"}]})
    result = run_clipper(config, "-v", "fetch", "--once", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 ok, 0 not modified, 0 failed" in result.stdout
    assert "warning Half Feed" in result.stdout


def test_the_healthcheck_asks_the_running_process_even_after_a_typo_or_a_new_address(
    tmp_path: Path, server: FeedServer
) -> None:
    feed = server.route("/feed", Reply(200, rss([])))
    # no reload by the watcher: /healthz says "ok", not "degraded: reload refused", whenever
    # the check runs (either way the container is healthy: exit 0)
    config = write_config(
        tmp_path,
        feeds={"tech": [{"url": feed, "name": "Wire"}]},
        settings={"run": {"config_poll": 0}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(config, "run", log=log)
    try:
        wait_for_address(process, log)
        recorded = tmp_path / "var" / "health.addr"
        assert recorded.read_text().startswith("http://127.0.0.1:")
        # health.listen edited without a restart: the running process still answers
        elsewhere = free_port()
        text = config.read_text().replace("127.0.0.1:0", f"127.0.0.1:{elsewhere}")
        config.write_text(text)
        alive = run_clipper(config, *image_healthcheck())
        assert alive.returncode == 0 and alive.stdout.strip() == "ok", alive.stdout + alive.stderr
        # a YAML typo: the container that runs fine stays healthy
        config.write_text(text + "digest: [oops\n")
        alive = run_clipper(config, *image_healthcheck())
        assert alive.returncode == 0 and alive.stdout.strip() == "ok", alive.stdout + alive.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)
    assert not recorded.exists()
    # stopped, the file still broken: asks health.listen read from the file as text, and says so
    down = run_clipper(config, *image_healthcheck())
    assert down.returncode == 1, down.stdout + down.stderr
    assert "the configuration does not load" in down.stderr
    assert f"down: http://127.0.0.1:{elsewhere}/healthz does not answer" in down.stderr


def test_the_healthcheck_without_a_readable_listen_asks_the_default_address(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    config.write_text("health: {listen: [oops\n")
    down = run_clipper(config, "health", "--timeout", "1")
    assert down.returncode in (0, 1), down.stdout + down.stderr  # never 2: a usage error
    assert "the configuration does not load" in down.stderr
    assert "http://127.0.0.1:9464/healthz (the default)" in down.stderr


def test_each_slack_failure_is_one_clipper_line_without_slack_sdk_s_own(tmp_path: Path) -> None:
    from .test_admin_notice import ADMIN, TYPO, config_with

    config = config_with(tmp_path, [ADMIN, TYPO])
    unreachable = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/",
    }
    log = tmp_path / "run.log"
    with log_of_running(config, log, unreachable, ("-v", "run")) as read:
        wait_on_log(lambda: passes(read()) >= 2, "two fetch-and-match passes", read)
    text = log.read_text()
    assert "Failed to send a request to Slack API server" not in text
    failures = [line for line in text.splitlines() if "could not tell the admin" in line]
    assert len(failures) == 1, text
    assert "tick configuration took" not in text  # every second: never at -v
    assert "tick touch webhook took" not in text  # idle: nothing to say


def test_a_reload_names_only_what_a_restart_would_change_from_what_is_running(
    tmp_path: Path, server: FeedServer
) -> None:
    feed = server.route("/feed", Reply(200, rss([])))
    config = write_config(
        tmp_path,
        feeds={"tech": [{"url": feed, "name": "Wire"}]},
        settings={"run": {"config_poll": 0}},
    )
    started = config.read_text()
    log = tmp_path / "run.log"
    process = start_clipper(config, "-v", "run", log=log)  # a routine reload is said at -v

    def reload_with(text: str, count: int) -> str:
        config.write_text(text)
        process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: log.read_text().count("configuration reloaded (SIGHUP)") >= count,
            "the reload",
            process,
            log,
        )
        return [row for row in log.read_text().splitlines() if "configuration reloaded" in row][-1]

    try:
        # a SIGHUP as soon as the health server answers reloads (the handlers are installed
        # before anything listens), it does not end the process
        wait_for_address(process, log)
        # the daily report's time is read live: nothing to restart for
        line = reload_with(started + "alerts:\n  feed_health:\n    time: '09:30'\n", 1)
        assert "restart" not in line, line
        moved = started.replace("127.0.0.1:0", f"127.0.0.1:{free_port()}")
        line = reload_with(moved, 2)
        assert "need a restart to apply: health.listen" in line, line
        # put back to what the process serves: no restart needed any more
        line = reload_with(started, 3)
        assert "restart" not in line, line
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)


def test_the_compose_file_makes_the_published_health_port_reachable(tmp_path: Path) -> None:
    import yaml

    from clipper.config import load_config

    from .conftest import REPO

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["clipper"]
    assert "127.0.0.1:9464:9464" in compose["ports"]
    environment = {k: str(v) for k, v in compose["environment"].items()}
    config = write_config(tmp_path)
    listen = load_config(config, environment).settings.health.listen
    assert listen == "0.0.0.0:9464"
    # a bad value is named, not ignored
    bad = run_clipper(config, "check", env={"CLIPPER_HEALTH_LISTEN": "localhost"})
    assert bad.returncode == 2 and "CLIPPER_HEALTH_LISTEN" in bad.stderr, bad.stderr


def test_a_digest_waiting_for_matching_is_told_once_by_the_run_loop_not_logged_again(
    tmp_path: Path, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """``clipper run`` tells the wait as one event with its rep (``clipper.run``); the digest
    tick itself logs it at debug only, so JSON logs at -v hold one line, not two."""
    clock = Clock()
    path = acme_wire(tmp_path, server, 6)
    _config, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        seed_matches(clipper.storage, clock(), lambda _a: mention("Acme"), limit=3)
        with caplog.at_level(logging.INFO):
            report = clipper.digests.compose_due()
    assert report.waiting == ["rep@example.com"]
    assert not [r for r in caplog.records if "waits for matching" in r.getMessage()]
