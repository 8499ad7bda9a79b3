"""The parser: feed bytes to normalised entries, and HTML to plain text. No network.

Well-formed feeds take a fast path, fastfeedparser (lxml), about 30x faster than feedparser;
anything lxml's strict parser rejects, and anything the fast path fails on, goes to feedparser,
whose loose parser reads what others cannot. feedparser's HTML sanitising and relative-URI
rewriting are off: Clipper turns every HTML field into plain text itself and resolves links
against the response URL, and those passes are most of feedparser's cost (PERF.md). HTML to text
uses lxml's HTML parser (the libxml2 parser behind beautifulsoup4's "lxml" builder, without bs4's
tree overhead, ~15x faster here); beautifulsoup4 reads whole pages for feed discovery. The only
module that imports these libraries; feedparser and beautifulsoup4 are imported where first
needed (an ill-formed feed, a discovery), so a fetch of well-formed feeds does not load them
(~25 MiB).
"""

from __future__ import annotations

import calendar
import html as html_lib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import fastfeedparser
from lxml import etree
from lxml import html as lxml_html

from ..exceptions import ParseError
from ..logic.dedupe import content_digest
from ..logic.urls import canonical_url, redact_url
from ..logic.words import plural
from ..types import FeedLink, ParsedEntry, ParsedFeed, RetrievedFeed

log = logging.getLogger("clipper.parse")

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
_BLOCK_SET = frozenset(_BLOCK_TAGS)
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


_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed")


def html_to_text(value: str | None, *, paragraphs: bool = False) -> str:
    """Return the plain text of an HTML fragment, entities decoded, white space collapsed.

    With ``paragraphs``, block elements become blank-line-separated paragraphs; otherwise the
    result is one line, with block elements separated by a space. Scripts, styles and comments
    are dropped. Does not keep links or any markup.
    """
    if not value:
        return ""
    value = clean_text(value)
    if "<" in value:
        value = _markup_text(value, paragraphs)
    elif "&" in value:
        value = html_lib.unescape(value)
    if paragraphs:
        parts = [_INLINE_SPACE.sub(" ", p).strip() for p in _BLANKS.split(value)]
        return "\n\n".join(" ".join(p.split()) for p in parts if p.strip())
    return " ".join(value.split())


#: what lxml.html reads as a whole document rather than a fragment
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.I)


def _fragment_root(value: str) -> Any:
    """Return the fragment parsed under one ``div``, as ``lxml.html.fragment_fromstring(value,
    create_parent="div")`` does, without its copying: the parsed body is the ``div``. Raises
    what that function raises; does not judge the markup."""
    if _FULL_HTML.match(value):
        return lxml_html.fragment_fromstring(value, create_parent="div")
    doc = lxml_html.document_fromstring(f"<html><body>{value}</body></html>")
    bodies = [e for e in doc if e.tag == "body"]
    if len(bodies) != 1:
        return lxml_html.fragment_fromstring(value, create_parent="div")
    body = bodies[0]
    body.tag = "div"
    if body.text and not body.text.strip():
        body.text = None  # fragment_fromstring keeps leading text only when it is not blank
    return body


def _markup_text(value: str, paragraphs: bool) -> str:
    try:
        root = _fragment_root(value)
    except (etree.ParserError, ValueError):
        return html_lib.unescape(re.sub(r"<[^>]*>", " ", value))
    for node in root.iter(etree.Comment, etree.ProcessingInstruction, *_DROP):
        if node is not root:
            node.drop_tree()
    gap = "\n\n" if paragraphs else " "
    # every element, filtered here: lxml matching 29 tag names itself costs ~3x this loop
    for node in root.iter():
        if node.tag not in _BLOCK_SET:
            continue
        node.text = gap + (node.text or "")
        node.tail = gap + (node.tail or "")
    return str(root.text_content())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def _when(
    entry: Mapping[str, Any], key: str, undated: frozenset[str] = frozenset()
) -> datetime | None:
    """Return a date from feedparser's ``*_parsed`` struct or fastfeedparser's ISO string."""

    # plain dict access: FeedParserDict maps a missing updated_parsed to published_parsed with a
    # DeprecationWarning, and Clipper wants to know which of the two the feed really has
    def getter(mapping: Mapping[str, Any], name: str) -> Any:
        return dict.get(mapping, name) if isinstance(mapping, dict) else mapping.get(name)

    value = getter(entry, f"{key}_parsed")
    try:
        # whole seconds, whichever parser read the date: feedparser keeps no fractions
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
        if entry.get("id") in undated:
            return None  # fastfeedparser reads a dateless item's guid as a date: not a date
        raw = getter(entry, key)
        if isinstance(raw, str) and "T" in raw and raw[:4].isdigit():
            when = datetime.fromisoformat(raw.replace("Z", "+00:00")).replace(microsecond=0)
            return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None
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
    enclosures = [link for link in entry.get("links") or [] if link.get("rel") == "enclosure"]
    enclosures += list(entry.get("enclosures") or [])
    for enclosure in enclosures:
        if str(enclosure.get("type", "")).startswith("image/"):
            candidates.append(enclosure.get("href") or enclosure.get("url") or "")
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


