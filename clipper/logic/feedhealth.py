"""The feed-health report: which feeds need a person, why, and the command that fixes each.

    assess_feeds(rows, origins, now, policy)  → FeedHealthReport (findings by problem)
    report_markdown / report_slack / report_text   the same report for a file, Slack, a terminal
    last_slot(now, at, zone)                  the latest daily time the report was due

Five problems, each from what storage already records about a feed: broken (failing now, the
last error), disabled (why and since when), stale (no new item in ``stale_days``), moved (a
permanent redirect: the URL to put in the catalog) and overflowing (a poll found every item new,
so items fell off the feed between polls). Feed names, URLs and server errors are hostile text:
each rendering escapes them for its target. Contains no I/O and no clock: ``now`` is given.
Does not send, write or decide who gets the report.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..types import FeedHealthRow
from .blockkit import MAX_BLOCKS, MAX_SECTION, cut, escape, escape_name
from .escape import escape_markdown_html
from .urls import redact_url
from .words import plural

#: characters of a quoted server error or URL in one line
ERROR_CHARS = 300
URL_CHARS = 300


class FeedProblem(enum.StrEnum):
    """Why a feed is in the report; the order is the report's."""

    BROKEN = "broken"
    DISABLED = "disabled"
    STALE = "stale"
    MOVED = "moved"
    OVERFLOWING = "overflowing"

    @property
    def heading(self) -> str:
        return _HEADINGS[self]


_HEADINGS = {
    FeedProblem.BROKEN: "Broken: failing now",
    FeedProblem.DISABLED: "Disabled: no longer polled",
    FeedProblem.STALE: "Stale: nothing new for a while",
    FeedProblem.MOVED: "Moved: permanently redirected",
    FeedProblem.OVERFLOWING: "Overflowing: items lost between polls",
}


@dataclass(frozen=True, slots=True)
class FeedHealthPolicy:
    """The report's thresholds (``alerts.feed_health`` and ``fetch``)."""

    stale_after: timedelta = timedelta(days=14)
    broken_after_errors: int = 2
    #: a gap this recent makes a feed overflowing
    overflow_window: timedelta = timedelta(days=7)
    #: the shortest interval Clipper polls at (``fetch.min_interval``), in seconds
    min_interval_s: float = 300.0
    #: the interval of a feed with none configured or learnt (``fetch.default_interval``)
    default_interval_s: float = 3600.0
    #: the longest interval Clipper polls at (``fetch.max_interval``), in seconds
    max_interval_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class FeedFinding:
    """One problem of one feed, as plain text (each rendering escapes it)."""

    problem: FeedProblem
    name: str
    #: the URL as configured (secrets redacted)
    url: str
    #: ``file:line`` of the feed in the configuration ("" when not configured any more)
    origin: str
    reason: str
    #: the command or edit that fixes it
    fix: str


