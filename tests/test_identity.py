"""Article identity over a real local feed server: distinct items are never merged by content."""

from __future__ import annotations

from pathlib import Path

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss


def catalog(url: str) -> dict[str, list[dict[str, object]]]:
    return {"tech": [{"url": url, "name": "Feed"}]}


def item(
    n: int, *, title: str = "Daily briefing", body: str = "Top stories today"
) -> dict[str, str]:
    return {
        "title": title,
        "link": f"http://news.example/briefing/{n}",
        "guid": f"briefing-{n}",
        "description": body,
        "pubDate": f"Mon, 23 Nov 2026 0{n}:00:00 GMT",
    }


def test_same_title_and_summary_under_different_guids_and_links_are_all_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    items = [item(1), item(2)]
    url = server.route("/feed", lambda _seen: Reply(200, rss(items)))
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog(url)), clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 2  # within one poll
        items.insert(0, item(3))
        clock.advance(hours=3)
        assert clipper.update_feeds(due_only=False).new_articles == 1  # across polls
        items[:] = [item(4)]  # the older ones fell off the feed
        clock.advance(hours=3)
        assert clipper.update_feeds(due_only=False).new_articles == 1
        stored = {a.url for a in clipper.storage.articles()}
    assert stored == {f"http://news.example/briefing/{n}" for n in (1, 2, 3, 4)}


def test_titles_that_differ_only_after_500_characters_are_distinct(
    tmp_path: Path, server: FeedServer
) -> None:
    stem = "Quarterly results " + "word " * 120  # 618 characters before the difference
    # no guid and no link: only the content can tell these two items apart
    items = [{"title": stem + end, "description": "Same summary"} for end in ("Acme", "Globex")]
    url = server.route("/long", Reply(200, rss(items)))
    clock = Clock()
    _, clipper = build(write_config(tmp_path, feeds=catalog(url)), clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 2
        clock.advance(hours=3)
        assert clipper.update_feeds(due_only=False).new_articles == 0
        assert clipper.storage.count_articles() == 2
