"""``/clip me``: a rep measures themselves, through signed ``BoltRequest``s (``App.dispatch``,
real SQLite, the Slack stand-in's response_url), on a ledger seeded across fiscal quarters;
and ``clipper report touches --rep`` carries the same streak and shares."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clipper.exceptions import FetchError
from clipper.logic.feedstate import decide_failure
from clipper.logic.schedule import PollPolicy
from clipper.types import NewTouch, TouchChannel

from .conftest import Clock, write_config
from .slackstub import SlackStub
from .support.cli import run_clipper
from .support.seeding import article_intent, feed_sources
from .support.slack import BoltApp, slack_clipper, stub

__all__ = ["stub"]

SECRET = "me-secret"
REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "dana@example.com", "name": "Dana"},
]
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Helix <Components> & Co", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]
#: fiscal years start in February: now (23 Nov 2026) is in 2027Q4 (Nov 2026 - Jan 2027)
FISCAL = {"touches": {"fiscal_year_start_month": 2}}
#: each fiscal quarter 2027Q1-Q3 has a touch on both of Sam's accounts; by calendar quarters
#: 2026Q1 has none on Acme, so the calendar streak is 2 where the fiscal one is 3
SEEDED = [
    ("Helix <Components> & Co", datetime(2026, 2, 10, 12, tzinfo=UTC), TouchChannel.SALESFORCE),
    ("Acme Robotics", datetime(2026, 4, 20, 12, tzinfo=UTC), TouchChannel.SALESFORCE),
    ("Helix <Components> & Co", datetime(2026, 5, 10, 12, tzinfo=UTC), TouchChannel.SLACK_SHARE),
    ("Acme Robotics", datetime(2026, 7, 20, 12, tzinfo=UTC), TouchChannel.SLACK_COMMAND),
    ("Helix <Components> & Co", datetime(2026, 8, 10, 12, tzinfo=UTC), TouchChannel.SALESFORCE),
    ("Acme Robotics", datetime(2026, 10, 20, 12, tzinfo=UTC), TouchChannel.SLACK_SHARE),
    ("Acme Robotics", datetime(2026, 11, 10, 12, tzinfo=UTC), TouchChannel.SLACK_SHARE),
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return {"sam@example.com": "U1", "dana@example.com": "U2"}


class Bolt(BoltApp):
    """A Clipper on a fiscal-year ledger, its Bolt app and work queue, driven by dispatch."""

    def __init__(self, tmp_path: Path, stub: SlackStub, settings: dict[str, Any]) -> None:
        self.config_path = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS, settings=settings)
        self.clock = Clock()
        super().__init__(slack_clipper(self.config_path, stub, SECRET, self.clock), stub, SECRET)

    def seed(self) -> None:
        """Sam's touches across quarters, one by Dana on Sam's account, and a "Not relevant"
        Sam gave this quarter on a stored article."""
        storage = self.clipper.storage
        storage.add_touches(
            [
                NewTouch("sam@example.com", account, at, channel, key=f"seed-{n}")
                for n, (account, at, channel) in enumerate(SEEDED)
            ]
            + [
                NewTouch(
                    "dana@example.com",
                    "Northwind Logistics",
                    datetime(2026, 11, 2, tzinfo=UTC),
                    TouchChannel.SLACK_SHARE,
                    key="dana-share",
                )
            ],
            self.clock(),
        )
        now = self.clock()
        storage.sync_feeds(feed_sources(1), now)
        (feed,) = storage.claim_feeds(now, "w", 60, due_only=False, limit=1)
        intent = decide_failure(feed, FetchError(feed.url, "boom"), now, PollPolicy())
        assert storage.apply_feed_update(intent, [article_intent(feed.id, title="x")], "w") == 1
        (article,) = storage.articles()
        assert self.clipper.record_feedback(
            "Acme Robotics", article.id, "not_relevant", "sam@example.com"
        )


@pytest.fixture
def fiscal(tmp_path: Path, stub: SlackStub) -> Iterator[Bolt]:
    running = Bolt(tmp_path, stub, FISCAL)
    running.seed()
    yield running
    running.close()


def test_clip_me_shows_coverage_due_accounts_the_fiscal_streak_and_shares(fiscal: Bolt) -> None:
    response, rid = fiscal.clip("me")
    assert response.status == 200 and response.body == ""
    answer = fiscal.answer(rid)
    lines = answer.split("\n")
    assert lines[0] == "*Your touches · 2027Q4* (1 Nov 2026 – 31 Jan 2027)"
    assert lines[1] == (
        "• Coverage: 1 of 2 accounts on target this quarter · touches 1 of 2 this quarter, "
        "7 of 8 in 12 months · 1 going dark"
    )
    assert lines[2] == (
        "• Streak: 3 quarters in a row on target (2027Q4 still running: 1 of 2 accounts on target)"
    )
    # the shares this quarter: Acme on 10 Nov (Dana's share on her own account is hers)
    assert lines[3] == (
        "• Shares: 1 shared, 0 marked useful this quarter (3 shared, 0 marked useful in 12 "
        "months, to 2 accounts); 0 other touches logged; 1 item marked not relevant and 0 not "
        "this company"
    )
    # Helix's last touch was 10 Aug: past the 90 days of going dark; its name is escaped
    assert lines[4:] == [
        "*Due this quarter* (1)",
        "• *Helix &lt;Components&gt; &amp; Co*: 0 of 1 · last touch 104 d ago · going dark",
    ]


def test_clip_me_for_an_earlier_quarter_and_a_bad_label(fiscal: Bolt) -> None:
    _response, rid = fiscal.clip("me 2027Q3")
    answer = fiscal.answer(rid)
    assert answer.startswith("*Your touches · 2027Q3* (1 Aug 2026 – 31 Oct 2026)")
    assert "• Streak: 3 quarters in a row on target\n" in answer
    assert "Every account is on target this quarter." in answer
    response, rid = fiscal.clip("me last-quarter")
    assert response.status == 200 and "not a quarter: 'last-quarter'" in response.body
    time.sleep(0.2)
    assert fiscal.stub.responses[rid] == []
    _response, rid = fiscal.clip("me 2028Q1")
    assert "quarter 2028Q1 has not begun (this quarter is 2027Q4" in fiscal.answer(rid)


def test_clip_me_for_a_rep_whose_accounts_went_dark(fiscal: Bolt) -> None:
    _response, rid = fiscal.clip("me", user="U2")
    answer = fiscal.answer(rid)
    assert "• Streak: 1 quarter in a row on target\n" in answer
    assert "*Due this quarter*" not in answer
    assert "• Shares: 1 shared, 0 marked useful this quarter" in answer
    fiscal.clock.advance(days=200)  # 2028Q2: Northwind's last touch was 200 days ago
    _response, rid = fiscal.clip("me", user="U2")
    answer = fiscal.answer(rid)
    assert "• *Northwind Logistics*: 0 of 1 · last touch 221 d ago · going dark" in answer
    assert "• Streak: 0 quarters on target (2028Q2 still running: 0 of 1 account on target)" in (
        answer
    )


def test_the_calendar_streak_differs_and_report_rep_carries_it(
    tmp_path: Path, stub: SlackStub
) -> None:
    calendar = Bolt(tmp_path, stub, {})
    try:
        calendar.seed()
        _response, rid = calendar.clip("me")
        answer = calendar.answer(rid)
        assert answer.startswith("*Your touches · 2026Q4* (1 Oct 2026 – 31 Dec 2026)")
        assert "• Streak: 2 quarters in a row on target (2026Q4 still running: 1 of 2" in answer
    finally:
        calendar.close()
    # the CLI's report for one rep carries the streak and shares too, for a quarter that ended
    result = run_clipper(
        calendar.config_path,
        *("report", "touches", "--rep", "sam@example.com", "--quarter", "2026Q3"),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["streak"] == {
        "quarters": 2,
        "running": False,
        "history": [
            {"quarter": "2026Q3", "accounts": 2, "on_target": 2},
            {"quarter": "2026Q2", "accounts": 2, "on_target": 2},
            {"quarter": "2026Q1", "accounts": 2, "on_target": 1},
        ],
    }
    # in 2026Q3 Sam shared nothing; in the 12 months to its end, Helix in May
    assert report["shares"] == {
        "shared_quarter": 0,
        "shared_12_months": 1,
        "accounts_reached_12_months": 1,
        "other_touches_quarter": 2,
        "marked_not_relevant_quarter": 0,
        "marked_not_this_company_quarter": 0,
        "useful_quarter": 0,
        "useful_12_months": 0,
    }
    table = run_clipper(
        calendar.config_path, "report", "touches", "--rep", "sam@example.com", "--quarter", "2026Q3"
    )
    assert table.returncode == 0, table.stderr
    assert "Streak: 2 quarters in a row on target" in table.stdout
    assert "Shares: 0 shared, 0 marked useful this quarter (1 shared, 0 marked useful in 12" in (
        table.stdout
    )
    page = run_clipper(
        calendar.config_path,
        *("report", "touches", "--rep", "sam@example.com", "--quarter", "2026Q3"),
        *("--format", "html", "--out", str(tmp_path / "sam.html")),
    )
    assert page.returncode == 0, page.stderr
    html = (tmp_path / "sam.html").read_text()
    assert '<h2>Streak</h2><p class="streak">2 quarters in a row on target</p>' in html
    assert '<h2>Shares</h2><p class="shares">0 shared, 0 marked useful this quarter' in html
    team = run_clipper(calendar.config_path, "report", "touches", "--format", "json")
    assert "streak" not in json.loads(team.stdout)
