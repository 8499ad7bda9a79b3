"""The feed-health report's pure rules: which feeds, which problem, the wording, the daily slot,
and its renderings within Slack's limits with hostile feed text shown literally."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from clipper.logic.feedhealth import (
    FeedHealthPolicy,
    FeedProblem,
    assess_feeds,
    last_slot,
    report_markdown,
    report_slack,
)
from clipper.types import FeedHealthRow

from .slackstub import validate_blocks

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = FeedHealthPolicy()


def row(n: int = 0, **fields: object) -> FeedHealthRow:
    url = f"https://f{n}.example/rss"
    healthy = FeedHealthRow(
        url=url,
        current_url=url,
        name=f"Feed {n}",
        active=True,
        error_count=0,
        first_error_at=None,
        last_error=None,
        last_error_at=None,
        disabled_reason=None,
        disabled_at=None,
        last_success_at=NOW - timedelta(hours=1),
        last_new_at=NOW - timedelta(hours=2),
        created_at=NOW - timedelta(days=90),
        gaps=0,
        last_gap_at=None,
        interval_s=None,
        adaptive_interval_s=None,
    )
    return replace(healthy, **fields)  # type: ignore[arg-type]


def problems(*rows: FeedHealthRow) -> list[tuple[FeedProblem, str]]:
    report = assess_feeds(rows, {}, NOW, POLICY)
    return [(f.problem, f.name) for f in report.findings]


def test_healthy_feeds_and_feeds_removed_from_the_config_are_not_reported() -> None:
    gone = row(1, active=False, disabled_reason="410 Gone")
    report = assess_feeds([row(0), gone], {}, NOW, POLICY)
    assert report.healthy and report.feeds == 1 and not report.failing
    assert report.summary() == "all 1 feed healthy"


def test_one_failure_is_not_broken_yet_two_are() -> None:
    once = row(0, error_count=1, last_error="HTTP 503")
    twice = row(1, error_count=2, last_error="HTTP 503", first_error_at=NOW - timedelta(hours=3))
    assert problems(once, twice) == [(FeedProblem.BROKEN, "Feed 1")]


def test_a_failing_feed_is_not_also_called_stale() -> None:
    old = NOW - timedelta(days=30)
    broken = row(0, error_count=5, last_error="refused", last_new_at=old)
    disabled = row(1, disabled_reason="410 Gone", disabled_at=old, last_new_at=old)
    assert problems(broken, disabled) == [
        (FeedProblem.BROKEN, "Feed 0"),
        (FeedProblem.DISABLED, "Feed 1"),
    ]


def test_a_new_feed_with_nothing_yet_is_stale_only_after_stale_days() -> None:
    fresh = row(0, last_new_at=None, created_at=NOW - timedelta(days=3))
    quiet = row(1, last_new_at=None, created_at=NOW - timedelta(days=15))
    report = assess_feeds([fresh, quiet], {}, NOW, POLICY)
    (finding,) = report.findings
    assert (finding.problem, finding.name) == (FeedProblem.STALE, "Feed 1")
    assert finding.reason.startswith("no new item in 15 days (no item since it was added")


def test_a_moved_feed_gives_the_new_url_for_its_catalog_line() -> None:
    moved = row(0, current_url="https://new.example/feed")
    report = assess_feeds([moved], {moved.url: "feeds/tech.yaml:7"}, NOW, POLICY)
    (finding,) = report.findings
    assert finding.problem is FeedProblem.MOVED
    assert finding.fix == "edit the url at feeds/tech.yaml:7 to https://new.example/feed"


def test_an_overflowing_feed_is_told_half_its_interval_or_about_min_interval() -> None:
    gap = {"gaps": 2, "last_gap_at": NOW - timedelta(days=1)}
    hourly = row(0, interval_s=7200.0, **gap)
    floor = row(1, adaptive_interval_s=300.0, **gap)
    old_gap = row(2, gaps=1, last_gap_at=NOW - timedelta(days=30))
    report = assess_feeds([hourly, floor, old_gap], {}, NOW, POLICY)
    fixes = {f.name: f.fix for f in report.of(FeedProblem.OVERFLOWING)}
    assert fixes == {
        "Feed 0": "add `interval: 1h` to the feed in its catalog",
        "Feed 1": "it is polled every 5m already: lower `fetch.min_interval` in clipper.yaml, "
        "or find a feed with more items",
    }


def test_a_feed_url_secret_is_never_shown() -> None:
    secret = row(0, error_count=3, last_error="HTTP 401", url="https://u:hunter2@f.example/rss")
    report = assess_feeds([secret], {}, NOW, POLICY)
    text = report_markdown(report) + str(report_slack(report))
    assert "hunter2" not in text


def test_the_daily_slot_is_the_latest_local_time_at_or_before_now() -> None:
    at = time(8, 0)
    berlin = datetime(2026, 12, 1, 6, 59, tzinfo=UTC)  # 07:59 in Berlin
    assert last_slot(berlin, at, "Europe/Berlin") == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert last_slot(berlin + timedelta(minutes=1), at, "Europe/Berlin") == datetime(
        2026, 12, 1, 7, 0, tzinfo=UTC
    )
    # 02:30 does not exist in Berlin on 2026-03-29: the report goes out just after the gap
    spring = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert last_slot(spring, time(2, 30), "Europe/Berlin") == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_hostile_feed_text_is_shown_literally_in_markdown_and_slack() -> None:
    hostile = row(
        0,
        name="*Breaking* <!channel> [x](http://evil.example)",
        error_count=2,
        last_error="<script>alert(1)</script> `rm -rf` _x_",
    )
    report = assess_feeds([hostile], {}, NOW, POLICY)
    markdown = report_markdown(report)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\*Breaking\\*" in markdown and "\\[x\\](http://evil.example)" in markdown
    text, blocks = report_slack(report)
    shown = text + str(blocks)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "<script>" not in shown and "∗Breaking∗" in shown


def test_slack_shows_at_most_fifty_blocks_and_counts_the_rest() -> None:
    rows = [row(n, error_count=3, last_error="x" * 5000) for n in range(80)]
    report = assess_feeds(rows, {}, NOW, POLICY)
    text, blocks = report_slack(report)
    assert len(blocks) <= 50
    assert validate_blocks(list(blocks))[1] == []
    assert "more finding" in blocks[-1]["text"]["text"]
    assert text.startswith("Feed health: 80 feeds of 80 need attention: 80 broken")
