"""Parsing and normalisation of single documents (both parser paths)."""

from __future__ import annotations

from datetime import UTC, datetime

from clipper.adapters.parse_feed import FeedParser, html_to_text
from clipper.types import CachingInfo, RetrievedFeed

MEDIA_RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Media &amp; more</title>
<link>https://pub.example/</link><ttl>90</ttl>
<item><title>Acme &lt;b&gt;raises&lt;/b&gt; $50M</title>
<link>https://pub.example/a?utm_campaign=x&amp;id=3#comments</link>
<guid isPermaLink="false">a-1</guid><pubDate>Mon, 23 Nov 2026 08:00:00 +0100</pubDate>
<dc:creator>Jane Reporter</dc:creator><category>Funding</category><category>Robots</category>
<media:content url="https://img.pub.example/a.jpg" medium="image"/>
<description>&lt;p&gt;Acme said&amp;nbsp;on Monday&lt;/p&gt;&lt;p&gt;more&lt;/p&gt;
</description></item>
<item><title>Enclosure image</title><link>/relative/b</link><guid>b-2</guid>
<enclosure url="https://img.pub.example/b.png" type="image/png" length="1"/>
<description>plain &amp; simple</description></item>
</channel></rss>"""


def parse(body: bytes, url: str = "https://pub.example/feed.xml"):  # type: ignore[no-untyped-def]
    return FeedParser().parse(RetrievedFeed(url, 200, body, {}, CachingInfo()))


def test_rss_fields_are_normalised() -> None:
    feed = parse(MEDIA_RSS)
    assert feed.title == "Media & more" and feed.ttl_s == 90 * 60
    first, second = feed.entries
    assert first.title == "Acme raises $50M"
    assert first.url == "https://pub.example/a?id=3"
    assert first.published == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert first.author == "Jane Reporter"
    assert first.categories == ("Funding", "Robots")
    assert first.image == "https://img.pub.example/a.jpg"
    assert first.summary == "Acme said on Monday more"
    assert second.url == "https://pub.example/relative/b"
    assert second.image == "https://img.pub.example/b.png"
    assert second.summary == "plain & simple" and second.published is None


def test_ill_formed_feed_reads_the_same_through_feedparser() -> None:
    broken = MEDIA_RSS.replace(b"</channel></rss>", b"<unclosed></channel></rss>")
    good, bad = parse(MEDIA_RSS), parse(broken)
    assert [(e.title, e.url, e.published, e.summary, e.image) for e in good.entries] == [
        (e.title, e.url, e.published, e.summary, e.image) for e in bad.entries
    ]


def test_atom_with_content_and_updated_only() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
<updated>2026-11-20T10:00:00Z</updated>
<entry><title type="html">Deal &amp;amp; more</title><id>urn:e1</id>
<link rel="alternate" href="https://a.example/1"/><updated>2026-11-20T10:00:00Z</updated>
<content type="html">&lt;p&gt;First para.&lt;/p&gt;&lt;p&gt;Second para with much more text
that goes on long enough to count as the article body rather than a summary.&lt;/p&gt;</content>
</entry></feed>"""
    (entry,) = parse(atom).entries
    assert entry.title == "Deal & more" and entry.guid == "urn:e1"
    assert entry.updated == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert entry.content is not None and entry.content.startswith("First para.\n\nSecond para")


def test_html_to_text_drops_scripts_and_keeps_paragraphs() -> None:
    html = "<div><script>x()</script><p>One&nbsp;two</p><!-- c --><ul><li>three</li></ul></div>"
    assert html_to_text(html) == "One two three"
    assert html_to_text(html, paragraphs=True) == "One two\n\nthree"
    assert html_to_text("5 &lt; 6 &amp; 7") == "5 < 6 & 7"
    assert html_to_text("a\x00b\u202ec") == "abc"
