"""Hostile text escaped for each target shows literally there (``logic.escape``): Markdown as a
CommonMark renderer with GitHub's strike-through and tables reads it, and Slack mrkdwn as Slack
reads its three control characters. The team digest's Markdown shows a name with tildes as
typed, not struck through."""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime

from markdown_it import MarkdownIt

from clipper.logic.escape import escape_markdown, escape_markdown_html, escape_mrkdwn

MARKDOWN = MarkdownIt("commonmark").enable(["strikethrough", "table"])
ALPHABET = "ab \\`*_~[]<>#|!()&;x-+=1."


def _texts(seed: int, count: int = 2000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 16))) for _ in range(count)]


def test_markdown_shows_every_special_character_as_typed() -> None:
    for text in _texts(1):
        if "&" in text:
            continue  # an entity is read as one by design (escape_markdown_html does not)
        shown = MARKDOWN.renderInline(escape_markdown(text))
        assert shown == html.escape(text, quote=False).replace('"', "&quot;"), text


def test_markdown_html_shows_entities_as_typed_too() -> None:
    for text in _texts(2) + ["&amp; &lt;b&gt; &#65;"]:
        shown = MARKDOWN.renderInline(escape_markdown_html(text))
        assert shown == html.escape(text, quote=False).replace('"', "&quot;"), text


def test_mrkdwn_leaves_no_control_character_and_reads_back_as_typed() -> None:
    for text in _texts(3) + ["<!channel> <http://x|y> &amp;"]:
        escaped = escape_mrkdwn(text)
        assert "<" not in escaped and ">" not in escaped
        assert escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


def test_the_team_digest_shows_names_with_tildes_as_typed() -> None:
    from clipper.logic.team import render_team_markdown
    from clipper.types import TouchReport

    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    report = TouchReport(target=1, accounts=1, touched=0, by_owner=(), due=("~~Acme~~ *co*",))
    rendered = MARKDOWN.render(render_team_markdown(report, "~~Max~~", now))
    assert "<s>" not in rendered and "<em>" not in rendered
    assert "~~Max~~" in rendered and "~~Acme~~ *co*" in rendered
