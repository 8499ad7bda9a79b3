"""What the admin is told when Clipper starts with parts of its configuration skipped.

One notice, as a Slack message (fallback text plus Block Kit sections within Slack's limits) and
as Markdown for the file written beside the digests. Feed-URL secrets are redacted, because a
problem may quote a feed URL. Contains no I/O and no clock: the start time is given. Does not
decide who the admins are or whether to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .blockkit import MAX_SECTION, cut, escape
from .urls import redact_url
from .words import plural

#: problems listed in full; the rest are counted
MAX_LISTED = 20
#: characters of one problem line (a long path and a long value still fit in one section)
LINE_CHARS = 600


@dataclass(frozen=True)
class AdminNotice:
    """The notice about skipped configuration parts, in every form it is sent."""

    #: the notification text (also what Slack shows where blocks cannot be)
    text: str
    blocks: tuple[dict[str, Any], ...]
    markdown: str
    #: the problem lines shown (redacted and cut), in order
    listed: tuple[str, ...]
    #: problems not listed ("and N more")
    more: int


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION)}}


def _fence(lines: Sequence[str]) -> list[str]:
    """Return ``lines`` as a fenced block: shown literally, whatever characters they hold."""
    fence = "```"
    while any(fence in line for line in lines):
        fence += "`"
    return [fence + "text", *lines, fence]


def compose_problem_notice(
    problems: Sequence[str], config_path: str, started: datetime, *, limit: int = MAX_LISTED
) -> AdminNotice:
    """Return the notice listing the first ``limit`` problems (one line each, URL secrets
    redacted) and how many more there are. Does not send or write it."""
    listed = tuple(cut(redact_url(p), LINE_CHARS) for p in problems[:limit])
    more = max(0, len(problems) - len(listed))
    count = len(problems)
    head = (
        f"Clipper started at {started:%Y-%m-%d %H:%M} UTC with "
        f"{plural(count, 'configuration problem')} in {redact_url(config_path)}: "
        "the parts named below were skipped or are incomplete; everything else is running."
    )
    tail = f"and {more} more — run `clipper check` to list them all" if more else ""
    advice = "Fix the files, run `clipper check`, then restart Clipper."
    blocks = [_section(escape(head))]
    blocks += [_section("• " + escape(line)) for line in listed]
    if tail:
        blocks.append(_section(escape(tail)))
    blocks.append(_section(escape(advice)))
    text = escape(
        cut(
            f"Clipper is running with {plural(count, 'configuration problem')}: "
            + "; ".join(listed[:3])
            + ("…" if count > 3 else ""),
            MAX_SECTION,
        )
    )
    lines = [f"# Configuration problems ({started:%Y-%m-%d %H:%M} UTC)", "", head, ""]
    lines += _fence(listed)
    if tail:
        lines += ["", tail]
    lines += ["", advice, ""]
    return AdminNotice(text, tuple(blocks), "\n".join(lines), listed, more)
