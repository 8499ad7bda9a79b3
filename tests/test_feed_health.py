"""The admin's daily feed-health report: real feeds on a local server fetched into real SQLite,
the report posted to the Slack stand-in once a day (restart included), or written as Markdown
without Slack; `clipper feeds health` prints the same report."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub, validate_blocks
from .support.cli import run_clipper
from .support.seeding import rss_items
from .support.slack import stub

__all__ = ["stub"]

#: a Monday morning; the report is due at 08:00 Berlin (07:00 UTC)
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = "Quiet *Wire* <!channel>"


@pytest.fixture
def slack_users() -> dict[str, str]:
    return {"ada@example.com": "UADA", "sam@example.com": "USAM"}


class Feeds:
    """Five feeds, each with one problem once ``age`` has run: broken (500), disabled (410),
    stale (the same items for 20 days), moved (301) and overflowing (every item new)."""

    def __init__(self, server: FeedServer, root: Path) -> None:
        self.server = server
        self.root = root
        self.broken = server.route("/broken", Reply(500, b"oops"))
        self.gone = server.route("/gone", Reply(410, b""))
        self.quiet = server.route("/quiet", Reply(200, rss(rss_items(["Q1", "Q2"]))))
        self.new_home = server.route(
            "/new-home", Reply(200, rss(rss_items(["M1"], base="https://m.example/")))
        )
        self.moved = server.route("/old-home", Reply(301, b"", {"Location": self.new_home}))
        self.busy = server.route(
            "/busy", Reply(200, rss(rss_items(["B1", "B2"], base="https://b.example/")))
        )

    def config(self, **alerts: Any) -> Path:
        return write_config(
            self.root,
            feeds={
                "tech": [
                    {"url": self.broken, "name": "Broken Wire"},
                    {"url": self.gone, "name": "Gone Daily"},
                    {"url": self.quiet, "name": HOSTILE},
                    {"url": self.moved, "name": "Moved Post"},
                    {"url": self.busy, "name": "Busy Ticker"},
                ]
            },
            reps=[{"email": "ada@example.com", "role": "admin"}, {"email": "sam@example.com"}],
            settings={
                "alerts": {
                    "feed_health": {"time": "08:00", "timezone": "Europe/Berlin"},
                    **alerts,
                }
            },
        )

    def age(self, clipper: Clipper, clock: Clock) -> None:
        """Fetch everything, then again 20 days later with new items only on two feeds."""
        clipper.update_feeds(due_only=False)
        clock.advance(days=20)
        self.server.route(
            "/new-home", Reply(200, rss(rss_items(["M1", "M2"], base="https://m.example/")))
        )
        self.server.route(
            "/busy",
            Reply(
                200,
                rss(
                    [
                        {"title": t, "guid": t, "link": f"https://b.example/{t}"}
                        for t in ("B3", "B4", "B5")
                    ]
                ),
            ),
        )
        clipper.update_feeds(due_only=False)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def slack_clipper(config: Path, stub: SlackStub, clock: Clock) -> Clipper:
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}
    return make_clipper(load_config(config, env), _clock=clock)


def shown(message: dict[str, Any]) -> str:
    return message["text"] + "\n".join(
        b["text"]["text"] for b in message["blocks"] if b["type"] == "section"
    )


def test_the_admin_gets_one_report_a_day_listing_each_problem_with_its_fix(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    feeds = Feeds(server, tmp_path)
    config = feeds.config(admin="UADA")
    catalog = tmp_path / "feeds" / "tech.yaml"
    clock = Clock(START)
    with slack_clipper(config, stub, clock) as clipper:
        feeds.age(clipper, clock)
        done = clipper.run_daily_care()
        assert done.feed_health is not None and done.feed_health.queued == ("UADA",)
        again = clipper.run_daily_care()  # the next tick, the same day
        assert again.feed_health is not None and again.feed_health.report is None
    (message,) = stub.posts("DUADA")
    assert validate_blocks(message["blocks"])[1] == []
    text = shown(message)
    assert "5 feeds of 5 need attention" in text
    # broken: the last error; disabled: why, since when, and the command that re-enables it
    assert "Broken Wire" in text and "500" in text
    assert "Gone Daily" in text and "410 Gone" in text
    assert f"`clipper feeds enable {feeds.gone}`" in text
    # moved: the new URL to put at the catalog's line
    assert f"edit the url at {catalog}:{line_of(catalog, '/old-home')} to {feeds.new_home}" in text
    # stale: no new item for 20 days; the feed's name is shown literally
    assert "no new item in 20 days" in text
    assert "Quiet ∗Wire∗ &lt;!channel&gt;" in text and "<!channel>" not in text
    # overflowing: every item new, so a shorter interval at the feed's line
    assert "Busy Ticker" in text and "found every item new" in text
    assert f"to the feed at {catalog}:{line_of(catalog, '/busy')}" in text
    assert "add `interval: 12h`" in text  # half the day it is polled at now

    # a restart the same day sends nothing more; the next day's report goes out
    with slack_clipper(config, stub, clock) as restarted:
        assert restarted.run_daily_care().feed_health == type(done.feed_health)()
        assert len(stub.posts("DUADA")) == 1
        clock.advance(days=1)
        restarted.run_daily_care()
    assert len(stub.posts("DUADA")) == 2
    assert stub.posts("DUSAM") == []


def test_nothing_is_sent_while_every_feed_is_healthy_unless_asked(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    url = server.route("/ok", Reply(200, rss(rss_items(["A", "B"]))))
    settings: dict[str, Any] = {"alerts": {"admin": "C0OPS"}}
    config = write_config(
        tmp_path, feeds={"tech": [{"url": url, "name": "Fine"}]}, settings=settings
    )
    clock = Clock(START)
    with slack_clipper(config, stub, clock) as clipper:
        clipper.update_feeds(due_only=False)
        run = clipper.run_daily_care().feed_health
        assert run is not None and run.report is not None and run.report.healthy
    assert stub.posts("C0OPS") == []
    settings["alerts"]["feed_health"] = {"send_when_healthy": True}
    config = write_config(
        tmp_path, feeds={"tech": [{"url": url, "name": "Fine"}]}, settings=settings
    )
    clock.advance(days=1)
    with slack_clipper(config, stub, clock) as clipper:
        clipper.run_daily_care()
    (message,) = stub.posts("C0OPS")
    assert "all 1 feed healthy" in shown(message)


def test_without_slack_the_report_is_a_markdown_file_and_one_log_line(
    tmp_path: Path, server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feeds = Feeds(server, tmp_path)
    config = feeds.config()
    clock = Clock(START)
    caplog.set_level(logging.WARNING, logger="clipper.care")
    with make_clipper(load_config(config, {}), _clock=clock) as clipper:
        feeds.age(clipper, clock)
        run = clipper.run_daily_care().feed_health
    assert run is not None and run.file is not None
    assert run.file == tmp_path / "var" / "feed-health" / "feed-health-2026-12-13.md"
    markdown = run.file.read_text()
    assert markdown.startswith("# Feed health (2026-12-13 09:00 UTC)")
    for heading in ("## Broken", "## Disabled", "## Stale", "## Moved", "## Overflowing"):
        assert heading in markdown
    assert f"`clipper feeds enable {feeds.gone}`" in markdown
    assert "add `interval: 12h` to the feed at" in markdown
    assert "Quiet \\*Wire\\* \\<!channel\\>" in markdown
    (line,) = [r.getMessage() for r in caplog.records if r.name == "clipper.care"]
    assert "5 feeds of 5 need attention" in line and str(run.file) in line
    # a restart the same day writes nothing more
    run.file.unlink()
    with make_clipper(load_config(config, {}), _clock=clock) as restarted:
        assert restarted.run_daily_care().feed_health == type(run)()
    assert not run.file.exists()


def test_feeds_health_prints_the_report_and_exits_1_on_a_broken_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    feeds = Feeds(server, tmp_path)
    config = feeds.config()
    assert run_clipper(config, "fetch", "--once", "--all").returncode == 1
    assert run_clipper(config, "fetch", "--once", "--all").returncode == 1
    result = run_clipper(config, "feeds", "health")
    assert result.returncode == 1, result.stderr
    assert "Broken: failing now (1)" in result.stdout
    assert "Disabled: no longer polled (1)" in result.stdout
    assert f"clipper feeds enable {feeds.gone}" in result.stdout
    assert "Moved: permanently redirected (1)" in result.stdout


def test_a_bad_admin_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, settings={"alerts": {"admin": "#ops"}})
    result = run_clipper(config, "check")
    assert result.returncode == 2
    assert "clipper.yaml:" in result.stderr and "alerts.admin" in result.stderr
    assert "use the channel's id" in result.stderr


def test_clipper_run_writes_the_days_report_once_across_a_restart(tmp_path: Path) -> None:
    from .support.cli import log_of_running, wait_on_log
    from .support.health import passes

    config = write_config(
        tmp_path,
        feeds={"tech": [{"url": "missing.xml", "name": "Gone Missing"}]},
        settings={"fetch": {"tick": "1s"}, "alerts": {"feed_health": {"time": "00:00"}}},
    )
    for _ in range(2):  # two failures in a row: broken
        assert run_clipper(config, "fetch", "--once", "--all").returncode == 1
    folder = tmp_path / "var" / "feed-health"
    with log_of_running(config, tmp_path / "first.log") as read:
        wait_on_log(lambda: folder.exists() and any(folder.iterdir()), "feed-health file", read)
        wait_on_log(lambda: passes(read()) >= 1, "a fetch-and-match pass", read)
    (report,) = folder.iterdir()
    assert "Gone Missing" in report.read_text() and "file not found" in report.read_text()
    first = (tmp_path / "first.log").read_text()
    lines = [line for line in first.splitlines() if "feed health:" in line]
    assert len(lines) == 1 and str(report) in lines[0]
    report.unlink()
    with log_of_running(config, tmp_path / "second.log") as read:
        wait_on_log(lambda: passes(read()) >= 3, "three passes", read)
    assert "feed health:" not in (tmp_path / "second.log").read_text()
    assert not report.exists()
