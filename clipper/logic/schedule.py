"""When to fetch a feed next: server hints, observed entry frequency, backoff and jitter.

Does not read the clock: every function takes ``now``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """The bounds a manager sets on polling (all durations in seconds)."""

    #: interval for feeds without a configured interval or usable hints
    default_interval: float = 3600.0
    #: never poll a feed more often than this
    min_interval: float = 300.0
    #: never leave a healthy feed unpolled longer than this
    max_interval: float = 86400.0
    #: first delay after an error; doubled per consecutive error
    backoff_base: float = 300.0
    #: longest delay after errors
    backoff_max: float = 86400.0
    #: disable a feed after this many consecutive failures
    error_limit: int = 10
    #: longest Retry-After honoured (a server asking for more gets this)
    max_retry_after: float = 7 * 86400.0
    #: fraction of the interval added as deterministic per-feed jitter
    jitter: float = 0.1
    #: target entries per poll when adapting to a feed's publishing rate
    entries_per_poll: float = 2.0
    #: at most this fraction of a feed's items may be expected to appear between two polls, so
    #: its window of items never overflows (the feed drops the oldest before we see them)
    window_fill: float = 0.5


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return a Retry-After header as seconds from ``now`` (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def parse_max_age(cache_control: str | None) -> float | None:
    """Return ``max-age`` (or ``s-maxage``) from a Cache-Control header, in seconds."""
    if not cache_control:
        return None
    found = re.search(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", cache_control, re.I)
    return float(found.group(1)) if found else None


def parse_expires(expires: str | None, now: datetime) -> float | None:
    """Return an Expires header as seconds from ``now``; None when absent, bad or past."""
    if not expires:
        return None
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = (when - now).total_seconds()
    return seconds if seconds > 0 else None


def entry_frequency_interval(
    now: datetime, published: Iterable[datetime | None], policy: PollPolicy
) -> float | None:
    """Return an interval that sees about ``entries_per_poll`` new items per poll.

    Uses the items dated within the last 7 days; None when there are none (no evidence).
    """
    week_ago = now - timedelta(days=7)
    weekly = sum(1 for when in published if when is not None and week_ago <= when <= now)
    if weekly == 0:
        return None
    return 7 * 86400.0 * policy.entries_per_poll / weekly


def publish_rate(now: datetime, published: Iterable[datetime | None]) -> float | None:
    """Return items per second from the publish dates of the last 7 days, or None (no evidence).

    Counts the gaps between dated items (n - 1) over the time from the oldest to ``now``, so a
    feed that went quiet is not taken for a busy one. Needs two dated items.
    """
    week_ago = now - timedelta(days=7)
    dated = [when for when in published if when is not None and week_ago <= when <= now]
    if len(dated) < 2:
        return None
    span = max((now - min(dated)).total_seconds(), 60.0)
    return (len(dated) - 1) / span


def window_ceiling(
    *,
    window: int,
    date_rate: float | None,
    new_items: int,
    elapsed_s: float | None,
    gap: bool,
    policy: PollPolicy,
) -> float | None:
    """Return the longest interval that keeps a feed's window of items from overflowing.

    ``window`` is how many items the feed holds; the rate is the higher of its publish dates'
    (``date_rate``) and what this poll saw (``new_items`` new since the last check
    ``elapsed_s`` ago); at most ``policy.window_fill`` of the window may be expected between
    polls. A ``gap`` (every item was new: some may have been lost) also halves the elapsed
    time. None when there is no evidence. Does not apply the policy's bounds.
    """
    rates = [r for r in (date_rate,) if r is not None and r > 0]
    if elapsed_s is not None and elapsed_s > 0 and new_items > 0:
        rates.append(new_items / elapsed_s)
    ceilings: list[float] = []
    if window > 0 and rates:
        ceilings.append(policy.window_fill * window / max(rates))
    if gap and elapsed_s is not None and elapsed_s > 0:
        ceilings.append(elapsed_s / 2)
    return min(ceilings) if ceilings else None


def server_hint_interval(
    headers: Mapping[str, str], ttl_s: float | None, now: datetime
) -> float | None:
    """Return the longest of the feed's TTL, Cache-Control max-age and Expires, if any."""
    hints = [
        h
        for h in (
            ttl_s,
            parse_max_age(headers.get("cache-control")),
            parse_expires(headers.get("expires"), now),
        )
        if h is not None and h > 0
    ]
    return max(hints) if hints else None


def jitter_for(key: str, interval: float, fraction: float) -> float:
    """Return a stable per-feed delay in [0, fraction * interval) that spreads feeds apart.

    Deterministic (a hash of ``key``), so tests and reruns see the same schedule.
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    unit = int.from_bytes(digest, "big") / 2**64
    return unit * fraction * interval


def next_interval(
    *,
    configured: float | None,
    hint: float | None,
    observed: float | None,
    policy: PollPolicy,
    ceiling: float | None = None,
) -> float:
    """Return the polling interval after a successful fetch, clamped to the policy's bounds.

    A configured interval replaces the adaptive one; server hints are a floor either way, so a
    server asking to be polled less often is obeyed (up to ``max_interval``) unless its feed
    would overflow: ``ceiling`` (``window_ceiling``) shortens an adaptive interval, never a
    configured one, and never below ``min_interval``.
    """
    base = configured if configured is not None else (observed or policy.default_interval)
    if hint is not None:
        base = max(base, hint)
    if ceiling is not None and configured is None:
        base = min(base, ceiling)
    return min(max(base, policy.min_interval), policy.max_interval)


def backoff_delay(consecutive_errors: int, policy: PollPolicy) -> float:
    """Return the delay after ``consecutive_errors`` failures in a row (exponential, capped)."""
    exponent = max(0, consecutive_errors - 1)
    return float(min(policy.backoff_base * (2 ** min(exponent, 30)), policy.backoff_max))


def next_check_at(now: datetime, interval: float, key: str, policy: PollPolicy) -> datetime:
    """Return when to poll next: ``now + interval`` plus the feed's stable jitter."""
    return now + timedelta(seconds=interval + jitter_for(key, interval, policy.jitter))