@dataclass(frozen=True, slots=True)
class FeedHealthReport:
    """Every configured feed assessed at ``checked_at``."""

    checked_at: datetime
    #: configured (active) feeds assessed
    feeds: int
    findings: tuple[FeedFinding, ...]

    def of(self, problem: FeedProblem) -> tuple[FeedFinding, ...]:
        return tuple(f for f in self.findings if f.problem is problem)

    @property
    def failing(self) -> bool:
        """True when a feed is broken or disabled (``clipper feeds health`` exits 1)."""
        return any(f.problem in (FeedProblem.BROKEN, FeedProblem.DISABLED) for f in self.findings)

    @property
    def healthy(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        """One line: the counts by problem, or that every feed is healthy."""
        if self.healthy:
            return f"all {plural(self.feeds, 'feed')} healthy"
        counts = [f"{len(self.of(p))} {p.value}" for p in FeedProblem if self.of(p)]
        feeds = len({f.url for f in self.findings})
        verb = "needs" if feeds == 1 else "need"
        return f"{plural(feeds, 'feed')} of {self.feeds} {verb} attention: " + ", ".join(counts)


def _day(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC" if when is not None else "never"


def _span(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days >= 1:
        return plural(int(days), "day")
    return plural(max(1, int(delta.total_seconds() // 3600)), "hour")


def _interval_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _where(origin: str) -> str:
    return f"at {origin}" if origin else "in its catalog"


def assess_feeds(
    rows: Sequence[FeedHealthRow],
    origins: Mapping[str, str],
    now: datetime,
    policy: FeedHealthPolicy,
) -> FeedHealthReport:
    """Return the findings for every configured feed in ``rows`` (``origins``: configured URL
    → ``file:line``); feeds removed from the configuration are left out. A feed may have
    several findings (moved and stale). Does not read anything."""
    findings: list[FeedFinding] = []
    active = [r for r in rows if r.active]
    for row in active:
        url = redact_url(row.url)
        origin = origins.get(row.url, "")
        where = _where(origin)

        def add(
            problem: FeedProblem,
            reason: str,
            fix: str,
            row: FeedHealthRow = row,
            url: str = url,
            origin: str = origin,
        ) -> None:
            findings.append(FeedFinding(problem, row.name, url, origin, reason, fix))

        error = cut(redact_url(row.last_error or "unknown error"), ERROR_CHARS)
        if row.disabled_reason:
            add(
                FeedProblem.DISABLED,
                f"disabled since {_day(row.disabled_at)}: "
                f"{cut(redact_url(row.disabled_reason), ERROR_CHARS)}",
                f"fix the URL {where} if it changed (or remove the feed), then "
                f"`clipper feeds enable {url}`",
            )
        elif row.error_count >= policy.broken_after_errors:
            add(
                FeedProblem.BROKEN,
                f"{plural(row.error_count, 'failure')} in a row since "
                f"{_day(row.first_error_at)}; last: {error}",
                f"check the URL {where} (`clipper feeds discover {url}` finds the feed a "
                f"site advertises), then `clipper fetch --once --all`",
            )
        if row.current_url != row.url:
            new = cut(redact_url(row.current_url), URL_CHARS)
            add(
                FeedProblem.MOVED,
                f"permanently redirected to {new}",
                f"edit the url {where} to {new}",
            )
        failing = row.disabled_reason or row.error_count >= policy.broken_after_errors
        newest = row.last_new_at or row.created_at
        if not failing and now - newest >= policy.stale_after:
            since = (
                f"last new item {_day(row.last_new_at)}"
                if row.last_new_at is not None
                else f"no item since it was added {_day(row.created_at)}"
            )
            add(
                FeedProblem.STALE,
                f"no new item in {_span(now - newest)} ({since})",
                f"check the site still publishes there (`clipper feeds discover {url}`), or "
                f"remove the feed {where}",
            )
        if (
            row.gaps
            and row.last_gap_at is not None
            and now - row.last_gap_at <= policy.overflow_window
        ):
            current = min(
                row.interval_s or row.adaptive_interval_s or policy.default_interval_s,
                policy.max_interval_s,
            )
            lower = max(policy.min_interval_s, current / 2)
            if current > policy.min_interval_s:
                fix = f"add `interval: {_interval_text(lower)}` to the feed {where}"
            else:
                fix = (
                    f"it is polled every {_interval_text(current)} already: lower "
                    f"`fetch.min_interval` in clipper.yaml, or find a feed with more items"
                )
            add(
                FeedProblem.OVERFLOWING,
                f"{plural(row.gaps, 'poll')} found every item new (last {_day(row.last_gap_at)}): "
                "items published between polls may have been missed",
                fix,
            )
    order = list(FeedProblem)
    findings.sort(key=lambda f: (order.index(f.problem), f.name.casefold(), f.url))
    return FeedHealthReport(now, len(active), tuple(findings))


#: Slack ids: a user (``U``/``W``) and a channel (public ``C``, private ``G``)
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
_SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,20}")


def is_slack_user_id(value: str) -> bool:
    """True when ``value`` has the shape of a Slack user id (not an email, not a channel)."""
    return _SLACK_USER.fullmatch(value) is not None


def slack_recipient_channel(recipient: str) -> str | None:
    """The channel to post in for an admin recipient: the id itself for a channel, None for
    a person (their direct message is opened when it is sent)."""
    return recipient if _SLACK_CHANNEL.fullmatch(recipient) else None


def last_slot(now: datetime, at: time, zone: str) -> datetime:
    """Return the latest instant at or before ``now`` when the clock in ``zone`` read ``at``
    (UTC). A time the clocks skip counts as just after the gap."""
    tz = ZoneInfo(zone)
    today: date = now.astimezone(tz).date()
    for offset in (0, 1, 2):
        day = today - timedelta(days=offset)
        slot = datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(now.tzinfo)
        if slot <= now:
            return slot
    raise AssertionError("two days back always hold the time")


# ---------------------------------------------------------------- renderings


def _md(text: str) -> str:
    """Escape Markdown's control characters (and HTML's) so ``text`` shows literally on one
    line; white space at its ends is kept (it may sit next to a code span)."""
    return escape_markdown_html(re.sub(r"\s+", " ", text))


def _md_code(text: str) -> str:
    """Markdown for a fix: its `commands` as code spans (their text shown literally)."""
    parts = " ".join(text.split()).split("`")
    out: list[str] = []
    for n, part in enumerate(parts):
        if n % 2 and n < len(parts) - 1:
            fence = "``" if "`" in part else "`"
            out.append(f"{fence}{part.replace(fence, '')}{fence}")
        else:
            out.append(_md(part))
    return "".join(out)


def report_markdown(report: FeedHealthReport) -> str:
    """The report as a Markdown document (the terminal-mode file)."""
    lines = [f"# Feed health ({report.checked_at:%Y-%m-%d %H:%M} UTC)", "", _md(report.summary())]
    for problem in FeedProblem:
        found = report.of(problem)
        if not found:
            continue
        lines += ["", f"## {problem.heading} ({len(found)})", ""]
        for f in found:
            where = f" ({_md(f.origin)})" if f.origin else ""
            lines.append(f"- **{_md(f.name)}** <{_md(f.url)}>{where}  ")
            lines.append(f"  {_md(f.reason)}  ")
            lines.append(f"  Fix: {_md_code(f.fix)}")
    return "\n".join(lines) + "\n"


def report_text(report: FeedHealthReport) -> list[str]:
    """The report as plain lines for a terminal (no markup: the caller escapes for its
    console)."""
    lines = [report.summary()]
    for problem in FeedProblem:
        found = report.of(problem)
        if not found:
            continue
        lines += ["", f"{problem.heading} ({len(found)})"]
        for f in found:
            where = f" ({f.origin})" if f.origin else ""
            lines += [f"  {f.name} <{f.url}>{where}", f"    {f.reason}", f"    fix: {f.fix}"]
    return lines


def _mrkdwn_fix(text: str) -> str:
    parts = text.split("`")
    out = []
    for n, part in enumerate(parts):
        if n % 2 and n < len(parts) - 1:
            out.append(f"`{escape(part)}`")
        else:
            out.append(escape_name(part))
    return "".join(out)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut_keep(text)}}


def cut_keep(text: str) -> str:
    """Return a section's text within Slack's limit, keeping its line breaks."""
    return text if len(text) <= MAX_SECTION else text[: MAX_SECTION - 1] + "…"


def report_slack(report: FeedHealthReport) -> tuple[str, tuple[dict[str, Any], ...]]:
    """The report as a Slack message: (notification text, Block Kit blocks), one section per
    feed within Slack's limits (50 blocks: the rest counted in the last one)."""
    text = escape(cut(f"Feed health: {report.summary()}", 300))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Feed health", "emoji": True}},
        _section(escape(report.summary())),
    ]
    room = MAX_BLOCKS - len(blocks) - 1
    shown = 0
    for problem in FeedProblem:
        found = report.of(problem)
        if not found:
            continue
        if room < 2:
            break
        blocks.append(_section(f"*{escape(problem.heading)}* ({len(found)})"))
        room -= 1
        for f in found:
            if room < 1:
                break
            where = f" · {escape_name(cut(f.origin, 200))}" if f.origin else ""
            body = (
                f"*{escape_name(cut(f.name, 150))}* {escape(cut(f.url, URL_CHARS))}{where}\n"
                f"{escape_name(f.reason)}\n"
                f"Fix: {_mrkdwn_fix(f.fix)}"
            )
            blocks.append(_section(body))
            room -= 1
            shown += 1
    left = len(report.findings) - shown
    if left:
        blocks.append(
            _section(f"and {plural(left, 'more finding')}: run `clipper feeds health` to see all")
        )
    return text, tuple(blocks)


def slack_payload(report: FeedHealthReport) -> tuple[str, str]:
    """The report as one outbox part: (notification text, Block Kit JSON)."""
    text, blocks = report_slack(report)
    return text, json.dumps(list(blocks), ensure_ascii=False)
