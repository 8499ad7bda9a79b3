"""The quarterly review pack: what a rep brings to a customer's quarterly business review (the
quarter's touches and contacts reached, the account's news and business events, the articles
shared, the industry's trends), and its Markdown, HTML and Slack renderings.

Pure: the facade (``review.ReviewPacks``) reads storage and hands the rows here. Does not read
the ledger, the articles or the clock, and does not write files.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ..types import EventKind, IndustryArticle, TouchChannel
from .blockkit import cut, escape, escape_name, link_target
from .escape import escape_markdown_html
from .words import day_span, plural

#: industry stories a pack lists
TRENDS = 5
#: news items a pack lists (the newest first)
NEWS = 25
#: characters a Markdown link target keeps as they are (``<``, ``>``, spaces, ``\\``: encoded)
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
#: Slack's limit on one section's text, with room to spare
SLACK_SECTION = 2900


#: how a share marked "Customer found it useful" is flagged in every rendering (plain words)
USEFUL = "the customer found it useful"


@dataclass(frozen=True, slots=True)
class ReviewTouch:
    """One of the quarter's touches, as the pack lists it."""

    touched_at: datetime
    rep: str
    #: the rep's name from the reps file (None: not configured)
    rep_name: str | None
    channel: TouchChannel
    contact: str | None
    note: str | None
    subject: str | None
    #: the shared article's headline and link, for a share
    article_title: str | None = None
    article_url: str | None = None
    #: a share the rep marked "Customer found it useful"
    useful: bool = False


@dataclass(frozen=True, slots=True)
class ReviewNews:
    """An article matched to the account that quarter, with its business event if any."""

    title: str
    url: str | None
    source: str
    published_at: datetime
    event: EventKind | None
    why: str | None


@dataclass(frozen=True, slots=True)
class ReviewTrend:
    """One of the industry's top stories that quarter: its best article and its size."""

    title: str
    url: str | None
    source: str
    published_at: datetime
    #: articles the story has in the industry that quarter
    articles: int


@dataclass(frozen=True, slots=True)
class ReviewPack:
    """Everything a quarterly review pack shows, for one account and one quarter."""

    account: str
    owner: str | None
    industry: str | None
    #: the quarter's label (``2026Q4``; fiscal when configured)
    quarter: str
    #: its first and last day, in ``timezone``
    first_day: date
    last_day: date
    timezone: str
    #: touches that quarter against the quarterly target
    quarter_target: int
    #: when it was assembled
    made_at: datetime
    touches: tuple[ReviewTouch, ...]
    #: the contacts the touches named, in order of first touch
    contacts_reached: tuple[str, ...]
    #: the contacts the accounts file lists
    contacts_known: tuple[str, ...]
    news: tuple[ReviewNews, ...]
    trends: tuple[ReviewTrend, ...]

    @property
    def shared(self) -> tuple[ReviewTouch, ...]:
        """The touches that shared an article with the customer."""
        return tuple(t for t in self.touches if t.article_title is not None)

    @property
    def events(self) -> tuple[ReviewNews, ...]:
        """The news items that are business events (funding, M&A, leadership ...)."""
        return tuple(n for n in self.news if n.event is not None)

    @property
    def title(self) -> str:
        """The pack's heading."""
        return f"{self.account}: quarterly review {self.quarter}"


def contacts_reached(touches: Sequence[ReviewTouch]) -> tuple[str, ...]:
    """The distinct contacts ``touches`` name (case-insensitive), in order of first touch."""
    seen: dict[str, str] = {}
    for touch in sorted(touches, key=lambda t: t.touched_at):
        if touch.contact and touch.contact.strip():
            seen.setdefault(touch.contact.strip().casefold(), touch.contact.strip())
    return tuple(seen.values())


def top_trends(articles: Sequence[IndustryArticle], limit: int = TRENDS) -> tuple[ReviewTrend, ...]:
    """The industry's biggest stories: one line per story (its best-scored article), ranked by
    how many of the industry's articles it has, then by that best score. Does not read
    storage."""
    stories: dict[int, list[IndustryArticle]] = {}
    for found in articles:
        stories.setdefault(found.story_id, []).append(found)
    ranked = sorted(
        stories.values(),
        key=lambda group: (
            -len(group),
            -max(a.score for a in group),
            -max(a.article.published_at.timestamp() for a in group),
        ),
    )
    trends = []
    for group in ranked[:limit]:
        best = max(group, key=lambda a: (a.score, a.article.published_at))
        trends.append(
            ReviewTrend(
                best.article.title,
                best.article.url,
                best.article.source,
                best.article.published_at,
                len(group),
            )
        )
    return tuple(trends)


def _day(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).date().isoformat()


def _who(touch: ReviewTouch) -> str:
    return touch.rep_name or touch.rep


# ---------------------------------------------------------------- Markdown


def md_escape(text: str) -> str:
    """Escape Markdown's control characters (and HTML's ``<``/``>``/``&``) so ``text`` shows
    literally, on one line."""
    return escape_markdown_html(" ".join(text.split()))