def _items_base(feed_url: str, feed_link: object) -> str:
    """Return what an item's relative link resolves against when no xml:base resolved it: the
    feed's own (alternate, channel) link when that is an http(s) URL, else the feed's URL (a
    ``file:`` feed's relative links then resolve to no http(s) URL and are dropped). Does not
    judge the links it will resolve."""
    if isinstance(feed_link, str) and feed_link.strip():
        site = urljoin(feed_url, feed_link.strip())
        if urlsplit(site).scheme.lower() in ("http", "https"):
            return site
    return feed_url


def _entry(
    entry: Mapping[str, Any], base: str, undated: frozenset[str] = frozenset()
) -> ParsedEntry:
    whole_title = html_to_text(entry.get("title"))
    title = _shorten(whole_title, MAX_TITLE)
    summary_html = entry.get("summary") or entry.get("description") or ""
    content_html = ""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) > len(content_html):
            content_html = value
    if content_html and content_html.strip() == summary_html.strip():
        content_html = ""  # the same body offered twice: one conversion is enough
    content = html_to_text(content_html, paragraphs=True) if content_html else ""
    summary = html_to_text(summary_html) if summary_html else ""
    if not summary and content:
        summary = " ".join(content.split())
    if not title:
        title = _shorten(summary, 120) if summary else ""
    guid = entry.get("id")
    author = entry.get("author")
    short_summary = _shorten(summary, MAX_SUMMARY)
    uncut = None
    if (whole_title and title != whole_title) or short_summary != summary:
        uncut = content_digest(whole_title or title, summary)
    return ParsedEntry(
        guid=str(guid).strip() if guid else None,
        url=_link(entry, base),
        title=title,
        summary=short_summary,
        published=_when(entry, "published", undated),
        updated=_when(entry, "updated", undated),
        author=clean_text(author).strip()[:200] if isinstance(author, str) and author else None,
        categories=tuple(
            dict.fromkeys(
                clean_text(str(t.get("term") or "")).strip()
                for t in entry.get("tags") or []
                if t.get("term")
            )
        ),
        image=_image(entry, base),
        content=content or None,
        uncut_digest=uncut,
    )


#: features only feedparser implements: xml:base, Atom 0.3 base64 mode, inline XHTML text
_NEEDS_TOLERANT = re.compile(rb"xml:base|base64|type=[\"']xhtml[\"']")

_STRICT = etree.XMLParser(
    recover=False, resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
)


def _strict_root(content: bytes) -> Any:
    """Return the document's root when lxml's strict parser accepts it (the fast path's gate)."""
    if content.lstrip()[:1] == b"{":
        return None  # JSON Feed: feedparser reads it
    try:
        return etree.fromstring(content, _STRICT)
    except (etree.XMLSyntaxError, ValueError):
        return None


_DATE_NAMES = frozenset({"pubDate", "date", "published", "issued", "updated", "modified"})
_SUMMARY_NAMES = frozenset({"description", "summary"})
_CONTENT_NAMES = frozenset({"content", "encoded", "body", "fullitem"})
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_MEDIA_DESCRIPTION = "{http://search.yahoo.com/mrss/}description"


@dataclass(frozen=True, slots=True)
class _ItemShape:
    """What the raw XML of one item holds, to check the fast parser's reading of it."""

    guid: str | None
    has_date: bool
    has_title: bool
    has_summary: bool
    has_content: bool
    has_link: bool
    has_id: bool


def _has_text(node: Any) -> bool:
    return bool("".join(node.itertext()).strip()) or len(node) > 0


