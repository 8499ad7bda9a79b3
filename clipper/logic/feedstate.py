"""What one fetch attempt changes on a feed: next check, validators, errors, disabling.

Does not touch storage or the network; the pipeline applies the returned intent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ..exceptions import FeedError, FetchError, ParseError
from ..types import (
    CachingInfo,
    FeedFailure,
    FeedForUpdate,
    FeedUpdateIntent,
    FetchStatus,
    ParsedFeed,
    RetrievedFeed,
)
from .schedule import (
    PollPolicy,
    backoff_delay,
    entry_frequency_interval,
    next_check_at,
    next_interval,
    publish_rate,
    server_hint_interval,
    window_ceiling,
)


def decide_success(
    feed: FeedForUpdate,
    retrieved: RetrievedFeed,
    parsed: ParsedFeed | None,
    now: datetime,
    policy: PollPolicy,
    new_items: int = 0,
) -> FeedUpdateIntent:
    """Return the feed's new state after a 200 (``parsed`` set) or a 304 (``parsed`` None).

    ``new_items``: how many of the parsed items were not stored before. The adaptive interval
    never lets the feed's window of items overflow between polls (``window_ceiling``); when
    every item of a poll is new on a feed already seen, items may have been lost: that is a
    gap, recorded and answered with at most half the elapsed time. A permanent redirect moves
    the feed to its new URL; the validators are kept verbatim, and a 304 keeps the old ones
    unless the server sent new ones; a broken document (``parsed.broken``) keeps none, so the
    next poll reads it whole. Does not shorten a configured interval.
    """
    gap = False
    ceiling = None
    if parsed is not None:
        published = [e.published for e in parsed.entries]
        observed = entry_frequency_interval(now, published, policy)
        elapsed = (now - feed.last_success_at).total_seconds() if feed.last_success_at else None
        gap = (
            feed.baseline_done
            and retrieved.permanent_redirect is None
            and len(parsed.entries) >= 2
            and new_items >= len(parsed.entries)
        )
        ceiling = window_ceiling(
            window=len(parsed.entries),
            date_rate=publish_rate(now, published),
            new_items=new_items if feed.baseline_done else 0,
            elapsed_s=elapsed,
            gap=gap,
            policy=policy,
        )
        if ceiling is not None:
            observed = min(observed, ceiling) if observed is not None else ceiling
    else:
        observed = feed.adaptive_interval_s
    hint = server_hint_interval(retrieved.headers, parsed.ttl_s if parsed else None, now)
    interval = next_interval(
        configured=feed.interval_s, hint=hint, observed=observed, policy=policy, ceiling=ceiling
    )
    caching = CachingInfo(
        etag=retrieved.caching.etag or (feed.caching.etag if parsed is None else None),
        last_modified=retrieved.caching.last_modified
        or (feed.caching.last_modified if parsed is None else None),
    )
    if parsed is not None and parsed.broken:
        # a document cut off after some items: its validators would make the next poll a 304,
        # and the items after the cut would never be read; the next poll reads it all again
        caching = CachingInfo(etag=None, last_modified=None)
    return FeedUpdateIntent(
        feed_id=feed.id,
        status=FetchStatus.OK if parsed is not None else FetchStatus.NOT_MODIFIED,
        checked_at=now,
        next_check_at=next_check_at(now, interval, feed.config_url, policy),
        caching=caching,
        error_count=0,
        first_error_at=None,
        last_error=None,
        new_url=retrieved.permanent_redirect,
        baseline_done=feed.baseline_done or parsed is not None,
        success=True,
        http_status=retrieved.status,
        adaptive_interval_s=observed,
        gap=gap,
    )


def decide_failure(
    feed: FeedForUpdate, error: FeedError, now: datetime, policy: PollPolicy
) -> FeedUpdateIntent:
    """Return the feed's new state after a failed fetch or parse.

    410 disables at once; 429 waits for Retry-After without counting as the feed's fault; every
    other failure counts, backs off exponentially and disables after ``error_limit`` in a row.
    The reason is always kept.
    """
    status = error.status if isinstance(error, FetchError) else None
    retry_after = error.retry_after_s if isinstance(error, FetchError) else None
    if retry_after is not None:
        retry_after = min(retry_after, policy.max_retry_after)
    retry_until = now + timedelta(seconds=retry_after) if retry_after is not None else None
    errors = feed.error_count + 1
    # what every failure writes; each branch below says how it differs
    failed = FeedUpdateIntent(
        feed_id=feed.id,
        status=FetchStatus.ERROR,
        checked_at=now,
        next_check_at=now
        + timedelta(seconds=max(backoff_delay(errors, policy), retry_after or 0.0)),
        caching=feed.caching,
        error_count=errors,
        first_error_at=feed.first_error_at or now,
        last_error=str(error),
        baseline_done=feed.baseline_done,
        retry_after_until=retry_until,
        http_status=status,
        adaptive_interval_s=feed.adaptive_interval_s,
    )
    if status == 410:
        return replace(
            failed,
            status=FetchStatus.DISABLED,
            next_check_at=now + timedelta(seconds=policy.max_interval),
            disabled_reason=f"410 Gone: the server says the feed was removed ({feed.url})",
        )
    if status == 429:
        delay = max(retry_after or backoff_delay(1, policy), policy.min_interval)
        return replace(
            failed,
            status=FetchStatus.RATE_LIMITED,
            next_check_at=now + timedelta(seconds=delay),
            error_count=feed.error_count,
            first_error_at=feed.first_error_at,
        )
    if errors >= policy.error_limit:
        return replace(
            failed,
            status=FetchStatus.DISABLED,
            disabled_reason=f"disabled after {errors} consecutive failures; last: {error}",
        )
    return failed


def failure_reason(error: FeedError) -> FeedFailure:
    """Return the metrics label of a failed fetch or parse. Does not read the message."""
    if isinstance(error, ParseError):
        return FeedFailure.PARSE
    status = error.status if isinstance(error, FetchError) else None
    if status is None:
        return FeedFailure.TRANSPORT
    if status == 410:
        return FeedFailure.GONE
    if status == 429:
        return FeedFailure.RATE_LIMITED
    if status >= 500:
        return FeedFailure.HTTP_5XX
    return FeedFailure.HTTP_4XX if status >= 400 else FeedFailure.TRANSPORT
