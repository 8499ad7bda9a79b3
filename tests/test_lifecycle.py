"""``clipper run`` as a child process, stopped and reloaded as an operator does it: SIGTERM while
feeds are being fetched and digest parts posted, SIGHUP after an edit, a broken edit."""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from clipper.adapters.storage import Storage
from clipper.config import load_config
from clipper.exceptions import StorageError

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import Fault, SlackStub
from .support.cli import kill_clipper, run_clipper, start_clipper, wait_until
from .support.health import free_port, image_healthcheck
from .test_digest_delivery import USERS, Setup, acme, seed

SLOW_FEEDS = 40
FETCH_DELAY = 1.5  # within the tests' 2 s read timeout: in-flight fetches succeed
POST_DELAY = 1.5
GRACE = 15.0


def keys(posts: list[dict[str, Any]]) -> Counter[str]:
    return Counter(json.dumps(p["metadata"], sort_keys=True) for p in posts)


def test_sigterm_with_fetches_and_posts_in_flight_exits_0_and_loses_or_repeats_nothing(
    tmp_path: Path, server: FeedServer
) -> None:
    with SlackStub(dict(USERS)) as slack:
        setup = Setup(tmp_path, server, slack)
        setup.clock = Clock(datetime.now(UTC))
        northwind = [("Northwind Logistics", f"Northwind Logistics hub {n}") for n in range(60)]
        clipper = seed(
            setup,
            acme(120) + northwind,
            slack={"pace_s": 0.0},
            fetch={"concurrency": 4},
            run={"shutdown_grace": f"{GRACE:g}s", "config_poll": 0},
        )
        with clipper:
            clipper.digests.compose_due(force=True)
            queued = clipper.storage.digest_parts()
        assert len(queued) >= 6 and all(p.state == "pending" for p in queued)
        slack.ts_clock = time.time  # the child posts on the wall clock
        # feeds that answer slowly: fetches are in flight when the signal comes
        slow = [
            {
                "url": server.route(f"/slow{n}", Reply(200, rss([]), delay=FETCH_DELAY)),
                "name": f"S{n}",
            }
            for n in range(SLOW_FEEDS)
        ]
        (tmp_path / "feeds" / "slow.yaml").write_text(
            yaml.safe_dump({"industry": "slow", "description": "slow news", "feeds": slow})
        )

        def slow_posts(method: str, _body: dict[str, Any]) -> None:
            if method == "chat.postMessage":
                time.sleep(POST_DELAY)

        slack.hook = slow_posts
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": slack.base_url}
        assert setup.path is not None
        log = tmp_path / "run.log"
        process = start_clipper(setup.path, "-v", "run", log=log, env=env)
        try:
            wait_until(
                lambda: (
                    slack.count("chat.postMessage") >= 2
                    and any(server.hits(f"/slow{n}") for n in range(SLOW_FEEDS))
                ),
                "posts and fetches in flight",
                process,
                log,
            )
            process.send_signal(signal.SIGTERM)
            asked = time.monotonic()
            code = process.wait(timeout=GRACE + 30)
            took = time.monotonic() - asked
        finally:
            kill_clipper(process)
        text = log.read_text()
        assert code == 0, text
        assert took < GRACE, text
        # one line when the shutdown starts, saying what is in flight, and one when it ends
        assert "SIGTERM: shutting down; in flight: " in text, text
        assert "fetch and match" in text.split("SIGTERM: shutting down", 1)[1], text
        assert "shut down in " in text, text
        # fetches not started were released, not waited for
        fetched = sum(len(server.hits(f"/slow{n}")) for n in range(SLOW_FEEDS))
        assert fetched < SLOW_FEEDS, text
        posted = keys(slack.posts())
        assert posted and max(posted.values()) == 1, posted
        storage = Storage(load_config(setup.path, {}).database_path)
        try:
            parts = storage.digest_parts()
        finally:
            storage.close()
        states = Counter(p.state.value for p in parts)
        # every part is either posted and marked sent, or pending for the next start
        assert set(states) <= {"sent", "pending"}, states
        assert states["sent"] == sum(posted.values()), (states, posted)
        assert states["pending"] > 0, states

        # the next start delivers what was left, and nothing twice
        slack.hook = None
        again = run_clipper(setup.path, "digest", env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        posted = keys(slack.posts())
        assert sum(posted.values()) == len(parts) and max(posted.values()) == 1, posted


def test_a_second_sigterm_exits_at_once_and_says_so(tmp_path: Path, server: FeedServer) -> None:
    slow = [
        {"url": server.route(f"/slow{n}", Reply(200, rss([]), delay=20)), "name": f"S{n}"}
        for n in range(2)
    ]
    path = write_config(tmp_path, feeds={"slow": slow}, settings={"run": {"shutdown_grace": "60s"}})
    log = tmp_path / "run.log"
    process = start_clipper(path, "run", log=log)
    try:
        wait_until(lambda: bool(server.hits("/slow0")), "a fetch in flight", process, log)
        process.send_signal(signal.SIGTERM)
        wait_until(
            lambda: "shutting down" in log.read_text(), "the first signal's line", process, log
        )
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 128 + signal.SIGTERM, text
    assert "second SIGTERM: exiting now without waiting (in flight: fetch and match)" in text, text


def matched_accounts(path: Path) -> set[str]:
    storage = Storage(load_config(path, {}).database_path)
    try:
        return {m.account for m in storage.recent_matches(limit=50)}
    except StorageError:  # the child has not made its tables yet
        return set()
    finally:
        storage.close()


def test_sighup_after_editing_accounts_matches_the_new_account_next_cycle(
    tmp_path: Path, server: FeedServer
) -> None:
    first = server.route(
        "/first",
        Reply(
            200,
            rss(
                [
                    {
                        "title": "Acme Robotics opens a plant",
                        "link": "https://n.example/1",
                        "guid": "1",
                    }
                ]
            ),
        ),
    )
    path = write_config(
        tmp_path,
        feeds={"tech": [{"url": first, "name": "Wire"}]},
        accounts=[{"name": "Acme Robotics", "owner": "rep@example.com"}],
        settings={"fetch": {"tick": "1s", "backfill_window": "3650d"}, "run": {"config_poll": 0}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(path, "-v", "run", log=log)  # reloads are said at -v
    try:
        wait_until(
            lambda: "Acme Robotics" in matched_accounts(path), "the first match", process, log
        )
        accounts = tmp_path / "config" / "accounts.yaml"
        accounts.write_text(
            yaml.safe_dump(
                {
                    "accounts": [
                        {"name": "Acme Robotics", "owner": "rep@example.com"},
                        {"name": "Globex Corporation", "owner": "rep@example.com"},
                    ]
                }
            )
        )
        second = server.route(
            "/second",
            Reply(
                200,
                rss(
                    [
                        {
                            "title": "Globex Corporation wins a contract",
                            "link": "https://n.example/2",
                            "guid": "2",
                        }
                    ]
                ),
            ),
        )
        (tmp_path / "feeds" / "more.yaml").write_text(
            yaml.safe_dump(
                {
                    "industry": "more",
                    "description": "more news",
                    "feeds": [{"url": second, "name": "More"}],
                }
            )
        )
        process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: "Globex Corporation" in matched_accounts(path),
            "a match for the new account",
            process,
            log,
        )
        assert "configuration reloaded (SIGHUP): 2 feeds, 2 accounts, 1 rep" in log.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)


def test_a_broken_edit_keeps_the_old_config_running_and_says_where(
    tmp_path: Path, server: FeedServer
) -> None:
    import httpx

    feed = server.route("/feed", Reply(200, rss([])))
    path = write_config(
        tmp_path,
        feeds={"tech": [{"url": feed, "name": "Wire"}]},
        accounts=[{"name": "Acme Robotics", "owner": "rep@example.com"}],
        settings={"run": {"config_poll": "0.5s"}, "web": {"listen": "127.0.0.1:0"}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(path, "-v", "run", log=log)  # reloads are said at -v
    try:
        wait_until(lambda: "health and metrics on" in log.read_text(), "the server", process, log)
        found = re.search(r"health and metrics on (http://127\.0\.0\.1:\d+)", log.read_text())
        assert found is not None
        health = f"{found.group(1)}/healthz"
        assert httpx.get(health, timeout=10).text == "ok\n"
        accounts = tmp_path / "config" / "accounts.yaml"
        good = accounts.read_text()
        time.sleep(0.05)  # a new modification time even on a coarse clock
        accounts.write_text("accounts:\n  - name: Acme Robotics\n    owner: [rep@example.com\n")
        wait_until(lambda: "refused" in log.read_text(), "the refusal", process, log)
        text = log.read_text()
        line = next(row for row in text.splitlines() if "refused" in row)
        assert "configuration reload (a configuration file changed) refused" in line, line
        assert f"{accounts}:3" in line, line
        answer = httpx.get(health, timeout=10)
        assert answer.status_code == 200 and answer.text.startswith("degraded: "), answer.text
        assert f"{accounts}:3" in answer.text
        # still running the old configuration: it goes on ticking, and the fix is picked up
        time.sleep(1.5)
        assert process.poll() is None
        accounts.write_text(good + "\n")
        wait_until(lambda: "configuration reloaded" in log.read_text(), "the reload", process, log)
        assert httpx.get(health, timeout=10).text == "ok\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)


def test_the_health_command_exits_0_while_run_answers_and_1_once_it_stopped(
    tmp_path: Path, server: FeedServer
) -> None:
    """The container's HEALTHCHECK: ``clipper health`` asks the running process's /healthz."""
    feed = server.route("/feed", Reply(200, rss([])))
    port = free_port()
    path = write_config(
        tmp_path,
        feeds={"tech": [{"url": feed, "name": "Wire"}]},
        settings={"web": {"listen": f"127.0.0.1:{port}"}},
    )
    log = tmp_path / "run.log"
    process = start_clipper(path, "run", log=log)
    try:
        wait_until(lambda: "health and metrics on" in log.read_text(), "the server", process, log)
        # exactly what the image's HEALTHCHECK and docker-compose.yml's healthcheck run
        probe = image_healthcheck()
        alive = run_clipper(path, *probe)
        assert alive.returncode == 0 and alive.stdout.strip() == "ok", alive.stdout + alive.stderr
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        kill_clipper(process)
    assert "SIGINT: shutting down" in log.read_text()
    down = run_clipper(path, *probe)
    assert down.returncode == 1, down.stdout + down.stderr
    assert f"down: http://127.0.0.1:{port}/healthz does not answer" in down.stderr


def test_serve_stops_on_sigterm_with_exit_0(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[{"name": "Acme Robotics", "owner": "rep@example.com"}])
    log = tmp_path / "serve.log"
    process = start_clipper(path, "serve", "--host", "127.0.0.1", "--port", "0", log=log)
    try:
        wait_until(lambda: "health and metrics on" in log.read_text(), "the server", process, log)
        found = re.search(r"health and metrics on (http://127\.0\.0\.1:\d+)", log.read_text())
        assert found is not None
        alive = run_clipper(path, "health", "--url", f"{found.group(1)}/healthz")
        assert alive.returncode == 0 and alive.stdout.strip() == "ok", alive.stderr
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        kill_clipper(process)
    text = log.read_text()
    assert code == 0, text
    assert "SIGTERM: shutting down" in text and "shut down: the server is closed" in text, text


def test_a_stop_during_a_retry_after_wait_cuts_it_short_and_the_next_start_posts_once(
    tmp_path: Path, server: FeedServer
) -> None:
    with SlackStub(dict(USERS)) as slack:
        setup = Setup(tmp_path, server, slack)
        clipper = seed(setup, acme(3), slack={"pace_s": 0.0})
        # Slack asks for a 30 s wait; the stop comes a second into it
        slack.faults.append(Fault("chat.postMessage", nth=1, action="429", retry_after=30))
        timer = threading.Timer(1.0, clipper.stopping.set)
        timer.start()
        asked = time.monotonic()
        with clipper:
            clipper.digest(force=True)
            took = time.monotonic() - asked
            parts = clipper.storage.digest_parts()
        timer.cancel()
        assert took < 10
        assert slack.posts() == [] and parts and all(p.state.value != "sent" for p in parts)
        with setup.clipper() as again:
            again.digest()
            assert all(p.state.value == "sent" for p in again.storage.digest_parts())
        posted = keys(slack.posts())
        assert sum(posted.values()) == len(parts) and max(posted.values()) == 1, posted
