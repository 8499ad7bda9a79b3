"""Digest rendering: Slack Block Kit messages within Slack's limits, and Markdown.

Limits (SLACK.md section 1): 50 blocks, section text 3000, header 150, about 11,000 characters
of block text per message, button text 75, button value 2000, button URL 3000, image URL 3000
and alt text 2000, unique block_id per message and action_id per block, a non-empty top-level
``text`` of at most 4000. Every string from an article is escaped (``&``, ``<``, ``>``) and
measured after escaping; an item's image is an https URL of a public host
(``logic.content.image_url``) or none. A digest that does not fit one message is split into
numbered parts; every item appears exactly once, in order.

An item reads: headline (linked), the article's lead, "source · date · event", why, "Also
about" the rep's other accounts it names, "Also in" the other outlets. Its "Share with customer"
button shares it for the account it is shown under; each "Also about" account gets its own
"Share for <account>" button (``share_also_1`` ...), so the rep can share it for either.
The "Your industries" section follows the account sections, its items rendered as account items
without their buttons.

Does not send anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..types import DigestKind
from .content import MAX_ALT_TEXT, MAX_IMAGE_URL, alt_text
from .content import image_url as _image_url
from .digest import (
    AccountSection,
    Digest,
    DigestItem,
    IndustrySection,
    date_text,
    nudge_line,
    touch_line,
)
from .escape import MARKDOWN_SPECIAL, escape_markdown, escape_mrkdwn
from .events import badge
from .notes import NoteTarget, ShareNotes

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
#: total text across a message's blocks; Slack's undocumented limit is about 12,000
MAX_MESSAGE_TEXT = 11_000
MAX_TOP_TEXT = 4000
#: article fields are cut to these lengths before escaping
TITLE_CHARS = 300
WHY_CHARS = 400
LEAD_CHARS = 600
#: at most this many "Also about" accounts get their own share button
ALSO_SHARE_BUTTONS = 3
#: a link longer than this is not put in the message (it would crowd out the digest)
LINK_CHARS = 1000

ACTIONS = (
    ("share", "Share with customer", "primary"),
    ("not_relevant", "Not relevant", None),
    ("not_this_company", "Not this company", None),
    ("mute_account", "Mute account", None),
)
#: the action of an account's "Show N more" button (its value: ``more_value(account)``)
SHOW_MORE = "show_more"
#: the action of the "Your industries" section's "Show N more" button (its value:
#: ``INDUSTRY_MORE_VALUE``; the rep's own left-out industry news, no account named)
SHOW_MORE_INDUSTRIES = "show_more_industries"
INDUSTRY_MORE_VALUE = json.dumps({"industries": True})


#: an item's image is checked again where it is rendered (Slack and Markdown); the same URL
#: gives the same answer, so each is checked once: ``content.image_url`` keeps the recent
#: answers, including those the tick's memo (``logic.memo``) asked for while building
image_url = _image_url


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One ``chat.postMessage``: fallback text, blocks, and the article ids it carries."""

    text: str
    blocks: tuple[dict[str, Any], ...]
    article_ids: tuple[int, ...]


#: Slack's control characters escaped: the result shows the text literally
escape = escape_mrkdwn


#: mrkdwn's emphasis marks (bold, italic, strike, code) where they could open or close one: at
#: the edge of a word. Slack has no escape for them, so ``escape_name`` shows look-alikes.
_MRKDWN_MARK = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_MARK_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}


def escape_name(text: str) -> str:
    """Escape a name from a feed or a file (a source, a feed's name) for Slack mrkdwn: ``&``,
    ``<``, ``>`` as ``escape`` does, and an emphasis mark at a word's edge (``*bold*``,
    ``_x_``, ``~x~``, `` `x` ``) replaced by a look-alike (∗ ˍ ∼ ˋ) so it never formats the
    text around it. Marks inside a word ("snake_case") stay. Does not cut the text."""
    return _MRKDWN_MARK.sub(lambda m: _MARK_LOOKALIKES[m.group()], escape(text))