def _item_shapes(root: Any) -> list[_ItemShape]:
    """Return the shape of every RSS item / Atom entry, in document order."""
    shapes = []
    for item in root.iter("{*}item", "{*}entry"):
        names: dict[str, Any] = {}
        links = []
        for child in item:
            tag = child.tag
            if isinstance(tag, str):
                name = tag.rpartition("}")[2]  # the local name, as etree.QName(child).localname
                names.setdefault(name, child)
                if name == "link":
                    links.append(child)
        guid = names.get("guid")
        media_text = any(_has_text(n) for n in item.iter(_MEDIA_DESCRIPTION))
        shapes.append(
            _ItemShape(
                guid=(guid.text or "").strip() if guid is not None else None,
                has_date=bool(names.keys() & _DATE_NAMES),
                has_title="title" in names and _has_text(names["title"]),
                has_summary=media_text
                or any(_has_text(names[n]) for n in names.keys() & _SUMMARY_NAMES),
                has_content=any(_has_text(names[n]) for n in names.keys() & _CONTENT_NAMES),
                has_link=any((c.text or "").strip() or c.get("href") for c in links),
                has_id=bool(names.keys() & {"guid", "id"}) or item.get(_RDF_ABOUT) is not None,
            )
        )
    return shapes


def _ttl_of(root: Any) -> str | None:
    """Return the RSS channel's <ttl> text, if any."""
    node = root.find("{*}channel/{*}ttl")
    return (node.text or "").strip() or None if node is not None else None


class _FastPathDeclinedError(Exception):
    """The fast parser's reading is incomplete; the tolerant parser should read this feed."""


def _check_fast_reading(entries: list[Any], shapes: list[_ItemShape]) -> None:
    if len(entries) != len(shapes):
        raise _FastPathDeclinedError("entry count differs from the document's items")
    for entry, shape in zip(entries, shapes, strict=True):
        if shape.has_title and not entry.get("title"):
            raise _FastPathDeclinedError("lost a title")
        if shape.has_link and not entry.get("link"):
            raise _FastPathDeclinedError("lost a link")
        lost_text = not entry.get("description") and not entry.get("content")
        if (shape.has_summary or shape.has_content) and lost_text:
            raise _FastPathDeclinedError("lost a summary or content")


