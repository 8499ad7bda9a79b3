"""A rep's streak of quarters on target (calendar and fiscal), their share numbers, and the
digest's nudge: pure code (``logic.standing``, ``logic.digest.nudge_line``), the nudge also
rendered in Block Kit (checked with the Slack stand-in's validator) and Markdown, and in the
digest a real ``clipper run`` writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from clipper.logic.blockkit import render_markdown, render_slack
from clipper.logic.digest import (
    AccountSection,
    DigestCandidate,
    DigestItem,
    DigestPolicy,
    TouchStatus,
    build_digest,
    nudge_line,
)
from clipper.logic.standing import quarter_streak, share_stats
from clipper.logic.touches import CoverageAccount, Quarter, TouchPolicy
from clipper.types import FeedbackCounts, Touch, TouchChannel

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import validate_blocks
from .support.cli import run_clipper

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BOOK = [CoverageAccount("Acme", "sam@x.com"), CoverageAccount("Helix", "sam@x.com")]


def touch(account: str, day: tuple[int, int, int], n: int = 0, **kw: object) -> Touch:
    fields: dict[str, object] = {
        "id": n,
        "rep": "sam@x.com",
        "account": account,
        "touched_at": datetime(*day, 12, tzinfo=UTC),
        "channel": TouchChannel.SALESFORCE,
    }
    fields.update(kw)
    return Touch(**fields)  # type: ignore[arg-type]


#: both accounts touched in every fiscal quarter (February starts) from Feb to Oct 2026; by
#: calendar quarters Acme was not touched in Jan-Mar
TOUCHES = [
    touch("Helix", (2026, 2, 10)),
    touch("Acme", (2026, 4, 20)),
    touch("Helix", (2026, 5, 10)),
    touch("Acme", (2026, 7, 20)),
    touch("Helix", (2026, 8, 10)),
    touch("Acme", (2026, 10, 20)),
    touch("Acme", (2026, 11, 10)),
]


def test_the_streak_follows_fiscal_quarters() -> None:
    fiscal = TouchPolicy(fiscal_year_start_month=2)
    streak = quarter_streak(BOOK, TOUCHES, fiscal, NOW)
    assert streak.quarter == Quarter(2027, 4) and streak.running
    assert streak.quarters == 3
    assert [(r.quarter.label, r.on_target, r.met) for r in streak.history] == [
        ("2027Q4", 1, False),  # still running: it does not break the streak
        ("2027Q3", 2, True),
        ("2027Q2", 2, True),
        ("2027Q1", 2, True),  # the first touch's quarter: nothing is known before it
    ]
    calendar = quarter_streak(BOOK, TOUCHES, TouchPolicy(), NOW)
    assert calendar.quarter == Quarter(2026, 4) and calendar.quarters == 2
    assert [r.quarter.label for r in calendar.history] == ["2026Q4", "2026Q3", "2026Q2", "2026Q1"]
    assert not calendar.history[-1].met


def test_a_met_quarter_counts_and_a_missed_one_ends_the_streak() -> None:
    met_now = [*TOUCHES, touch("Helix", (2026, 11, 15))]
    fiscal = TouchPolicy(fiscal_year_start_month=2)
    assert quarter_streak(BOOK, met_now, fiscal, NOW).quarters == 4
    # a quarter that has ended and was missed: no streak, whatever came before
    late = NOW + timedelta(days=120)  # 2028Q1: 2027Q4 ended with Helix untouched
    streak = quarter_streak(BOOK, TOUCHES, fiscal, late, quarter=Quarter(2027, 4))
    assert (streak.quarters, streak.running) == (0, False)
    # the next quarter running untouched, the one before it missed: 0
    assert quarter_streak(BOOK, TOUCHES, fiscal, late).quarters == 0
    # a quarter asked about that ended on target counts itself
    assert quarter_streak(BOOK, TOUCHES, fiscal, late, quarter=Quarter(2027, 3)).quarters == 3


def test_targets_voided_and_future_touches_and_an_empty_book() -> None:
    strict = [CoverageAccount("Acme", "sam@x.com", touch_target=8), BOOK[1]]
    # Acme needs 2 a quarter: only 2026Q4 (Oct 20, Nov 10) has 2 by calendar quarters
    streak = quarter_streak(strict, TOUCHES, TouchPolicy(), NOW)
    assert streak.quarters == 0 and streak.current.on_target == 1
    future = [*TOUCHES, touch("Helix", (2026, 12, 1))]  # after now: not counted
    assert quarter_streak(BOOK, future, TouchPolicy(), NOW).current.on_target == 1
    assert quarter_streak([], TOUCHES, TouchPolicy(), NOW).quarters == 0
    assert quarter_streak(BOOK, [], TouchPolicy(), NOW).quarters == 0
    # touches on accounts the rep does not own do not count
    other = [touch("Other", (2026, 11, 1))]
    assert quarter_streak(BOOK, other, TouchPolicy(), NOW).history[0].on_target == 0


def test_share_numbers_count_the_reps_shares_and_feedback() -> None:
    touches = [
        touch("Acme", (2026, 11, 10), channel=TouchChannel.SLACK_SHARE),
        touch("Helix", (2026, 5, 10), channel=TouchChannel.SLACK_SHARE),
        touch("Helix", (2025, 5, 10), channel=TouchChannel.SLACK_SHARE),  # over a year ago
        touch("Acme", (2026, 11, 12), channel=TouchChannel.SLACK_COMMAND),
        touch("Acme", (2026, 11, 13), channel=TouchChannel.SLACK_SHARE, rep="dana@x.com"),
    ]
    stats = share_stats(
        "sam@x.com",
        touches,
        FeedbackCounts(not_relevant=2, not_this_company=1),
        quarter_start=datetime(2026, 10, 1, tzinfo=UTC),
        year_start=NOW - timedelta(days=365),
        as_of=NOW,
    )
    assert (stats.shared_quarter, stats.shared_12_months, stats.accounts_reached_12_months) == (
        1,
        2,
        2,
    )
    assert stats.other_touches_quarter == 1 and stats.marked_wrong_quarter == 3


def item(n: int, account: str = "Acme", **kw: object) -> DigestItem:
    fields: dict[str, object] = {
        "article_id": n,
        "account": account,
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "source": "Wire",
        "published_at": NOW,
        "score": 0.9,
        "why": "mentions Acme",
        "event": None,
        "shareable": True,
    }
    fields.update(kw)
    return DigestItem(**fields)  # type: ignore[arg-type]


def status(this_quarter: int, days: int | None, target: int = 1) -> TouchStatus:
    last = NOW - timedelta(days=days) if days is not None else None
    return TouchStatus(this_quarter, target, last, going_dark_days=90)


def test_the_nudge_speaks_only_for_due_accounts_with_an_article_to_share() -> None:
    due = AccountSection("Acme", (item(1),), status(0, 84))
    assert nudge_line(due, NOW) == "Acme has had no touch for 84 days; this article could be one."
    never = AccountSection("Acme", (item(1), item(2)), status(0, None))
    assert nudge_line(never, NOW) == (
        "Acme has had no touch yet; one of these articles could be one."
    )
    below = AccountSection("Acme", (item(1),), status(1, 3, target=2))
    assert nudge_line(below, NOW) == (
        "Acme has had 1 of 2 touches this quarter; this article could be the next."
    )
    # on target this quarter and not going dark: no nudge
    assert nudge_line(AccountSection("Acme", (item(1),), status(1, 20)), NOW) is None
    # on target, but going dark (a zero target): the nudge speaks of the days
    dark = AccountSection("Acme", (item(1),), status(0, 120, target=0))
    assert nudge_line(dark, NOW) == "Acme has had no touch for 120 days; this article could be one."
    # nothing the rep may share: no nudge
    for items in (
        (item(1, shareable=False),),
        (item(1, shared_by="dana@x.com"),),
        (),
    ):
        assert nudge_line(AccountSection("Acme", items, status(0, 84)), NOW) is None
    # no touch status known: no nudge
    assert nudge_line(AccountSection("Acme", (item(1),), None), NOW) is None


def candidate(n: int, account: str, **kw: object) -> DigestCandidate:
    fields: dict[str, object] = {
        "article_id": n,
        "account": account,
        "title": f"{account} story {n}",
        "url": f"https://news.example/{n}",
        "source": "Wire",
        "published_at": NOW - timedelta(hours=n),
        "score": 0.9 - n / 100,
        "reasons": (f'mentions "{account}"',),
    }
    fields.update(kw)
    return DigestCandidate(**fields)  # type: ignore[arg-type]


def test_the_nudge_in_a_rendered_digest() -> None:
    hostile = "<!channel> Acme & *Co*"
    digest = build_digest(
        "sam@x.com",
        "Sam",
        [candidate(1, hostile), candidate(2, "Helix"), candidate(3, "Orbit", shareable=False)],
        {
            hostile: status(0, 84),
            "Helix": status(1, 10),
            "Orbit": status(0, None),
        },
        DigestPolicy(),
        NOW,
    )
    (message,) = render_slack(digest)
    blocks = list(message.blocks)
    assert validate_blocks(blocks) == (None, [])
    contexts = {
        b["block_id"]: [e["text"] for e in b["elements"]]
        for b in blocks
        if b["block_id"].startswith("touch-")
    }
    nudged = [texts for texts in contexts.values() if len(texts) == 2]
    assert nudged == [
        [
            "Touches this quarter: 0 of 1 · last touch 84 d ago · due",
            "💡 &lt;!channel&gt; Acme &amp; *Co* has had no touch for 84 days; this article "
            "could be one.",
        ]
    ]
    # Helix is on target; Orbit is due but its article is for the rep only
    assert sum(len(texts) == 1 for texts in contexts.values()) == 2
    markdown = render_markdown(digest)
    assert (
        "💡 _\\<!channel\\> Acme & \\*Co\\* has had no touch for 84 days; this article could be "
        "one._" in markdown
    )
    assert markdown.count("💡") == 1


def test_a_digest_run_nudges_only_the_due_account(tmp_path: Path, server: FeedServer) -> None:
    """``clipper run`` on a real feed: Acme (never touched) gets the nudge under its heading,
    Helix (touched today, imported from a CRM export) does not."""
    now = datetime.now(UTC)
    recent = format_datetime(now - timedelta(hours=2))
    items = [
        {
            "title": "Acme Robotics raises $40 million in Series C funding",
            "link": "https://n.example/acme",
            "guid": "a",
            "pubDate": recent,
        },
        {
            "title": "Helix Components opens a new bearings plant in Ohio",
            "link": "https://n.example/helix",
            "guid": "h",
            "pubDate": recent,
        },
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"manufacturing": [{"url": url, "name": "Wire"}]},
        accounts=[
            {"name": "Acme Robotics", "owner": "sam@example.com"},
            {"name": "Helix Components", "owner": "sam@example.com"},
        ],
        reps=[{"email": "sam@example.com", "name": "Sam"}],
        settings={"fetch": {"backfill_window": "30d"}},
    )
    export = tmp_path / "tasks.csv"
    export.write_text(
        "Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        f"T1,Call,{(now - timedelta(days=1)).date().isoformat()},Helix Components,"
        "sam@example.com,Call,\n"
    )
    imported = run_clipper(path, "touches", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    result = run_clipper(path, "run", "--once", "--limit", "5")
    assert result.returncode == 0, result.stderr
    (saved,) = (tmp_path / "var" / "digests").glob("*/*.md")
    markdown = saved.read_text()
    assert "## Helix Components" in markdown and "## Acme Robotics" in markdown
    assert "💡 _Acme Robotics has had no touch yet; this article could be one._" in markdown
    assert markdown.count("💡") == 1


def test_shares_marked_useful_count_in_the_period_they_were_shared() -> None:
    share = TouchChannel.SLACK_SHARE
    touches = [
        touch("Acme", (2026, 11, 10), 1, channel=share, article_id=7),
        touch("Helix", (2026, 5, 10), 2, channel=share, article_id=8),
        touch("Helix", (2026, 6, 10), 3, channel=share, article_id=9),
        touch("Acme", (2026, 11, 13), 4, channel=share, article_id=9, rep="dana@x.com"),
    ]
    stats = share_stats(
        "sam@x.com",
        touches,
        FeedbackCounts(),
        quarter_start=datetime(2026, 10, 1, tzinfo=UTC),
        year_start=NOW - timedelta(days=365),
        as_of=NOW,
        # marked: Sam's Acme share this quarter, his May Helix share; Dana's is not his
        useful={("Acme", 7), ("Helix", 8), ("Acme", 9)},
    )
    assert (stats.shared_quarter, stats.useful_quarter) == (1, 1)
    assert (stats.shared_12_months, stats.useful_12_months) == (3, 2)