def single_spaced(text: str) -> bool:
    """True when ``" ".join(text.split()) == text``: printable (every white space but " " is
    not), no two spaces running, none at either end. Two C scans instead of a split and a
    join. Does not change ``text``."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def cut(text: str, limit: int) -> str:
    """Return ``text`` at most ``limit`` characters, with an ellipsis when cut."""
    if not single_spaced(text):
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cut_lines(text: str, limit: int) -> str:
    """Return ``text`` at most ``limit`` characters, with an ellipsis when cut, keeping its
    line breaks (mrkdwn sections show them): spaces are collapsed within each line only."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    text = "\n".join(lines).strip("\n")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link_target(url: str | None) -> str | None:
    """Return a URL safe inside ``<url|label>`` (``|`` and spaces percent-encoded, the control
    characters escaped), or None when it is missing, not http(s), or too long to show."""
    if not url or not url.startswith(("http://", "https://")):
        return None
    safe = escape(quote(url, safe=":/?#[]@!$&'()*+,;=%~-._"))
    return safe if len(safe) <= LINK_CHARS else None


def _facts(item: DigestItem, now: datetime) -> list[str]:
    """Return the facts line's parts, unescaped: source, date, event, why it ranks low."""
    facts = [cut(item.source, 80) if item.source else "", date_text(item.published_at, now)]
    if item.event:
        facts.append(badge(item.event))
    if item.low_value:
        facts.append(str(item.low_value))
    return [f for f in facts if f]


def _also_about(item: DigestItem) -> str:
    if not item.also_about:
        return ""
    return "Also about: " + ", ".join(cut(a, 80) for a in item.also_about)


def _item_text(item: DigestItem, now: datetime) -> str:
    # a feed's text (title, lead, reason) never formats the message: escape_name, as for names
    title = escape_name(cut(item.title, TITLE_CHARS)) or "(untitled article)"
    target = link_target(item.url)
    headline = f"*<{target}|{title}>*" if target else f"*{title}*"
    facts = [escape_name(f) for f in _facts(item, now)]  # the source is a feed's name
    if not item.shareable:
        facts.append("🔒 for you only")
    if item.shared_by:
        facts.append(f"✅ shared by {escape_name(cut(item.shared_by, 80))}")
    lines = [headline, escape_name(cut(item.lead, LEAD_CHARS)), " · ".join(facts)]
    lines.append(f"_Why: {escape_name(cut(item.why, WHY_CHARS))}_")
    lines.append(escape_name(_also_about(item)))
    if item.also_in:
        outlets = ", ".join(escape_name(cut(s, 60)) for s in item.also_in[:5])
        extra = len(item.also_in) - 5
        lines.append(f"Also in {outlets}" + (f" and {extra} more" if extra > 0 else ""))
    return "\n".join(line for line in lines if line)


def image_accessory(item: DigestItem) -> dict[str, Any] | None:
    """Return the item's image as a section accessory, or None when it has none Slack may
    show. Does not fetch or check that the image exists."""
    url = image_url(item.image)
    if url is None or len(url) > MAX_IMAGE_URL:
        return None
    return {"type": "image", "image_url": url, "alt_text": alt_text(item.title)[:MAX_ALT_TEXT]}


def _text_size(block: dict[str, Any]) -> int:
    """Count the characters of every text object in a block."""
    size = 0
    if "text" in block and isinstance(block["text"], dict):
        size += len(block["text"]["text"])
    for element in block.get("elements", ()):
        if "text" in element:
            size += len(element["text"]["text"] if isinstance(element["text"], dict) else "")
    return size


def _item_blocks(item: DigestItem, n: int, now: datetime) -> list[dict[str, Any]]:
    value = json.dumps({"article": item.article_id, "account": item.account[:500]})
    buttons = []
    for action_id, label, style in ACTIONS:
        if action_id == "share" and (not item.shareable or item.shared_by):
            continue
        button: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": label[:MAX_BUTTON_TEXT]},
            "value": value[:MAX_BUTTON_VALUE],
        }
        if style:
            button["style"] = style
        buttons.append(button)
    if item.shareable:
        # after "Share with customer" (absent once shared for the account it is shown under)
        at = 1 if buttons[0]["action_id"] == "share" else 0
        for k, other in enumerate(item.also_about[:ALSO_SHARE_BUTTONS], start=1):
            also = json.dumps({"article": item.article_id, "account": other[:500]})
            share_also = {
                "type": "button",
                "action_id": f"share_also_{k}",
                "text": {"type": "plain_text", "text": cut(f"Share for {other}", 75)},
                "value": also[:MAX_BUTTON_VALUE],
            }
            buttons.insert(at + k - 1, share_also)
    section: dict[str, Any] = {
        "type": "section",
        "block_id": f"item-{n}",
        "text": {"type": "mrkdwn", "text": cut_lines(_item_text(item, now), MAX_SECTION)},
    }
    accessory = image_accessory(item)
    if accessory is not None:
        section["accessory"] = accessory
    return [section, {"type": "actions", "block_id": f"actions-{n}", "elements": buttons}]


