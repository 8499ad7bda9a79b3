"""Wording shared by every output: counts with their nouns ("1 touch", "2 touches").

Reads values, returns text. Does not escape for Slack, Markdown or HTML.
"""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """Return "1 touch", "2 touches", "0 stories": the count and its noun, singular only for
    one. Does not know irregular plurals beyond ``many``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def noun(count: int, one: str, many: str | None = None) -> str:
    """Return the noun alone, singular for one ("column", "columns")."""
    return one if count == 1 else (many or one + "s")


__all__ = ["noun", "plural"]
