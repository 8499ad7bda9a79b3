"""The parser: feedparser on bytes, beautifulsoup4 (lxml) for HTML to text. No network.

feedparser's HTML sanitising and relative-URI rewriting are switched off: Clipper turns every
HTML field into plain text itself and resolves links against the response URL, and those two
passes are most of feedparser's cost (PERF.md). The only module that imports feedparser or bs4.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from ..exceptions import ParseError
from ..logic.urls import canonical_url
from ..types import FeedLink, ParsedEntry, ParsedFeed, RetrievedFeed

#: longest summary kept (characters of plain text); longer ones are cut at a word boundary
MAX_SUMMARY = 4000
MAX_TITLE = 500
_FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "text/xml": "xml",
    "application/xml": "xml",
}
_BLOCK_TAGS = (
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "hr",
    "dd",
    "dt",
)
#: C0/C1 controls (but tab and newline), bidi overrides and isolates, zero-width characters
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb]"
)
_INLINE_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """Return text NFC-normalised, without control or direction-override characters."""
    return _UNSAFE.sub("", unicodedata.normalize("NFC", text))


def html_to_text(value: str | None, *, paragraphs: bool = False) -> str:
    """Return the plain text of an HTML fragment, entities decoded, white space collapsed.

    With ``paragraphs``, block elements become blank-line-separated paragraphs; otherwise the
    result is one line. Scripts, styles and comments are dropped.
    """
    if not value:
        return ""
    if "<" in value or "&" in value:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(value, "lxml")
        for tag in soup(["script", "style", "noscript", "template", "iframe"]):
            tag.decompose()
        if paragraphs:
            for tag in soup.find_all(_BLOCK_TAGS):
                tag.insert_before("\n\n")
                tag.insert_after("\n\n")
        value = soup.get_text("" if paragraphs else " ")
    value = clean_text(value)
    if paragraphs:
        parts = [_INLINE_SPACE.sub(" ", p).strip() for p in _BLANKS.split(value)]
        return "\n\n".join(" ".join(p.split()) for p in parts if p.strip())
    return " ".join(value.split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _when(entry: Mapping[str, Any], key: str) -> datetime | None:
    # plain dict access: FeedParserDict maps a missing updated_parsed to published_parsed with a
    # DeprecationWarning, and Clipper wants to know which of the two the feed really has
    value = (
        dict.get(entry, f"{key}_parsed") if isinstance(entry, dict) else entry.get(f"{key}_parsed")
    )
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _image(entry: Mapping[str, Any], base: str) -> str | None:
    candidates: list[str] = []
    for media in entry.get("media_content") or []:
        kind = str(media.get("type", "")) + str(media.get("medium", ""))
        if media.get("url") and ("image" in kind or not kind):
            candidates.append(media["url"])
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            candidates.append(thumb["url"])
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            candidates.append(link.get("href", ""))
    for url in candidates:
        canonical = canonical_url(url, base)
        if canonical:
            return canonical
    return None


def _link(entry: Mapping[str, Any], base: str) -> str | None:
    """Return the entry's canonical link; a guid serves only when the item has no link at all."""
    candidates = [entry.get("link")]
    candidates += [
        link.get("href")
        for link in entry.get("links") or []
        if link.get("rel", "alternate") == "alternate"
    ]
    present = [c for c in candidates if isinstance(c, str) and c.strip()]
    guid = entry.get("id")
    if not present and isinstance(guid, str) and guid.startswith(("http://", "https://")):
        present.append(guid)  # RSS permalink guid
    for url in present:
        canonical = canonical_url(url, base)
        if canonical:
            return canonical
    return None


