"""Ready-to-send notes: which template an article gets, template checks, and rendering.

    note_kind(event, industry)          → NoteKind (the event's ``EVENT_KINDS`` row says which)
    template_problem(template)          → None, or what is wrong with it (config validation)
    render_note(template, values, to)   → the note, every value escaped for ``to``

A template is plain text with ``{placeholder}`` fields (``PLACEHOLDERS``; ``{{`` and ``}}`` for
literal braces). Rendering reads the template once and pastes each value in as text: a value is
never read as a template, so a title like ``{rep}`` stays ``{rep}``. Does not read the
configuration, the database or the clock, and does not cut the note to a length.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from ..types import EventKind, NoteKind
from .escape import MARKDOWN_SPECIAL, escape_markdown, escape_mrkdwn
from .events import EVENT_KINDS

#: what a template may name, and what each holds
PLACEHOLDERS: Mapping[str, str] = {
    "contact": "the account's first contact's name (else 'there')",
    "title": "the article's headline",
    "url": "the article's link (http or https only)",
    "account": "the account's name",
    "rep": "the rep's name (else email)",
    "why": "the first reason Clipper matched it",
}
#: the greeting's name when the account has no contact on file
NO_CONTACT = "there"
#: values are cut to these lengths (characters) before escaping
TITLE_CHARS = 300
NAME_CHARS = 120
#: a longer link is left out of the note
URL_CHARS = 1000

#: characters that would let a value change the text around it: control characters (newlines
#: included) and the bidirectional overrides that reorder what the reader sees
_HIDDEN = re.compile("[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: inline Markdown syntax (GitHub-flavoured): escaped with a backslash
#: (``logic.escape.escape_markdown``; "&" only matters as an entity, handled on its own)
_MD_SPECIAL_RE = MARKDOWN_SPECIAL
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
#: what would start a block (list, heading underline, numbered list) at the start of a line
_MD_LINE_START = re.compile(r"^(?:[-+=]|\d+[.)])")


class NoteTarget(enum.StrEnum):
    """Where a note is shown, which decides how its text is escaped."""

    #: a plain-text field (the share window's editable note; an email)
    PLAIN = "plain"
    #: Slack ``mrkdwn`` text
    SLACK = "slack"
    #: a Markdown file (the digest without Slack)
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class NoteValues:
    """What a note's placeholders are filled with, as stored (unescaped)."""

    title: str
    url: str | None
    account: str
    rep: str
    #: the account's contact; None greets neutrally (``NO_CONTACT``)
    contact: str | None = None
    why: str = ""


@dataclass(frozen=True, slots=True)
class ShareNotes:
    """Everything needed to write each digest item's note: the templates by kind, the first
    contact of each account, and the rep who sends them."""

    templates: Mapping[NoteKind, str]
    rep: str
    #: account → its first contact's name (accounts without one are greeted neutrally)
    contacts: Mapping[str, str] = field(default_factory=dict)

    def note(
        self,
        *,
        event: EventKind | None,
        title: str,
        url: str | None,
        account: str,
        why: str = "",
        target: NoteTarget,
        industry: bool = False,
    ) -> str:
        """Return the note for one article on ``account``, escaped for ``target``."""
        kind = note_kind(event, industry=industry)
        template = self.templates.get(kind) or self.templates.get(NoteKind.DEFAULT, "")
        values = NoteValues(title, url, account, self.rep, self.contacts.get(account), why)
        return render_note(template, values, target)


def note_kind(event: EventKind | None, *, industry: bool = False) -> NoteKind:
    """Return the note an article gets: ``INDUSTRY`` for an industry item (the customer is
    not its subject), else the one its event's ``EVENT_KINDS`` row names, else ``DEFAULT``."""
    if industry:
        return NoteKind.INDUSTRY
    return EVENT_KINDS[event].note if event is not None else NoteKind.DEFAULT