def more_value(account: str) -> str:
    """Return the value of an account's "Show N more" button (read by
    ``logic.clip.parse_more_value``)."""
    return json.dumps({"more": account[:500]})[:MAX_BUTTON_VALUE]


def _more_block(section: AccountSection, n: int) -> dict[str, Any]:
    """Return the actions block holding an account's "Show N more" button."""
    label = f"Show {section.more} more"
    return {
        "type": "actions",
        "block_id": f"more-{n}",
        "elements": [
            {
                "type": "button",
                "action_id": SHOW_MORE,
                "text": {"type": "plain_text", "text": label[:MAX_BUTTON_TEXT]},
                "value": more_value(section.account),
            }
        ],
    }


def _more_line(section: AccountSection, kind: DigestKind) -> str:
    """Word what the caps left out of a section (empty when nothing was)."""
    if not section.more:
        return ""
    matches = f"{section.more} more match{'es' if section.more != 1 else ''}"
    if kind is DigestKind.ALERT:
        return f"{matches} in your next digest"
    return f"{matches} under *Show {section.more} more*"


def _account_blocks(
    section: AccountSection,
    n: int,
    now: datetime,
    *,
    continued: bool,
    kind: DigestKind = DigestKind.DIGEST,
) -> list[dict[str, Any]]:
    name = section.account + (" (continued)" if continued else "")
    blocks: list[dict[str, Any]] = [
        {"type": "divider", "block_id": f"divider-{n}"},
        {
            "type": "header",
            "block_id": f"account-{n}",
            "text": {"type": "plain_text", "text": cut(name, MAX_HEADER), "emoji": True},
        },
    ]
    if not continued:
        line = escape(touch_line(section.touch, now))
        more = _more_line(section, kind)
        elements = [{"type": "mrkdwn", "text": line + (f" · {more}" if more else "")}]
        nudge = nudge_line(section, now)
        if nudge is not None:
            elements.append({"type": "mrkdwn", "text": escape(NUDGE_MARK + cut(nudge, 500))})
        blocks.append({"type": "context", "block_id": f"touch-{n}", "elements": elements})
    return blocks


#: the nudge's mark, before its text in Slack and Markdown
NUDGE_MARK = "💡 "


#: the heading of the industry-news section
INDUSTRY_HEADING = "Your industries"


def _industry_blocks(section: IndustrySection, n: int, *, continued: bool) -> list[dict[str, Any]]:
    """The "Your industries" heading (and, first time, what it holds and what was left out)."""
    name = INDUSTRY_HEADING + (" (continued)" if continued else "")
    blocks: list[dict[str, Any]] = [
        {"type": "divider", "block_id": f"divider-{n}"},
        {
            "type": "header",
            "block_id": f"industries-{n}",
            "text": {"type": "plain_text", "text": cut(name, MAX_HEADER), "emoji": True},
        },
    ]
    if not continued:
        blocks.append(
            {
                "type": "context",
                "block_id": f"industries-note-{n}",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": escape_name(_industry_line(section))
                        + _industry_more_line(section, markdown=False),
                    }
                ],
            }
        )
    return blocks


def _industry_line(section: IndustrySection) -> str:
    """Say what the section holds (plain text, not escaped; what was left out is said per
    sink: ``_industry_more_line``)."""
    industries = cut(", ".join(section.industries), 300)
    return f"Top stories in {industries} that named none of your accounts"


def _industry_more_line(section: IndustrySection, *, markdown: bool) -> str:
    """Word where the stories over the cap are (mrkdwn or Markdown; empty when none were)."""
    if not section.more:
        return ""
    stories = f"{section.more} more stor{'ies' if section.more != 1 else 'y'}"
    if markdown:
        return f" · {stories} under **More in your industries**"
    return f" · {stories} under *Show {section.more} more*"


def _industry_more_block(section: IndustrySection, n: int) -> dict[str, Any]:
    """Return the actions block holding the industry section's "Show N more" button."""
    return {
        "type": "actions",
        "block_id": f"more-{n}",
        "elements": [
            {
                "type": "button",
                "action_id": SHOW_MORE_INDUSTRIES,
                "text": {"type": "plain_text", "text": f"Show {section.more} more"},
                "value": INDUSTRY_MORE_VALUE,
            }
        ],
    }


