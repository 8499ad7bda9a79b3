"""Wording shared by every output: counts with their nouns ("1 touch", "2 touches").

Reads values, returns text. Does not escape for Slack, Markdown or HTML.
"""

from __future__ import annotations

from datetime import date


def plural(count: int, one: str, many: str | None = None) -> str:
    """Return "1 touch", "2 touches", "0 stories": the count and its noun, singular only for
    one. Does not know irregular plurals beyond ``many``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def noun(count: int, one: str, many: str | None = None) -> str:
    """Return the noun alone, singular for one ("column", "columns")."""
    return one if count == 1 else (many or one + "s")


def day_span(first: date, last: date) -> str:
    """Return a span of days, both included, as every output words a quarter: "1 Nov 2026 –
    31 Jan 2027". Does not know about time zones (the caller gives local days)."""
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


__all__ = ["day_span", "noun", "plural"]
