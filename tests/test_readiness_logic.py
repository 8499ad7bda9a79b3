"""``logic.readiness`` and ``logic.feedstate.failure_reason``: pure verdicts."""

from __future__ import annotations

from clipper.exceptions import FetchError, ParseError
from clipper.logic.feedstate import failure_reason
from clipper.logic.readiness import JobTicks, readiness
from clipper.types import FeedFailure


def test_ready_only_when_nothing_is_wrong_and_each_reason_is_listed() -> None:
    fresh = [JobTicks("fetch and match", 30, last_s=100), JobTicks("digests", 60, last_s=90)]
    assert readiness(database=None, skipped_config=0, reported={}, jobs=fresh, now_s=150).ready
    found = readiness(
        database="not writable: database is locked",
        skipped_config=2,
        reported={"config reload": "feeds/news.yaml:3: url: missing"},
        jobs=fresh,
        now_s=161,
    )
    assert not found.ready
    assert found.problems == (
        "database: not writable: database is locked",
        "scheduler: 'fetch and match' has not ticked for 61 s (every 30 s; stale after 60 s)",
        "configuration: 2 parts skipped ('clipper check' lists them)",
        "config reload: feeds/news.yaml:3: url: missing",
    )


def test_failure_reasons_are_labels_not_messages() -> None:
    url = "https://example.com/feed"
    assert failure_reason(ParseError(url, "not XML")) is FeedFailure.PARSE
    assert failure_reason(FetchError(url, "gone", status=410)) is FeedFailure.GONE
    assert failure_reason(FetchError(url, "slow down", status=429)) is FeedFailure.RATE_LIMITED
    assert failure_reason(FetchError(url, "no", status=403)) is FeedFailure.HTTP_4XX
    assert failure_reason(FetchError(url, "oops", status=502)) is FeedFailure.HTTP_5XX
    assert failure_reason(FetchError(url, "timed out")) is FeedFailure.TRANSPORT