def _industry_item_blocks(item: DigestItem, n: int, now: datetime) -> list[dict[str, Any]]:
    """An industry item as an account item is shown, without the buttons (it has no account
    to share with, give feedback on or mute)."""
    return [b for b in _item_blocks(item, n, now) if b.get("type") != "actions"]


def _title(digest: Digest, part: int, parts: int, label: str | None = None) -> str:
    if label is None:
        label = "Clipper alert" if digest.kind is DigestKind.ALERT else "Clipper digest"
        label += " · " + digest.created_at.strftime("%a %d %b")
    suffix = f" (part {part} of {parts})" if parts > 1 else ""
    return f"{label}{suffix}"


def _summary(digest: Digest, items: int, part: int, parts: int, label: str | None) -> str:
    accounts = len(digest.sections)
    where = (
        f"on {accounts} account{'s' if accounts != 1 else ''}"
        if accounts or digest.industry is None
        else "in your industries"
    )
    text = (
        f"{escape(_title(digest, part, parts, label))}: {items} article{'s' if items != 1 else ''} "
        f"{where}"
    )
    return cut(text, MAX_TOP_TEXT)


def render_slack(digest: Digest, *, title: str | None = None) -> list[SlackMessage]:
    """Return the digest as one or more messages, each within Slack's limits.

    A section whose items the caps cut gets a "Show N more" button after its last item (not in
    an alert: what an alert leaves out waits for the digest); so does "Your industries"
    (``SHOW_MORE_INDUSTRIES``). ``title`` replaces "Clipper
    digest · day" (a "Show more" page). Does not decide what is shown."""
    now = digest.created_at
    kind = digest.kind
    # reserve room for the title block on every part
    budget_blocks = MAX_BLOCKS - 1
    budget_text = MAX_MESSAGE_TEXT - MAX_HEADER
    parts: list[tuple[list[dict[str, Any]], list[int]]] = []
    blocks: list[dict[str, Any]] = []
    ids: list[int] = []
    text = 0
    counter = 0

    def close() -> None:
        nonlocal blocks, ids, text
        if blocks:
            parts.append((blocks, ids))
        blocks, ids, text = [], [], 0

    for section in digest.sections:
        heading = _account_blocks(section, counter, now, continued=False, kind=kind)
        counter += 1
        pending_heading: list[dict[str, Any]] | None = heading
        button = section.more > 0 and kind is not DigestKind.ALERT
        if not section.items:
            if button:
                heading.append(_more_block(section, counter))
                counter += 1
            size = sum(_text_size(b) for b in heading)
            if len(blocks) + len(heading) > budget_blocks or text + size > budget_text:
                close()
            blocks += heading
            text += size
            continue
        for number, item in enumerate(section.items, start=1):
            unit = _item_blocks(item, counter, now)
            counter += 1
            if button and number == len(section.items):
                unit.append(_more_block(section, counter))
                counter += 1
            head = pending_heading or []
            size = sum(_text_size(b) for b in head + unit)
            if blocks and (
                len(blocks) + len(head) + len(unit) > budget_blocks or text + size > budget_text
            ):
                close()
                if pending_heading is None:
                    head = _account_blocks(section, counter, now, continued=True, kind=kind)
                    counter += 1
                    size = sum(_text_size(b) for b in head + unit)
            blocks += head + unit
            ids.append(item.article_id)
            text += size
            pending_heading = None
    industry = digest.industry
    for index, item in enumerate(industry.items if industry is not None else ()):
        assert industry is not None  # narrowed for mypy: items come from it
        head = _industry_blocks(industry, counter, continued=False) if index == 0 else []
        counter += 1
        unit = _industry_item_blocks(item, counter, now)
        counter += 1
        if industry.more and kind is not DigestKind.ALERT and index == len(industry.items) - 1:
            unit.append(_industry_more_block(industry, counter))
            counter += 1
        size = sum(_text_size(b) for b in head + unit)
        if blocks and (
            len(blocks) + len(head) + len(unit) > budget_blocks or text + size > budget_text
        ):
            close()
            if not head:
                head = _industry_blocks(industry, counter, continued=True)
                counter += 1
                size = sum(_text_size(b) for b in head + unit)
        blocks += head + unit
        ids.append(item.article_id)
        text += size
    close()
    total = len(parts)
    messages = []
    for number, (part_blocks, part_ids) in enumerate(parts, start=1):
        header = {
            "type": "header",
            "block_id": "title",
            "text": {
                "type": "plain_text",
                "text": cut(_title(digest, number, total, title), MAX_HEADER),
            },
        }
        messages.append(
            SlackMessage(
                _summary(digest, len(part_ids), number, total, title),
                (header, *part_blocks),
                tuple(part_ids),
            )
        )
    return messages