def _entry(entry: Mapping[str, Any], base: str) -> ParsedEntry:
    title = _shorten(html_to_text(entry.get("title")), MAX_TITLE)
    summary_html = entry.get("summary") or ""
    content_html = ""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) > len(content_html):
            content_html = value
    content = html_to_text(content_html, paragraphs=True) if content_html else ""
    summary = html_to_text(summary_html) if summary_html else ""
    if not summary and content:
        summary = " ".join(content.split())
    if not title:
        title = _shorten(summary, 120) if summary else ""
    guid = entry.get("id")
    author = entry.get("author")
    return ParsedEntry(
        guid=str(guid).strip() if guid else None,
        url=_link(entry, base),
        title=title,
        summary=_shorten(summary, MAX_SUMMARY),
        published=_when(entry, "published"),
        updated=_when(entry, "updated"),
        author=clean_text(author).strip()[:200] if isinstance(author, str) and author else None,
        categories=tuple(
            dict.fromkeys(
                clean_text(str(t.get("term") or "")).strip()
                for t in entry.get("tags") or []
                if t.get("term")
            )
        ),
        image=_image(entry, base),
        content=content if content and len(content) > len(summary) + 40 else None,
    )


class FeedParser:
    """``ParserType`` on feedparser."""

    def parse(self, retrieved: RetrievedFeed) -> ParsedFeed:
        if not retrieved.content:
            raise ParseError(retrieved.url, "empty response body")
        headers = dict(retrieved.headers)
        headers.setdefault("content-location", retrieved.url)
        try:
            result = feedparser.parse(
                retrieved.content,
                response_headers=headers,
                sanitize_html=False,
                resolve_relative_uris=False,
            )
        except Exception as exc:  # feedparser should never raise; a bug in it must not stop us
            raise ParseError(retrieved.url, "the feed parser failed") from exc
        entries = result.get("entries") or []
        feed = result.get("feed") or {}
        warning = None
        if result.get("bozo"):
            warning = f"{type(result.get('bozo_exception')).__name__}: " + str(
                result.get("bozo_exception")
            )
        if not result.get("version") and not entries:
            kind = str(retrieved.headers.get("content-type", "")).split(";")[0].strip()
            hint = ""
            if "html" in kind or retrieved.content.lstrip()[:200].lower().find(b"<html") >= 0:
                hint = " (it looks like a web page: try `clipper feeds discover URL`)"
            raise ParseError(
                retrieved.url,
                f"not a feed{hint}" + (f": {warning}" if warning and not hint else ""),
            )
        base = retrieved.url
        parsed = [_entry(e, base) for e in entries]
        ttl = None
        raw_ttl = str(feed.get("ttl") or "").strip()
        if raw_ttl.isdigit():
            ttl = int(raw_ttl) * 60.0
        link = feed.get("link")
        return ParsedFeed(
            title=html_to_text(feed.get("title")) or retrieved.url,
            link=urljoin(base, link) if isinstance(link, str) else None,
            entries=tuple(parsed),
            ttl_s=ttl,
            warning=warning,
        )

    def find_feed_links(self, page: bytes, base_url: str) -> list[FeedLink]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(page, "lxml")
        base_tag = soup.find("base", href=True)
        base = urljoin(base_url, str(base_tag["href"])) if base_tag else base_url
        found: dict[str, FeedLink] = {}
        for link in soup.find_all("link", href=True):
            rel: Any = link.get("rel") or []
            rels = {r.lower() for r in (rel if isinstance(rel, list) else [rel])}
            kind = str(link.get("type", "")).lower().split(";")[0].strip()
            if ("alternate" in rels or "feed" in rels) and kind in _FEED_TYPES:
                url = urljoin(base, str(link["href"]).strip())
                title = link.get("title")
                found.setdefault(
                    url, FeedLink(url, str(title).strip() if title else None, _FEED_TYPES[kind])
                )
        for anchor in soup.find_all("a", href=True):
            href = str(anchor["href"]).strip()
            if re.search(
                r"(^|[/.?=_-])(rss|atom|feeds?)([/.?=_-]|$)|\.(rss|atom|xml)$", href, re.I
            ):
                url = urljoin(base, href)
                if url.startswith(("http://", "https://")):
                    text = anchor.get_text(" ", strip=True) or None
                    found.setdefault(url, FeedLink(url, text, "link"))
        return list(found.values())