def _md_link(title: str, url: str | None) -> str:
    shown = md_escape(cut(title or "(untitled)", 300))
    target = url if url and url.startswith(("http://", "https://")) else None
    if target is None:
        return shown
    return f"[{shown}](<{quote(target, safe=_URL_SAFE)}>)"


def review_markdown(pack: ReviewPack) -> str:
    """The pack as a Markdown page: every user string escaped, links only to http(s). Does
    not wrap or page it."""
    zone = pack.timezone
    lines = [
        f"# {md_escape(pack.title)}",
        "",
        f"{day_span(pack.first_day, pack.last_day)} ({md_escape(zone)})"
        + (f" · owner {md_escape(pack.owner)}" if pack.owner else "")
        + (f" · industry {md_escape(pack.industry)}" if pack.industry else ""),
        "",
        "## Touches",
        "",
        f"{plural(len(pack.touches), 'touch', 'touches')} this quarter against a target of "
        f"{pack.quarter_target}.",
        "",
    ]
    if pack.touches:
        lines += ["| Date | Rep | Channel | Contact | Note |", "| --- | --- | --- | --- | --- |"]
        for t in pack.touches:
            note = " · ".join(x for x in (t.subject, t.note) if x)
            lines.append(
                f"| {_day(t.touched_at, zone)} | {md_escape(_who(t))} | {md_escape(t.channel)} | "
                f"{md_escape(t.contact or '')} | {md_escape(cut(note, 300))} |"
            )
        lines.append("")
    lines += ["## Contacts reached", ""]
    if pack.contacts_reached:
        lines += [f"- {md_escape(c)}" for c in pack.contacts_reached]
    else:
        lines.append("No touch named a contact.")
    missed = _not_reached(pack)
    if missed:
        lines += ["", "Not reached: " + ", ".join(md_escape(c) for c in missed) + "."]
    lines += ["", "## Business events", ""]
    if pack.events:
        lines += [
            f"- **{md_escape(str(n.event))}** · {_day(n.published_at, zone)} · "
            f"{_md_link(n.title, n.url)} ({md_escape(n.source)})"
            for n in pack.events
        ]
    else:
        lines.append("No business events this quarter.")
    lines += ["", "## News", ""]
    if pack.news:
        lines += [
            f"- {_day(n.published_at, zone)} · {_md_link(n.title, n.url)} ({md_escape(n.source)})"
            for n in pack.news
        ]
    else:
        lines.append("No news matched this quarter.")
    lines += ["", "## Articles shared", ""]
    if pack.shared:
        lines += [
            f"- {_day(t.touched_at, zone)} · {_md_link(t.article_title or '', t.article_url)}"
            f" · by {md_escape(_who(t))}"
            + (f" to {md_escape(t.contact)}" if t.contact else "")
            + (f" · {USEFUL}" if t.useful else "")
            for t in pack.shared
        ]
    else:
        lines.append("No articles shared this quarter.")
    lines += ["", "## Industry trends", ""]
    if pack.industry is None:
        lines.append("The account has no industry in the accounts file.")
    elif pack.trends:
        lines += [
            f"- {_md_link(t.title, t.url)} ({md_escape(t.source)}, "
            f"{_day(t.published_at, zone)}; {plural(t.articles, 'article')})"
            for t in pack.trends
        ]
    else:
        lines.append(f"No {md_escape(pack.industry)} stories this quarter.")
    lines.append("")
    return "\n".join(lines)


def _not_reached(pack: ReviewPack) -> tuple[str, ...]:
    reached = {c.casefold() for c in pack.contacts_reached}
    return tuple(c for c in pack.contacts_known if c.casefold() not in reached)


# ---------------------------------------------------------------- HTML

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;"
    "padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    ".event{font-weight:600}.muted{color:#666}"
)


def _h(value: object) -> str:
    return html.escape(str(value), quote=True)


def _html_link(title: str, url: str | None) -> str:
    shown = _h(cut(title or "(untitled)", 300))
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{_h(url)}" rel="noopener noreferrer">{shown}</a>'
    return shown