_MD_SPECIAL = MARKDOWN_SPECIAL
#: every Markdown special character backslash-escaped (``logic.escape``)
_md_escape = escape_markdown


def markdown_note(
    item: DigestItem, notes: ShareNotes | None, *, industry: bool = False
) -> list[str]:
    """Return the lines of an item's ready-to-copy note (a quote inside its list item), or none
    for an item that is not for sharing or was shared already. Does not render the item."""
    if notes is None or not item.shareable or item.shared_by:
        return []
    note = notes.note(
        event=item.event,
        title=item.title,
        url=item.url,
        account=item.account,
        why=item.why,
        target=NoteTarget.MARKDOWN,
        industry=industry,
    )
    body = note.split("\n")
    lines = ["", "  > _Note to send:_", "  >"]
    for index, line in enumerate(body):
        # a hard line break (two spaces) keeps the note's lines apart; a blank line is a quote
        # paragraph break
        following = body[index + 1] if index + 1 < len(body) else ""
        lines.append(f"  > {line}" + ("  " if line and following else "") if line else "  >")
    return [*lines, ""]


def _markdown_item(item: DigestItem, now: datetime) -> list[str]:
    """Return one item's Markdown lines (account and industry sections alike): the same content
    as its Slack section."""
    title = _md_escape(cut(item.title, TITLE_CHARS)) or "(untitled article)"
    target = item.url if item.url and item.url.startswith(("http://", "https://")) else ""
    link = f"[{title}](<{target.replace('>', '%3E')}>)" if target else title
    facts = _facts(item, now)
    if not item.shareable:
        facts.append("for you only")
    if item.shared_by:
        facts.append(f"shared by {cut(item.shared_by, 80)}")
    body = [
        _md_escape(cut(item.lead, LEAD_CHARS)),
        _md_escape(" · ".join(facts)),
        f"Why: {_md_escape(cut(item.why, WHY_CHARS))}",
        _md_escape(_also_about(item)),
    ]
    if item.also_in:
        body.append(f"Also in {_md_escape(', '.join(item.also_in))}")
    image = image_url(item.image)
    if image is not None:
        alt = _md_escape(alt_text(item.title))
        body.append(f"![{alt}](<{image.replace('>', '%3E')}>)")
    lines = [f"- **{link}**"] + [f"  {line}" for line in body if line]
    # two trailing spaces: a line break inside the list item
    return [line + "  " for line in lines[:-1]] + lines[-1:]


