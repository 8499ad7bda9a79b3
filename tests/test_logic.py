"""Pure decisions: canonical URLs, schedules, identity and feed state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clipper.exceptions import FetchError, ParseError
from clipper.logic.dedupe import EntryPolicy, KnownArticles, decide_entries, identity_of
from clipper.logic.feedstate import decide_failure, decide_success
from clipper.logic.schedule import (
    PollPolicy,
    backoff_delay,
    entry_frequency_interval,
    jitter_for,
    next_interval,
    parse_max_age,
    parse_retry_after,
    publish_rate,
    window_ceiling,
)
from clipper.logic.urls import canonical_url, unwrap_redirect
from clipper.types import (
    CachingInfo,
    FeedForUpdate,
    FetchStatus,
    KnownArticle,
    ParsedEntry,
    ParsedFeed,
    RetrievedFeed,
    Stage,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Example.COM:443/a/b?utm_source=rss&id=7#frag", "https://example.com/a/b?id=7"),
        ("http://example.com:80/x?fbclid=abc&gclid=1", "http://example.com/x"),
        (
            "https://www.google.com/url?rct=j&sa=t&url=https%3A%2F%2Fnews.example%2Fstory%3Fid%3D1"
            "&ct=ga",
            "https://news.example/story?id=1",
        ),
        (
            "https://www.bing.com/news/apiclick.aspx?ref=FexRss&url=https%3a%2f%2fa.example%2fb"
            "&c=1",
            "https://a.example/b",
        ),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fx.example%2Fy&h=AT0", "https://x.example/y"),
        ("https://example.com/Path/Keeps/Case/", "https://example.com/Path/Keeps/Case/"),
        ("javascript:alert(1)", None),
        ("mailto:someone@example.com", None),
        ("", None),
    ],
)
def test_canonical_url(raw: str, expected: str | None) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_resolves_relative_links_and_ignores_search_pages() -> None:
    assert canonical_url("/news/1?utm_medium=x", "https://site.example/feed.xml") == (
        "https://site.example/news/1"
    )
    # a Google search page is not a redirect: nothing to unwrap
    assert unwrap_redirect("https://www.google.com/search?q=acme") == (
        "https://www.google.com/search?q=acme"
    )


def test_retry_after_as_seconds_and_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Mon, 23 Nov 2026 12:05:00 GMT", NOW) == 300
    assert parse_retry_after("soon", NOW) is None
    assert parse_max_age("public, max-age=900") == 900
    assert parse_max_age("no-store") is None


def test_interval_honours_server_hints_and_bounds() -> None:
    policy = PollPolicy(default_interval=3600, min_interval=300, max_interval=86400)
    assert next_interval(configured=None, hint=None, observed=None, policy=policy) == 3600
    assert next_interval(configured=60, hint=None, observed=None, policy=policy) == 300
    # the server asking for 2 h wins over a configured 30 min
    assert next_interval(configured=1800, hint=7200, observed=None, policy=policy) == 7200
    assert next_interval(configured=None, hint=10**7, observed=None, policy=policy) == 86400


def test_entry_frequency_adapts_to_busy_and_quiet_feeds() -> None:
    policy = PollPolicy()
    busy = [NOW - timedelta(hours=i) for i in range(168)]  # one an hour
    quiet = [NOW - timedelta(days=6)]
    assert entry_frequency_interval(NOW, busy, policy) == pytest.approx(7200)
    assert entry_frequency_interval(NOW, quiet, policy) == pytest.approx(14 * 86400)
    assert entry_frequency_interval(NOW, [None, NOW - timedelta(days=30)], policy) is None


def test_backoff_doubles_and_caps_and_jitter_is_stable() -> None:
    policy = PollPolicy(backoff_base=300, backoff_max=3600)
    assert [backoff_delay(n, policy) for n in (1, 2, 3, 4, 5)] == [300, 600, 1200, 2400, 3600]
    assert jitter_for("a", 1000, 0.1) == jitter_for("a", 1000, 0.1)
    assert 0 <= jitter_for("a", 1000, 0.1) < 100
    assert jitter_for("a", 1000, 0.1) != jitter_for("b", 1000, 0.1)


def entry(
    n: int,
    *,
    published: datetime | None = NOW,
    guid: str | None = None,
    url: str | None = None,
    title: str | None = None,
    updated: datetime | None = None,
) -> ParsedEntry:
    return ParsedEntry(
        guid=guid if guid is not None else f"guid-{n}",
        url=url if url is not None else f"https://news.example/{n}",
        title=title or f"Story number {n}",
        summary=f"Summary of story {n}.",
        published=published,
        updated=updated,
    )


def decide(
    entries: list[ParsedEntry],
    known: KnownArticles | None = None,
    *,
    baseline: bool = False,
    policy: EntryPolicy | None = None,
    full_text: bool = False,
):  # type: ignore[no-untyped-def]
    return decide_entries(
        feed_id=1,
        source="Test",
        entries=entries,
        known=known or KnownArticles(),
        now=NOW,
        baseline=baseline,
        full_text=full_text,
        policy=policy or EntryPolicy(),
    )


def known_from(entries: list[ParsedEntry], feed_id: int = 1) -> KnownArticles:
    items = [KnownArticle(i, feed_id, identity_of(e)) for i, e in enumerate(entries, 1)]
    return KnownArticles(
        by_guid={k.identity.guid_hash: k for k in items if k.identity.guid_hash},
        by_url={k.identity.url_hash: k for k in items if k.identity.url_hash},
        by_content={
            h: [k for k in items if k.identity.content_hash == h]
            for h in {k.identity.content_hash for k in items}
        },
    )


def test_baseline_fetch_keeps_only_backfill_window_as_candidates() -> None:
    fresh = entry(1, published=NOW - timedelta(hours=5))
    old = entry(2, published=NOW - timedelta(days=30))
    undated = entry(3, published=None)
    result = decide([fresh, old, undated], baseline=True)
    stages = {i.title: i.stage for i in result.intents}
    assert stages == {fresh.title: Stage.NEW, old.title: Stage.BASELINE, undated.title: Stage.NEW}
    assert (result.new, result.baseline) == (2, 1)
    # after the baseline, an old-dated item we have never seen is still news to us
    later = decide([entry(4, published=NOW - timedelta(days=30))], baseline=False)
    assert later.intents[0].stage is Stage.NEW


def test_future_and_missing_dates_fall_back_to_fetch_time() -> None:
    result = decide([entry(1, published=NOW + timedelta(days=400)), entry(2, published=None)])
    assert {i.published_at for i in result.intents} == {NOW}


def test_edited_updated_date_and_changed_guid_are_not_new_articles() -> None:
    original = entry(1, published=NOW - timedelta(days=1))
    known = known_from([original])
    edited = entry(1, published=NOW - timedelta(days=1), updated=NOW)
    assert decide([edited], known).new == 0
    new_guid_same_url = entry(1, guid="something-else")
    assert decide([new_guid_same_url], known).new == 0
    new_guid_no_url_same_text = entry(1, guid="x", url="")
    assert decide([new_guid_no_url_same_text], known).new == 0


def test_same_text_under_a_different_guid_and_url_is_a_different_article() -> None:
    known = known_from([entry(1)])
    other = entry(1, guid="x", url="https://news.example/other")
    assert decide([other], known).new == 1  # across polls
    assert decide([entry(1), other]).new == 2  # in one document
    assert decide([entry(1), entry(1, guid="x")]).new == 1  # same link: one article
    # in one document a different guid alone is enough; across polls it may be a rotation
    assert decide([entry(1, url=""), entry(1, guid="y", url="")]).new == 2
    assert decide([entry(1, guid="y", url="")], known_from([entry(1, url="")])).new == 0


def test_corrected_title_refreshes_the_stored_article() -> None:
    known = known_from([entry(1)])
    result = decide([entry(1, title="Story number 1 (corrected)")], known)
    assert result.new == 0 and result.updated == 1
    assert result.intents[0].existing_id == 1


def test_duplicate_items_in_one_document_count_once() -> None:
    result = decide([entry(1), entry(1), entry(1, guid="other")])
    assert result.new == 1 and result.unchanged == 2


def test_flood_cap_keeps_the_newest_as_candidates_and_stores_the_rest() -> None:
    entries = [entry(n, published=NOW - timedelta(minutes=n)) for n in range(100)]
    result = decide(entries, policy=EntryPolicy(max_new_per_feed=10))
    candidates = [i for i in result.intents if i.stage is Stage.NEW]
    assert len(result.intents) == 100 and len(candidates) == 10 and result.capped == 90
    assert {i.title for i in candidates} == {f"Story number {n}" for n in range(10)}


def test_full_text_feeds_wait_for_extraction() -> None:
    assert decide([entry(1)], full_text=True).intents[0].stage is Stage.EXTRACT


def feed(**changes: object) -> FeedForUpdate:
    values: dict[str, object] = dict(
        id=1,
        config_url="https://f.example/rss",
        url="https://f.example/rss",
        name="F",
        industry=None,
        caching=CachingInfo('"v1"', "Mon, 23 Nov 2026 08:00:00 GMT"),
        error_count=0,
        first_error_at=None,
        baseline_done=True,
        interval_s=None,
        user_agent=None,
        full_text=False,
    )
    values.update(changes)
    return FeedForUpdate(**values)  # type: ignore[arg-type]


def test_gone_disables_at_once_with_the_reason() -> None:
    intent = decide_failure(feed(), FetchError("u", "HTTP 410 Gone", status=410), NOW, PollPolicy())
    assert intent.status is FetchStatus.DISABLED and "410" in (intent.disabled_reason or "")


def test_rate_limit_waits_for_retry_after_without_counting_an_error() -> None:
    error = FetchError("u", "HTTP 429", status=429, retry_after_s=7200)
    intent = decide_failure(feed(error_count=2), error, NOW, PollPolicy())
    assert intent.status is FetchStatus.RATE_LIMITED
    assert intent.error_count == 2
    assert intent.next_check_at == NOW + timedelta(seconds=7200)
    assert intent.retry_after_until == NOW + timedelta(seconds=7200)


def test_consecutive_failures_back_off_then_disable_keeping_the_reason() -> None:
    policy = PollPolicy(error_limit=3, backoff_base=60, backoff_max=10_000)
    state = feed()
    delays = []
    for _ in range(3):
        intent = decide_failure(state, ParseError("u", "not a feed"), NOW, policy)
        delays.append((intent.next_check_at - NOW).total_seconds())
        state = feed(error_count=intent.error_count, first_error_at=intent.first_error_at)
    assert delays == [60, 120, 240]
    assert intent.status is FetchStatus.DISABLED
    assert "3 consecutive failures" in (intent.disabled_reason or "")
    assert "not a feed" in (intent.disabled_reason or "")


def test_success_resets_errors_and_follows_a_permanent_redirect() -> None:
    retrieved = RetrievedFeed(
        "https://new.example/rss",
        200,
        b"<rss/>",
        {"cache-control": "max-age=7200"},
        CachingInfo('"v2"', None),
        permanent_redirect="https://new.example/rss",
    )
    parsed = ParsedFeed("F", None, ())
    intent = decide_success(feed(error_count=4), retrieved, parsed, NOW, PollPolicy())
    assert intent.error_count == 0 and intent.new_url == "https://new.example/rss"
    assert intent.caching == CachingInfo('"v2"', None)
    assert intent.next_check_at >= NOW + timedelta(seconds=7200)


def test_not_modified_keeps_validators_unless_the_server_sends_new_ones() -> None:
    retrieved = RetrievedFeed("u", 304, None, {}, CachingInfo(None, None))
    intent = decide_success(feed(), retrieved, None, NOW, PollPolicy())
    assert intent.status is FetchStatus.NOT_MODIFIED
    assert intent.caching == CachingInfo('"v1"', "Mon, 23 Nov 2026 08:00:00 GMT")


def test_a_busy_feed_is_polled_before_its_window_of_items_can_overflow() -> None:
    # the feed: 15 items from the last 15 hours was "next check in 1d" (7 d x 2 / 15)
    entries = tuple(entry(n, published=NOW - timedelta(hours=n)) for n in range(15))
    retrieved = RetrievedFeed("u", 200, b"<rss/>", {}, CachingInfo(None, None))
    policy = PollPolicy()
    last = NOW - timedelta(hours=1)
    intent = decide_success(
        feed(last_success_at=last), retrieved, ParsedFeed("F", None, entries), NOW, policy, 1
    )
    interval = (intent.next_check_at - NOW).total_seconds()
    rate = 14 / (14 * 3600)  # items per second from the publish dates
    assert interval * rate <= 15 * policy.window_fill * (1 + policy.jitter)
    assert not intent.gap
    # a server hint of a day does not let it overflow either; a configured interval is kept
    hinted = RetrievedFeed(
        "u", 200, b"<rss/>", {"cache-control": "max-age=86400"}, CachingInfo(None, None)
    )
    assert decide_success(
        feed(), hinted, ParsedFeed("F", None, entries), NOW, policy
    ).next_check_at < NOW + timedelta(hours=9)
    configured = decide_success(
        feed(interval_s=86400.0), retrieved, ParsedFeed("F", None, entries), NOW, policy
    )
    assert configured.next_check_at >= NOW + timedelta(days=1)


def test_every_item_new_is_a_gap_and_halves_the_interval() -> None:
    entries = tuple(entry(n, published=None) for n in range(5))
    parsed = ParsedFeed("F", None, entries)
    retrieved = RetrievedFeed("u", 200, b"<rss/>", {}, CachingInfo(None, None))
    policy = PollPolicy(jitter=0.0)
    seen = feed(last_success_at=NOW - timedelta(hours=4), adaptive_interval_s=4 * 3600.0)
    intent = decide_success(seen, retrieved, parsed, NOW, policy, new_items=5)
    assert intent.gap and intent.next_check_at <= NOW + timedelta(hours=2)
    assert intent.adaptive_interval_s is not None and intent.adaptive_interval_s <= 2 * 3600
    # some items already known: no gap; a feed's first fetch is never a gap
    assert not decide_success(seen, retrieved, parsed, NOW, policy, new_items=4).gap
    first = feed(baseline_done=False, last_success_at=None)
    assert not decide_success(first, retrieved, parsed, NOW, policy, new_items=5).gap


def test_window_ceiling_keeps_expected_new_items_within_the_window_fill() -> None:
    policy = PollPolicy(window_fill=0.5)
    # 10 items, 2 an hour by their dates: at most 5 expected per poll -> 2.5 h
    assert window_ceiling(
        window=10, date_rate=2 / 3600, new_items=0, elapsed_s=None, gap=False, policy=policy
    ) == pytest.approx(9000)
    # the poll saw 8 new in 1 h: the faster rate wins
    assert window_ceiling(
        window=10, date_rate=2 / 3600, new_items=8, elapsed_s=3600, gap=False, policy=policy
    ) == pytest.approx(2250)
    # a gap: at most half the elapsed time
    assert window_ceiling(
        window=10, date_rate=None, new_items=0, elapsed_s=3600, gap=True, policy=policy
    ) == pytest.approx(1800)
    assert (
        window_ceiling(
            window=10, date_rate=None, new_items=0, elapsed_s=None, gap=False, policy=policy
        )
        is None
    )
    assert publish_rate(NOW, [NOW, None, NOW - timedelta(days=30)]) is None
    assert publish_rate(NOW, [NOW, NOW - timedelta(hours=2)]) == pytest.approx(1 / 7200)
