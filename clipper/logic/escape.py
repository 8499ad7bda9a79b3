"""Text escaped for where it is shown, one function per target: Slack mrkdwn
(``escape_mrkdwn``) and Markdown, CommonMark with GitHub's extensions (``escape_markdown``,
and ``escape_markdown_html`` where ``&`` must show literally too).

Pure; does not cut, clean or flatten text (callers do), and does not escape what only matters
at the start of a line (``notes`` does that for share notes).
"""

from __future__ import annotations

import re

#: the characters that can start inline Markdown syntax (GitHub-flavoured): emphasis, code,
#: strike-through, links and images ("!" only starts one before "[", which is escaped), HTML,
#: headings and table cells
MARKDOWN_SPECIAL = re.compile(r"[\\`*_~\[\]<>#|]")
#: the characters ``MARKDOWN_SPECIAL`` matches
_MARKDOWN_CHARS = "\\`*_~[]<>#|"
#: the same backslash escape as ``MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)``, one C pass per text
_MARKDOWN_ESCAPES = str.maketrans({c: "\\" + c for c in _MARKDOWN_CHARS})


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's control characters (``&``, ``<``, ``>``); the result shows the text
    literally. Does not touch emphasis marks (Slack has no escape for them:
    ``blockkit.escape_name`` shows look-alikes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_markdown(text: str) -> str:
    """Return ``text`` with every inline Markdown special character backslash-escaped. Does not
    touch ``&`` (an entity such as ``&amp;`` still renders as one).

    Most texts hold none: a few substring tests (one C scan each) cost a fraction of
    ``translate`` (about 1.4 µs even on a short text), which runs only when one is there."""
    for char in _MARKDOWN_CHARS:
        if char in text:
            return text.translate(_MARKDOWN_ESCAPES)
    return text


def escape_markdown_html(text: str) -> str:
    """``escape_markdown``, and ``&`` as ``&amp;`` so no entity is read in ``text`` either."""
    return escape_markdown(text).replace("&", "&amp;")
