"""The team report in words, and the manager's weekly team digest built from it.

    report_sections(TouchReport)  → titled lines, plain text: the one wording of every number
    report_mrkdwn                 → ``/clip report`` (Slack mrkdwn, escaped)
    compose_team_digest           → the same sections as Block Kit parts (Slack) or Markdown
    (when it is due: ``logic.digest.last_due`` on the manager's schedule, ``digests.py``)

Both the report and the digest render the same ``TouchReport`` through ``report_sections``, so
every number the manager reads in the digest is one ``/clip report`` shows. Does not count
anything (``rep_actions.RepActions.touch_report`` does), read storage or send anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..types import ActivityCounts, ComposedDigest, DigestKind, Sink, TouchReport
from .blockkit import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_MESSAGE_TEXT,
    MAX_SECTION,
    MAX_TOP_TEXT,
    SlackMessage,
    cut,
    cut_lines,
    escape,
    escape_name,
)
from .escape import escape_markdown
from .words import plural

#: rows listed per section; the rest are counted ("and 12 more")
MAX_ROWS = 30


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A titled group of report lines (plain text, not escaped)."""

    title: str
    lines: tuple[str, ...]


def _counts(counts: ActivityCounts) -> str:
    """Word an account's or rep's stories matched (each story once) and shares."""
    return f"{plural(counts.matches, 'story', 'stories')}, {plural(counts.shares, 'share')}"


def _on_target(report: TouchReport) -> str:
    """Word the team's coverage: accounts at their own quarterly target (a tier's or an
    account's ``touch_target`` may ask more than the default), as ``clipper report touches``
    counts them ("on target")."""
    return (
        f"{report.touched} of {plural(report.accounts, 'account')} on target (each against "
        f"its own quarterly target; {plural(report.target, 'touch', 'touches')} by default)"
    )


def _capped(lines: list[str], what: str) -> tuple[str, ...]:
    if len(lines) <= MAX_ROWS:
        return tuple(lines)
    return (*lines[:MAX_ROWS], f"and {len(lines) - MAX_ROWS} more {what}")


def report_sections(report: TouchReport) -> list[ReportSection]:
    """Word every number of ``report``, grouped and titled; lists are capped at ``MAX_ROWS``
    with the rest counted. The week is the 7 days to the report; the quarter is the one
    ``touches:`` configures (calendar or fiscal). Does not escape anything."""
    sections = [
        ReportSection(
            "Touch coverage this quarter",
            (_on_target(report),),
        ),
        ReportSection(
            "Per rep: accounts on target · stories matched and shares this week (7 days) · "
            "this quarter",
            _capped(
                [
                    f"{o.owner}: {o.touched}/{o.total} on target · week: {_counts(o.week)} · "
                    f"quarter: {_counts(o.quarter)}"
                    for o in report.by_owner
                ],
                "reps",
            ),
        ),
    ]
    if report.by_account:
        sections.append(
            ReportSection(
                "Per account: stories matched and shares this week (7 days) · this quarter",
                _capped(
                    [
                        f"{a.account} ({a.owner}): week: {_counts(a.week)} · "
                        f"quarter: {_counts(a.quarter)} · {plural(a.touches, 'touch', 'touches')}"
                        for a in report.by_account
                    ],
                    "accounts",
                ),
            )
        )
    if report.news_untouched:
        sections.append(
            ReportSection(
                "News but no touch this quarter",
                _capped(list(report.news_untouched), "accounts"),
            )
        )
    if report.due:
        sections.append(ReportSection("Due", _capped(list(report.due), "accounts")))
    if report.broken_feeds:
        lines = []
        for feed in report.broken_feeds:
            if feed.disabled_reason:
                state = f"disabled: {cut(feed.disabled_reason, 160)}"
            else:
                state = f"failing ({feed.error_count} in a row)"
                if feed.last_error:
                    state += f": {cut(feed.last_error, 160)}"
            lines.append(f"{cut(feed.name, 100)}: {state}")
        sections.append(ReportSection("Feeds that broke", _capped(lines, "feeds")))
    else:
        sections.append(ReportSection("Feeds that broke", ("none",)))
    return sections


def report_mrkdwn(report: TouchReport) -> str:
    """``/clip report``: every section as Slack mrkdwn, article-free but escaped (names from
    feeds and files cannot format it: ``escape_name``)."""
    out = []
    for section in report_sections(report):
        if len(section.lines) == 1 and section.title == "Touch coverage this quarter":
            out.append(f"*{section.title}*: {escape(section.lines[0])}")
            continue
        out.append(f"*{escape(section.title)}*")
        out += [f"• {escape_name(line)}" for line in section.lines]
    return "\n".join(out)


def _team_title(now: datetime) -> str:
    return f"Clipper team summary · week to {now:%a %d %b}"


def render_team_markdown(report: TouchReport, rep_name: str, now: datetime) -> str:
    """The team digest as Markdown (terminal and ``var/digests/``)."""
    lines = [f"# {_team_title(now)} for {escape_markdown(rep_name)}", ""]
    for section in report_sections(report):
        lines += [f"## {escape_markdown(section.title)}", ""]
        lines += [f"- {escape_markdown(line)}" for line in section.lines]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _section_blocks(section: ReportSection, n: int) -> list[dict[str, Any]]:
    """A section's title and lines as mrkdwn sections of at most ``MAX_SECTION`` characters."""
    texts: list[str] = []
    chunk = f"*{escape(section.title)}*"
    for line in section.lines:
        row = f"• {escape_name(line)}"
        if len(chunk) + 1 + len(row) > MAX_SECTION:
            texts.append(chunk)
            chunk = row
        else:
            chunk += "\n" + row
    texts.append(chunk)
    return [
        {
            "type": "section",
            "block_id": f"team-{n}-{i}",
            "text": {"type": "mrkdwn", "text": cut_lines(text, MAX_SECTION)},
        }
        for i, text in enumerate(texts)
    ]


def render_team_slack(report: TouchReport, now: datetime) -> list[SlackMessage]:
    """The team digest as messages within Slack's limits (a title on each part)."""
    budget_blocks = MAX_BLOCKS - 1
    budget_text = MAX_MESSAGE_TEXT - MAX_HEADER
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for n, section in enumerate(report_sections(report)):
        for block in _section_blocks(section, n):
            length = len(block["text"]["text"])
            if parts[-1] and (len(parts[-1]) + 1 > budget_blocks or size + length > budget_text):
                parts.append([])
                size = 0
            parts[-1].append(block)
            size += length
    messages = []
    for number, blocks in enumerate(parts, start=1):
        title = _team_title(now) + (f" (part {number} of {len(parts)})" if len(parts) > 1 else "")
        header = {
            "type": "header",
            "block_id": "title",
            "text": {"type": "plain_text", "text": cut(title, MAX_HEADER)},
        }
        text = cut(
            f"{title}: {report.touched} of {plural(report.accounts, 'account')} on target "
            "this quarter",
            MAX_TOP_TEXT,
        )
        messages.append(SlackMessage(text, (header, *blocks), ()))
    return messages


def compose_team_digest(
    report: TouchReport, rep_name: str, sink: Sink, now: datetime
) -> ComposedDigest:
    """Return the team digest's parts for ``sink``; it covers no match and moves no schedule."""
    if sink is Sink.SLACK:
        parts = tuple(
            (m.text, json.dumps(list(m.blocks), ensure_ascii=False))
            for m in render_team_slack(report, now)
        )
    else:
        parts = (
            (f"{DigestKind.TEAM} for {rep_name}", render_team_markdown(report, rep_name, now)),
        )
    return ComposedDigest(parts, (), sink, None)