def _fields(template: str) -> list[tuple[str, str | None]]:
    """Return the template as (literal text, placeholder or None) pairs.

    Raises:
        ValueError: a lone brace, or a placeholder with an attribute, index, conversion or
            format (only plain ``{name}`` is allowed), or an unknown name.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError(
            "unbalanced { or } (write {{ or }} for a literal brace)"
            f"; placeholders: {_allowed()}"
        ) from None
    out: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            out.append((literal, None))
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        shown += "}"
        if name not in PLACEHOLDERS:
            close = difflib.get_close_matches(name, list(PLACEHOLDERS), n=1)
            hint = f"; did you mean {{{close[0]}}}?" if close else ""
            raise ValueError(f"unknown placeholder {shown}{hint} (placeholders: {_allowed()})")
        if spec or conversion:
            raise ValueError(f"placeholder {shown}: write it as {{{name}}}, with no format")
        out.append((literal, name))
    return out


def _allowed() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def template_problem(template: str) -> str | None:
    """Return what is wrong with a note template, or None when it is usable. Does not say
    where it is (the configuration loader adds file, line and key)."""
    try:
        _fields(template)
    except ValueError as exc:
        return str(exc)
    if not template.strip():
        return "a note template cannot be empty"
    return None


def _clean(text: str | None, limit: int) -> str:
    """Return one line of text: hidden characters dropped, whitespace collapsed, cut. Printable
    ASCII (most titles and links) is already NFC and has no hidden character, so only its
    spaces are collapsed; any other text goes through ``_clean_any``."""
    if text and text.isascii() and text.isprintable():
        if "  " in text or text[0] == " " or text[-1] == " ":  # else already single-spaced
            text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return _clean_any(text, limit)


@functools.lru_cache(maxsize=4096)
def _clean_any(text: str | None, limit: int) -> str:
    """``_clean`` of any text (cached: a tick's notes repeat the rep, accounts and
    contacts)."""
    text = " ".join(_HIDDEN.sub(" ", unicodedata.normalize("NFC", text or "")).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@functools.lru_cache(maxsize=4096)
def _escape_text(text: str, target: NoteTarget, *, line_start: bool) -> str:
    """Return ``text`` escaped for ``target`` (cached: a tick's notes repeat the rep, accounts
    and contacts). Does not clean it (``_clean`` does)."""
    if target is NoteTarget.SLACK:
        return escape_mrkdwn(text)
    if target is NoteTarget.MARKDOWN:
        escaped = escape_markdown(text)
        if "&" in escaped:
            escaped = _MD_ENTITY.sub(r"\\&", escaped)
        if line_start:
            found = _MD_LINE_START.match(escaped)
            if found:
                end = found.end()
                escaped = escaped[: end - 1] + "\\" + escaped[end - 1 :]
        return escaped
    return text


def _link(url: str | None, target: NoteTarget) -> str:
    """Return the link as the target shows it, or "" when it is not http(s) or too long."""
    url = _clean(url, 10 * URL_CHARS)
    if not url.lower().startswith(("http://", "https://")):
        return ""
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    if len(safe) > URL_CHARS:
        return ""
    if target is NoteTarget.SLACK:
        return "<" + safe.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E") + ">"
    if target is NoteTarget.MARKDOWN:
        return "<" + safe.replace("<", "%3C").replace(">", "%3E") + ">"
    return safe


def render_note(template: str, values: NoteValues, target: NoteTarget) -> str:
    """Return the note: the template's text with each placeholder replaced by its value, all
    escaped for ``target`` so that the note reads exactly as written. A value is pasted in as
    text, never read as a template. Does not check the template (``template_problem`` does at
    load); a template that cannot be read gives its text as it is, escaped."""
    parts = _template_parts(template)
    out: list[str] = []
    for literal, name, line_start in _compiled(parts, target):
        out.append(literal)
        if name is None:
            continue
        if name == "url":
            value = _link(values.url, target)
        else:  # only the placeholders the template uses are cleaned
            value = _escape_text(_filled(values, name), target, line_start=line_start)
        out.append(value or _EMPTY)
    return _drop_emptied_lines("".join(out))


def _filled(values: NoteValues, name: str) -> str:
    """Return what placeholder ``name`` (not ``url``) is filled with, cleaned, unescaped."""
    if name == "title":
        return _clean(values.title, TITLE_CHARS) or "(untitled article)"
    if name == "contact":
        return _clean(values.contact, NAME_CHARS) or NO_CONTACT
    if name == "account":
        return _clean(values.account, NAME_CHARS)
    if name == "rep":
        return _clean(values.rep, NAME_CHARS)
    if name == "why":
        return _clean(values.why, TITLE_CHARS)
    raise KeyError(name)


@functools.lru_cache(maxsize=256)
def _compiled(
    parts: tuple[tuple[str, str | None], ...], target: NoteTarget
) -> tuple[tuple[str, str | None, bool], ...]:
    """Return a template's parts with each literal escaped for ``target`` and whether each
    placeholder starts a line. Both follow from the template alone: a filled value never
    holds a line break (``_clean`` drops them), so only the literals decide where lines
    start. Read once per template and target. Does not fill anything."""
    out = []
    at_start = True  # nothing written yet
    for literal, name in parts:
        escaped = _escape_lines(literal.replace(_EMPTY, ""), target, at_start=at_start)
        if escaped:
            at_start = escaped.endswith("\n")
        out.append((escaped, name, at_start))
        if name is not None:
            at_start = False  # a value (or the empty mark) follows, never a line break
    return tuple(out)


#: marks where a placeholder was filled with nothing (an item without a link)
_EMPTY = "\x00"


def _drop_emptied_lines(note: str) -> str:
    """Return the note without the lines that held only placeholders filled with nothing (a
    ``{url}`` line of an item without a link), so that no blank line is left where the link
    was; the template's own blank lines stay."""
    if _EMPTY not in note:  # nothing was filled with nothing (nearly every note)
        return note
    lines = note.split("\n")
    kept = [line for line in lines if not (_EMPTY in line and not line.replace(_EMPTY, "").strip())]
    return "\n".join(kept).replace(_EMPTY, "")


@functools.lru_cache(maxsize=256)
def _template_parts(template: str) -> tuple[tuple[str, str | None], ...]:
    """Return a template's (literal, placeholder) pairs, the whole text as one literal when it
    cannot be read; read once per template (every note of a tick shares a few templates)."""
    try:
        return tuple(_fields(template))
    except ValueError:
        return ((template, None),)


@functools.lru_cache(maxsize=1024)
def _escape_lines(literal: str, target: NoteTarget, *, at_start: bool) -> str:
    """Escape a template's own text line by line (a line start may begin a Markdown block)."""
    lines = literal.split("\n")
    return "\n".join(
        _escape_text(line, target, line_start=at_start or index > 0)
        for index, line in enumerate(lines)
    )
