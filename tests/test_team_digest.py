"""Issue 12 item 5: a manager's weekly team digest, with every number `/clip report` shows.

Articles arrive through the real fetcher from a local feed server into real SQLite, a second
feed fails for real, matches are stored through the storage port, shares are logged through
the facade, and the digest goes through the outbox to the local Slack stand-in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.exceptions import ConfigError
from clipper.logic.blockkit import MAX_SECTION, validate
from clipper.logic.clip import parse_clip
from clipper.logic.digest import RepSchedule, last_due
from clipper.logic.team import render_team_slack
from clipper.slackclip import answer_clip
from clipper.types import (
    AccountActivity,
    ActivityCounts,
    BrokenFeed,
    DigestKind,
    Match,
    MatchResult,
    OwnerCoverage,
    TouchReport,
)
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.seeding import SEED_OWNER, mention, rss_items, seed_matches
from .support.slack import TEAM_USERS, stub

__all__ = ["stub"]

#: a Monday, 09:00 UTC: the managers' default team day, an hour after the default digest time
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "dana@example.com", "name": "Dana"},
    {"email": "max@example.com", "name": "Max", "role": "manager"},
]
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Helix Components", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return TEAM_USERS


class Team:
    """A team with a week of news: Acme matched three weeks ago and twice this week, shared
    once; Helix touched without news; Northwind matched this week, never touched; a feed that
    fails."""

    def __init__(self, tmp_path: Path, server: FeedServer, stub: SlackStub | None) -> None:
        self.clock = Clock(MONDAY - timedelta(days=21))
        self.server = server
        self.feed = server.route("/feed", Reply(200, rss(rss_items(["Acme Robotics wins award"]))))
        broken = server.route("/broken", Reply(500, b"down"))
        environ = {}
        if stub is not None:
            stub.ts_clock = lambda: self.clock().timestamp()
            environ = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}
        path = write_config(
            tmp_path,
            feeds={"x": [{"url": self.feed, "name": "Wire"}, {"url": broken, "name": "Broken"}]},
            accounts=ACCOUNTS,
            reps=REPS,
            settings={"slack": {"pace_s": 0.0}},
        )
        self.clipper: Clipper = make_clipper(load_config(path, environ), _clock=self.clock)
        self.fetch_and_match()
        self.clock.now = MONDAY - timedelta(days=2)
        titles = ["Acme Robotics opens a plant", "Acme Robotics hires", "Northwind Logistics buys"]
        items = [{**i, "guid": f"week-{i['guid']}"} for i in rss_items(titles, base="https://n/")]
        self.server.route("/feed", Reply(200, rss(items)))
        self.fetch_and_match()
        sam = self.rep("sam@example.com")
        acme = next(a for a in self.clipper.storage.recent_matches() if "plant" in a.title)
        self.clipper.log_share(sam, "Acme Robotics", acme.article_id, "fyi", key="share-1")
        self.clipper.log_touch(sam, "Helix Components called them", key="touch-1")

    def fetch_and_match(self) -> None:
        self.clipper.update_feeds(due_only=False)
        seed_matches(
            self.clipper.storage,
            self.clock(),
            lambda a: mention("Acme Robotics" if "Acme" in a.title else "Northwind Logistics"),
        )

    def rep(self, email: str) -> Any:
        rep = self.clipper.find_rep(email=email)
        assert rep is not None
        return rep

    def team_parts(self) -> list[Any]:
        return [
            p
            for p in self.clipper.storage.digest_parts("max@example.com")
            if p.kind is DigestKind.TEAM
        ]


def test_the_team_digest_shows_exactly_the_numbers_of_clip_report(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    team = Team(tmp_path, server, stub)
    with team.clipper as clipper:
        team.clock.now = MONDAY
        clipper.digest()
        assert stub.rejected == []
        (message,) = stub.posts("DU3")
        shown = "\n".join(b["text"]["text"] for b in message["blocks"])
        report = answer_clip(clipper, team.rep("max@example.com"), parse_clip("report"), "k")
    # every line /clip report shows is in the digest, word for word (but its web page link)
    for line in report.splitlines()[:-1]:
        assert line.split("*: ")[-1] in shown, line
    # and the numbers are the team's: the week is the 7 days to now, the quarter since 1 Oct
    assert "2 of 3 accounts on target (each against its own quarterly target" in report
    assert (
        "sam@example.com: 2/2 on target · week: 2 stories, 1 share · quarter: 3 stories" in report
    )
    assert (
        "Acme Robotics (sam@example.com): week: 2 stories, 1 share · quarter: 3 stories, 1 share"
        " · 1 touch" in report
    )
    assert "dana@example.com: 0/1 on target · week: 1 story, 0 shares" in report
    assert "*News but no touch this quarter*\n• Northwind Logistics\n*Due*" in report
    assert "Helix Components" not in report.split("*Per account")[1]  # no news, touched
    assert "Broken: failing (2 in a row): HTTP 500" in report
    assert message["blocks"][0]["text"]["text"] == "Clipper team summary · week to Mon 23 Nov"


def test_the_team_digest_is_weekly_on_the_team_day_at_the_managers_digest_time(
    tmp_path: Path, server: FeedServer
) -> None:
    team = Team(tmp_path, server, None)
    with team.clipper as clipper:
        team.clock.now = MONDAY - timedelta(days=1)  # Sunday: last Monday's slot is due at once
        clipper.digest()
        (first,) = team.team_parts()
        assert first.due_at == MONDAY - timedelta(days=7, hours=1)
        assert "# Clipper team summary · week to Sun 22 Nov for Max" in first.payload
        assert "## Feeds that broke" in first.payload and "- Broken: failing" in first.payload
        team.clock.now = MONDAY - timedelta(minutes=61)  # Monday 07:59
        clipper.digest()
        assert len(team.team_parts()) == 1
        team.clock.now = MONDAY - timedelta(hours=1)  # Monday 08:00, the default digest time
        clipper.digest()
        parts = team.team_parts()
        assert len(parts) == 2 and parts[1].due_at == MONDAY - timedelta(hours=1)
        team.clock.advance(days=3)
        clipper.digest()
        assert len(team.team_parts()) == 2
        # reps get no team digest; the manager's own digest is unaffected
        kinds = {p.kind for p in clipper.storage.digest_parts("sam@example.com")}
        assert DigestKind.TEAM not in kinds


def test_the_team_day_is_a_setting(tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"digest": {"team_day": "Friday"}})
    assert load_config(path, {}).settings.digest.team_day == "fri"
    bad = write_config(tmp_path, settings={"digest": {"team_day": "someday"}})
    with pytest.raises(ConfigError) as info:
        load_config(bad, {})
    (problem,) = info.value.problems
    assert "digest.team_day" in problem and "unknown weekday 'som'" in problem


def test_a_large_team_digest_stays_within_block_kit_limits() -> None:
    counts = ActivityCounts(12, 3)
    report = TouchReport(
        target=1,
        accounts=400,
        touched=10,
        by_owner=tuple(OwnerCoverage(f"rep{n}@example.com", 1, 20, counts) for n in range(40)),
        due=tuple(f"Account <{n}> & Co" for n in range(390)),
        now=MONDAY,
        by_account=tuple(
            AccountActivity(f"Account <{n}> & Co" + "x" * 150, "o@example.com", counts, counts, 0)
            for n in range(400)
        ),
        news_untouched=tuple(f"Account {n}" for n in range(300)),
        broken_feeds=tuple(
            BrokenFeed(f"Feed {n}", f"https://f{n}.example", 9, "<b>" + "e" * 500, None)
            for n in range(100)
        ),
    )
    messages = render_team_slack(report, MONDAY)
    for message in messages:
        assert validate(list(message.blocks)) == []
        assert all(
            len(b["text"]["text"]) <= MAX_SECTION for b in message.blocks if b["type"] == "section"
        )
        assert "<b>" not in json.dumps(list(message.blocks))
    text = "\n".join(b["text"]["text"] for m in messages for b in m.blocks)
    assert "and 370 more accounts" in text and "and 70 more feeds" in text


def test_the_weekly_slot_is_the_latest_team_day_at_the_managers_local_time() -> None:
    schedule = RepSchedule("America/New_York", time(8, 0), ("fri",))
    # Monday 23 Nov 2026: the latest Friday 08:00 in New York is 20 Nov, 13:00 UTC
    assert last_due(schedule, MONDAY) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    # on Friday itself, before 08:00 local, it is still the week before
    friday_early = datetime(2026, 11, 27, 12, 59, tzinfo=UTC)
    assert last_due(schedule, friday_early) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert last_due(schedule, friday_early + timedelta(minutes=1)) == friday_early + timedelta(
        minutes=1
    )


def test_in_clipper_run_a_first_summary_waits_for_the_first_fetch_and_match_pass(
    tmp_path: Path, server: FeedServer
) -> None:
    team = Team(tmp_path, server, None)
    with team.clipper as clipper:
        team.clock.now = MONDAY + timedelta(days=2)  # Monday's slot passed two days ago
        clipper.digests.runs_passes = True  # as in `clipper run`, before its first pass
        report = clipper.digest()
        assert "max@example.com" in report.waiting and team.team_parts() == []
        clipper.digests.pass_finished(team.clock())
        clipper.digest()
        (summary,) = team.team_parts()
        assert "- sam@example.com: 2/2 on target" in summary.payload


def test_in_slack_the_team_summary_lists_one_rep_or_account_a_line() -> None:
    counts = ActivityCounts(2, 1)
    report = TouchReport(
        target=1,
        accounts=2,
        touched=0,
        by_owner=tuple(OwnerCoverage(f"rep{n}@example.com", 0, 1, counts) for n in range(2)),
        due=("Acme", "Contoso"),
        now=MONDAY,
    )
    (message,) = render_team_slack(report, MONDAY)
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    (due,) = [s for s in sections if s.startswith("*Due*")]
    assert due.split("\n") == ["*Due*", "• Acme", "• Contoso"]


def test_the_team_numbers_count_stories_not_outlets_and_say_touch_and_touches(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    """Three outlets of one story are one story; a story about two of a rep's accounts is one
    story for the rep; every number is the one /clip report shows."""
    clock = Clock(MONDAY - timedelta(days=1))
    stub.ts_clock = lambda: clock().timestamp()
    titles = [
        "Acme Robotics opens a plant in Ohio",  # three outlets of one story
        "Acme Robotics opens Ohio plant, hiring 500",
        "Ohio lands Acme Robotics plant",
        "Acme Robotics and Helix Components form a venture",  # one story, two accounts
    ]
    url = server.route("/feed", Reply(200, rss(rss_items(titles))))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=ACCOUNTS,
        reps=REPS,
        settings={"slack": {"pace_s": 0.0}},
    )
    environ = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}
    with make_clipper(load_config(path, environ), _clock=clock) as clipper:
        clipper.update_feeds(due_only=False)
        claimed = clipper.storage.claim_for_matching(clock(), SEED_OWNER, 60, 100)
        by_title = {a.title: a.id for a in claimed}
        plant = by_title[titles[0]]
        venture = by_title[titles[3]]
        acme = Match("Acme Robotics", 0.8, ('mentions "Acme Robotics"',))
        helix = Match("Helix Components", 0.8, ('mentions "Helix Components"',))
        results = [
            (a.id, MatchResult((acme, helix) if a.id == venture else (acme,), ())) for a in claimed
        ]
        # what the matcher's story grouping (logic.stories) stores for the three outlets
        stories = {by_title[t]: plant for t in titles[:3]}
        clipper.storage.finish_matching(results, SEED_OWNER, clock(), stories)
        sam = clipper.find_rep(email="sam@example.com")
        assert sam is not None
        clipper.log_touch(sam, "Acme Robotics called them", key="t1")
        clipper.log_touch(sam, "Acme Robotics met them", key="t2")
        clipper.log_touch(sam, "Helix Components called them", key="t3")
        max_ = clipper.find_rep(email="max@example.com")
        assert max_ is not None
        report = answer_clip(clipper, max_, parse_clip("report"), "k")
        assert isinstance(report, str)
        clock.now = MONDAY
        clipper.digest()
        assert stub.rejected == []
        (message,) = stub.posts("DU3")
    shown = "\n".join(b["text"]["text"] for b in message["blocks"])
    assert (
        "Acme Robotics (sam@example.com): week: 2 stories, 0 shares · quarter: 2 stories, "
        "0 shares · 2 touches" in report
    )
    assert (
        "Helix Components (sam@example.com): week: 1 story, 0 shares · quarter: 1 story, "
        "0 shares · 1 touch" in report
    )
    # the venture is about both of Sam's accounts: one story for Sam, not three
    assert "sam@example.com: 2/2 on target · week: 2 stories, 0 shares" in report
    assert "time(s)" not in report and "touch(es)" not in report
    # the digest shows the same numbers, word for word (all but /clip report's web page link)
    for line in report.splitlines()[:-1]:
        assert line.split("*: ")[-1] in shown, line


def test_a_broken_feeds_name_never_formats_the_report() -> None:
    report = TouchReport(
        target=1,
        accounts=0,
        touched=0,
        by_owner=(),
        due=(),
        now=MONDAY,
        broken_feeds=(BrokenFeed("*Wire* <!here> _x_", "https://f.example", 3, "down", None),),
    )
    (message,) = render_team_slack(report, MONDAY)
    text = "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "• ∗Wire∗ &lt;!here&gt; ˍxˍ: failing (3 in a row): down" in text