class FeedParser:
    """``ParserType`` on feedparser."""

    def parse(self, retrieved: RetrievedFeed) -> ParsedFeed:
        if not retrieved.content:
            raise ParseError(retrieved.url, "empty response body")
        root = _strict_root(retrieved.content)
        content = retrieved.content
        if root is not None and not _NEEDS_TOLERANT.search(content):
            try:
                return self._parse_fast(retrieved, _item_shapes(root), _ttl_of(root))
            except Exception:  # noqa: BLE001 - any fast-path trouble goes to the tolerant parser
                pass
        json_feed = content.lstrip()[:1] == b"{"
        return self._parse_tolerant(retrieved, well_formed=root is not None or json_feed)

    def _parse_fast(
        self, retrieved: RetrievedFeed, shapes: list[_ItemShape], ttl: str | None = None
    ) -> ParsedFeed:
        """Read a well-formed feed with fastfeedparser, checked against the raw XML.

        Raises:
            _FastPathDeclinedError: the reading lost something the document has.
        """
        assert retrieved.content is not None
        result = fastfeedparser.parse(retrieved.content, include_tags=True)
        entries = list(result.get("entries") or [])
        feed = result.get("feed") or {}
        if not entries and not feed.get("title"):
            raise _FastPathDeclinedError("nothing read")
        _check_fast_reading(entries, shapes)
        for index, shape in enumerate(shapes):
            if shape.has_content and not shape.has_summary:
                # fastfeedparser writes a shortened description from the content; use the content
                entries[index] = {**entries[index], "description": ""}
            if not shape.has_link:
                # a link fastfeedparser derived from the id is not the item's link
                entries[index] = {**entries[index], "link": None, "links": []}
            if not shape.has_id:
                # nor is an id it derived from the link the item's guid
                entries[index] = {**entries[index], "id": None}
        undated = frozenset(s.guid for s in shapes if s.guid is not None and not s.has_date)
        if ttl:
            feed = {**feed, "ttl": ttl}  # fastfeedparser does not read <ttl>
        return self._build(retrieved, feed, entries, warning=None, undated=undated)

    def _parse_tolerant(self, retrieved: RetrievedFeed, *, well_formed: bool = True) -> ParsedFeed:
        """Read any feed with feedparser; a broken document with no readable item is an error.

        Does not fail a broken document that still gave items: they are stored, with a warning.
        """
        assert retrieved.content is not None
        headers = dict(retrieved.headers)
        # no Content-Location of the feed's URL: a relative link feedparser cannot resolve with
        # an xml:base stays relative, and _build resolves it (the feed's link, then its URL)
        import feedparser  # the fallback only: ~13 MiB that well-formed feeds never need

        try:
            result = feedparser.parse(
                # a stream: bytes would be tried as a file name first, so a body such as
                # "/dev/zero" or a local path would make feedparser read this machine's disk
                io.BytesIO(retrieved.content),
                response_headers=headers,
                sanitize_html=False,
                resolve_relative_uris=False,
            )
        except Exception as exc:  # feedparser should never raise; a bug in it must not stop us
            raise ParseError(retrieved.url, "the feed parser failed") from exc
        entries = result.get("entries") or []
        feed = result.get("feed") or {}
        warning = None
        broken = False
        if result.get("bozo"):
            problem = result.get("bozo_exception")
            warning = f"{type(problem).__name__}: {problem}"
            # an encoding or content-type note is about a whole document; anything else (an
            # XML error) may have cut the items short
            broken = not isinstance(
                problem, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
            )
        if not result.get("version") and not entries:
            kind = str(retrieved.headers.get("content-type", "")).split(";")[0].strip()
            if "html" in kind or b"<html" in retrieved.content[:1000].lower():
                raise ParseError(
                    retrieved.url,
                    "not a feed (it looks like a web page: try `clipper feeds discover URL`)",
                )
            raise ParseError(retrieved.url, "not a feed" + (f": {warning}" if warning else ""))
        if not entries and not well_formed and result.get("bozo"):
            # a truncated or malformed document: no item could be read, so nothing says the feed
            # is empty; counted as a failure (reason parse), not as a healthy feed with no news
            raise ParseError(retrieved.url, f"the feed is not well-formed XML: {warning}")
        return self._build(retrieved, feed, entries, warning=warning, broken=broken)

    def _build(
        self,
        retrieved: RetrievedFeed,
        feed: Mapping[str, Any],
        entries: list[Any],
        *,
        warning: str | None,
        undated: frozenset[str] = frozenset(),
        broken: bool = False,
    ) -> ParsedFeed:
        ttl = None
        raw_ttl = str(feed.get("ttl") or "").strip()
        if raw_ttl.isdigit():
            ttl = int(raw_ttl) * 60.0
        link = feed.get("link")
        base = _items_base(retrieved.url, link)
        parsed: list[ParsedEntry] = []
        skipped = 0
        for raw in entries:
            try:
                parsed.append(_entry(raw, base, undated))
            except Exception:  # one unreadable item must not cost the feed its other items
                log.exception("skipping an unreadable item in %s", redact_url(retrieved.url))
                skipped += 1
        if skipped:
            note = f"skipped {plural(skipped, 'unreadable item')}"
            warning = f"{warning}; {note}" if warning else note
        return ParsedFeed(
            title=html_to_text(feed.get("title")) or redact_url(retrieved.url),
            link=urljoin(retrieved.url, link) if isinstance(link, str) else None,
            entries=tuple(parsed),
            ttl_s=ttl,
            warning=warning,
            broken=broken,
        )

    def find_feed_links(self, page: bytes, base_url: str) -> list[FeedLink]:
        from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning  # discovery only (~12 MiB)

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
                    url,
                    FeedLink(
                        url,
                        clean_text(str(title)).strip() or None if title else None,
                        _FEED_TYPES[kind],
                    ),
                )
        for anchor in soup.find_all("a", href=True):
            href = str(anchor["href"]).strip()
            if re.search(
                r"(^|[/.?=_-])(rss|atom|feeds?)([/.?=_-]|$)|\.(rss|atom|xml)$", href, re.I
            ):
                url = urljoin(base, href)
                if url.startswith(("http://", "https://")):
                    text = clean_text(anchor.get_text(" ", strip=True)) or None
                    found.setdefault(url, FeedLink(url, text, "link"))
        return list(found.values())