def render_markdown(digest: Digest, notes: ShareNotes | None = None) -> str:
    """Return the digest as Markdown (terminal and ``var/digests/`` files); with ``notes``,
    each shareable item carries its ready-to-copy note."""
    now = digest.created_at
    lines = [f"# {_title(digest, 1, 1)} for {_md_escape(digest.rep_name or digest.rep)}", ""]
    for section in digest.sections:
        lines += [f"## {_md_escape(section.account)}", ""]
        header = [f"_{touch_line(section.touch, now)}_"]
        nudge = nudge_line(section, now)
        if nudge is not None:
            header.append(f"{NUDGE_MARK}_{_md_escape(cut(nudge, 500))}_")
        if section.more and digest.kind is DigestKind.ALERT:
            header.append(f"_{_more_line(section, digest.kind)}_")
        # two trailing spaces: each on its own line, not run together into one paragraph
        lines += [line + "  " for line in header[:-1]] + header[-1:]
        lines.append("")
        for item in section.items:
            lines += _markdown_item(item, now)
            lines += markdown_note(item, notes)
        if section.left_out and digest.kind is not DigestKind.ALERT:
            lines += ["", f"**More on {_md_escape(section.account)}**", ""]
            lines += [_md_more_item(item, now) for item in section.left_out]
        lines.append("")
    industry = digest.industry
    if industry is not None and industry.items:
        listed = digest.kind is not DigestKind.ALERT and industry.left_out
        more = _industry_more_line(industry, markdown=True) if listed else ""
        lines += [f"## {INDUSTRY_HEADING}", "", f"_{_md_escape(_industry_line(industry))}{more}_"]
        lines.append("")
        for item in industry.items:
            lines += _markdown_item(item, now)
            lines += markdown_note(item, notes, industry=True)
        if listed:
            lines += ["", "**More in your industries**", ""]
            lines += [_md_more_item(item, now) for item in industry.left_out]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def without_images(blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Return a message's blocks with every image accessory removed, or None when it has none.

    Slack refuses a whole message when it cannot download one image ("downloading image
    failed"); the outbox sends such a message again without its images. Does not judge URLs.
    """
    if not any(isinstance(b.get("accessory"), dict) for b in blocks):
        return None
    return [{k: v for k, v in b.items() if k != "accessory"} for b in blocks]


def _md_more_item(item: DigestItem, now: datetime) -> str:
    """Return one item the caps left out as a Markdown list line: title, link, source, date,
    event and "for you only" (so a left-out item that must not be forwarded says so)."""
    title = _md_escape(cut(item.title, TITLE_CHARS)) or "(untitled article)"
    target = item.url if item.url and item.url.startswith(("http://", "https://")) else ""
    link = f"[{title}](<{target.replace('>', '%3E')}>)" if target else title
    facts = _facts(item, now)
    if not item.shareable:
        facts.append("for you only")
    if item.also_in:
        facts.append("also in " + ", ".join(cut(s, 60) for s in item.also_in))
    if item.also_about:
        facts.append("also about " + ", ".join(cut(a, 60) for a in item.also_about))
    shown = _md_escape(" · ".join(f for f in facts if f))
    return f"- {link}" + (f" · {shown}" if shown else "")


def validate(blocks: Sequence[dict[str, Any]]) -> list[str]:
    """Return the limit violations in a message's blocks (empty when it is valid); the Slack
    stand-in applies the same rules independently."""
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks (at most {MAX_BLOCKS})")
    ids = [b.get("block_id") for b in blocks if b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("duplicate block_id")
    total = sum(_text_size(b) for b in blocks)
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"{total} characters of block text (at most {MAX_MESSAGE_TEXT})")
    return problems


def replace_item(
    blocks: Sequence[dict[str, Any]],
    article_id: int,
    account: str,
    note: str,
    *,
    keep_article: bool = False,
) -> list[dict[str, Any]]:
    """Return a digest message's blocks with one item's buttons (and, unless ``keep_article``,
    the item itself) replaced by a one-line note; other blocks are unchanged."""
    result: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions" and _names_item(block, article_id, account):
            if not keep_article and result and result[-1].get("type") == "section":
                result.pop()
            result.append(
                {
                    "type": "context",
                    "block_id": f"done-{block.get('block_id', article_id)}"[:255],
                    "elements": [{"type": "mrkdwn", "text": cut(note, MAX_SECTION) or "Done."}],
                }
            )
            continue
        result.append(block)
    return result


def replace_more(
    blocks: Sequence[dict[str, Any]],
    account: str,
    note: str,
    *,
    action_id: str = SHOW_MORE,
    value: str | None = None,
) -> list[dict[str, Any]]:
    """Return a message's blocks with the account's "Show N more" button (or the button of
    ``action_id`` and ``value``: ``SHOW_MORE_INDUSTRIES``) replaced by a one-line note; other
    blocks are unchanged (no such button: the blocks as they are)."""
    value = more_value(account) if value is None else value
    result: list[dict[str, Any]] = []
    for block in blocks:
        elements = block.get("elements", ()) if block.get("type") == "actions" else ()
        if any(e.get("action_id") == action_id and e.get("value") == value for e in elements):
            result.append(
                {
                    "type": "context",
                    "block_id": f"shown-{block.get('block_id', 'more')}"[:255],
                    "elements": [{"type": "mrkdwn", "text": cut(note, MAX_SECTION) or "Shown."}],
                }
            )
            continue
        result.append(block)
    return result


def _names_item(block: dict[str, Any], article_id: int, account: str) -> bool:
    for element in block.get("elements", ()):
        try:
            value = json.loads(element.get("value", ""))
        except ValueError:
            continue
        if value.get("article") == article_id and value.get("account") == account[:500]:
            return True
    return False