def _list(items: Sequence[str], empty: str) -> str:
    if not items:
        return f'<p class="muted">{_h(empty)}</p>'
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def review_html(pack: ReviewPack) -> str:
    """The pack as one self-contained HTML page (no script, no external resource); every user
    string is HTML-escaped and links go only to http(s). Does not load anything."""
    zone = pack.timezone
    head = (
        f"{day_span(pack.first_day, pack.last_day)} ({zone})"
        + (f" · owner {pack.owner}" if pack.owner else "")
        + (f" · industry {pack.industry}" if pack.industry else "")
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(pack.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_h(pack.title)}</h1>",
        f'<p class="muted">{_h(head)}</p>',
        "<h2>Touches</h2>",
        f"<p>{plural(len(pack.touches), 'touch', 'touches')} this quarter against a target of "
        f"{pack.quarter_target}.</p>",
    ]
    if pack.touches:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{_h(c)}</td>"
                for c in (
                    _day(t.touched_at, zone),
                    _who(t),
                    t.channel,
                    t.contact or "",
                    " · ".join(x for x in (t.subject, t.note) if x),
                )
            )
            + "</tr>"
            for t in pack.touches
        )
        parts.append(
            "<table><tr><th>Date</th><th>Rep</th><th>Channel</th><th>Contact</th>"
            f"<th>Note</th></tr>{rows}</table>"
        )
    parts += [
        "<h2>Contacts reached</h2>",
        _list([_h(c) for c in pack.contacts_reached], "No touch named a contact."),
    ]
    missed = _not_reached(pack)
    if missed:
        parts.append(f"<p>Not reached: {_h(', '.join(missed))}.</p>")
    parts += [
        "<h2>Business events</h2>",
        _list(
            [
                f'<span class="event">{_h(n.event)}</span> · {_h(_day(n.published_at, zone))} · '
                f"{_html_link(n.title, n.url)} ({_h(n.source)})"
                for n in pack.events
            ],
            "No business events this quarter.",
        ),
        "<h2>News</h2>",
        _list(
            [
                f"{_h(_day(n.published_at, zone))} · {_html_link(n.title, n.url)} ({_h(n.source)})"
                for n in pack.news
            ],
            "No news matched this quarter.",
        ),
        "<h2>Articles shared</h2>",
        _list(
            [
                f"{_h(_day(t.touched_at, zone))} · "
                f"{_html_link(t.article_title or '', t.article_url)}"
                f" · by {_h(_who(t))}"
                + (f" to {_h(t.contact)}" if t.contact else "")
                + (f" · {USEFUL}" if t.useful else "")
                for t in pack.shared
            ],
            "No articles shared this quarter.",
        ),
        "<h2>Industry trends</h2>",
        _list(
            [
                f"{_html_link(t.title, t.url)} ({_h(t.source)}, {_h(_day(t.published_at, zone))}; "
                f"{plural(t.articles, 'article')})"
                for t in pack.trends
            ],
            "The account has no industry in the accounts file."
            if pack.industry is None
            else f"No {pack.industry} stories this quarter.",
        ),
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------- Slack


def _slack_link(title: str, url: str | None, limit: int = 120) -> str:
    shown = escape_name(cut(title or "(untitled)", limit))
    target = link_target(url)
    return f"<{target}|{shown}>" if target else shown


def _shell_word(text: str) -> str:
    """``text`` quoted for a POSIX shell when it needs it, without backticks (a code span)."""
    flat = " ".join(text.replace("`", "'").split())
    if flat and all(c.isalnum() or c in "-_.@" for c in flat):
        return flat
    return "'" + flat.replace("'", "'\\''") + "'"


def review_mrkdwn(pack: ReviewPack) -> str:
    """A compact Slack (mrkdwn) summary of the pack, at most ``SLACK_SECTION`` characters,
    ending with the command that writes the full pack. Does not post it."""
    zone = pack.timezone
    missed = _not_reached(pack)
    lines = [
        f"*{escape_name(pack.account)}: quarterly review {pack.quarter}* "
        f"({day_span(pack.first_day, pack.last_day)})",
        f"• *Touches:* {len(pack.touches)} of {pack.quarter_target} this quarter"
        + (f", last on {_day(pack.touches[-1].touched_at, zone)}" if pack.touches else ""),
        "• *Contacts reached:* "
        + (", ".join(escape_name(cut(c, 60)) for c in pack.contacts_reached[:8]) or "none named")
        + (
            f" (not reached: {', '.join(escape_name(cut(c, 60)) for c in missed[:5])})"
            if missed
            else ""
        ),
        f"• *News:* {plural(len(pack.news), 'article')}, "
        f"{plural(len(pack.events), 'business event')}; "
        f"*shared:* {plural(len(pack.shared), 'article')}",
    ]
    tail = (
        "The full pack (touches, news, shares, industry trends): "
        f"`clipper review {escape(_shell_word(pack.account))} --quarter {pack.quarter} "
        "--format html --out review.html`"
    )
    body: list[str] = []
    if pack.events:
        body.append("*Business events*")
        body += [
            f"• _{escape(str(n.event))}_ · {_slack_link(n.title, n.url)}" for n in pack.events[:5]
        ]
    if pack.shared:
        body.append("*Shared*")
        body += [
            f"• {_slack_link(t.article_title or '', t.article_url)}"
            + (f" · _{USEFUL}_" if t.useful else "")
            for t in pack.shared[:5]
        ]
    if pack.trends:
        body.append(f"*{escape_name(cut(pack.industry or '', 60))} trends*")
        body += [f"• {_slack_link(t.title, t.url)}" for t in pack.trends[:3]]
    text = "\n".join(lines)
    for line in body:
        if len(text) + len(line) + len(tail) + 2 > SLACK_SECTION:
            break
        text += "\n" + line
    return text + "\n" + tail


__all__ = [
    "ReviewNews",
    "ReviewPack",
    "ReviewTouch",
    "ReviewTrend",
    "contacts_reached",
    "md_escape",
    "review_html",
    "review_markdown",
    "review_mrkdwn",
    "top_trends",
]
