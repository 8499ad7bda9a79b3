"""The whole update pipeline through the facade: baselines, floods, full text."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from clipper.types import Stage

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss


def dated_items(
    clock: Clock,
    count: int,
    *,
    days_apart: float,
    prefix: str = "item",
    link: str = "http://news.example/",
) -> list[dict[str, str]]:
    return [
        {
            "title": f"{prefix} {n}",
            "link": f"{link}{prefix}-{n}",
            "guid": f"{prefix}-{n}",
            "description": f"about {prefix} {n}",
            "pubDate": format_datetime(clock.now - timedelta(days=n * days_apart), usegmt=True),
        }
        for n in range(count)
    ]


def test_first_fetch_is_a_silent_baseline_outside_the_backfill_window(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = Clock()
    items = dated_items(clock, 10, days_apart=1)  # 0..9 days old
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "F"}]},
        settings={"fetch": {"backfill_window": "3d"}},
    )
    _, clipper = build(path, clock)
    with clipper:
        summary = clipper.update_feeds()
        assert summary.new_articles == 4  # today and 1, 2, 3 days ago
        assert clipper.storage.count_articles(Stage.NEW) == 4
        assert clipper.storage.count_articles(Stage.BASELINE) == 6
        # later, a newly seen item is a candidate even if it is dated last month
        newer = dated_items(clock, 1, days_apart=0, prefix="late") + items
        newer[0]["pubDate"] = format_datetime(clock.now - timedelta(days=30), usegmt=True)
        server.route("/feed", Reply(200, rss(newer)))
        clock.advance(days=1)
        assert clipper.update_feeds(due_only=False).new_articles == 1


def test_a_flood_is_capped_per_feed_per_run(tmp_path: Path, server: FeedServer) -> None:
    clock = Clock()
    url = server.route("/flood", Reply(200, rss(dated_items(clock, 500, days_apart=0.001))))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "F"}]},
        settings={"fetch": {"max_new_per_feed": 25}},
    )
    _, clipper = build(path, clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 25
        assert clipper.storage.count_articles() == 500  # nothing is lost, only kept quiet


def test_the_same_url_in_two_feeds_is_one_article(tmp_path: Path, server: FeedServer) -> None:
    clock = Clock()
    items = dated_items(clock, 3, days_apart=0)
    a = server.route("/a", Reply(200, rss(items)))
    b = server.route(
        "/b",
        Reply(
            200,
            rss(
                [
                    {**i, "guid": "other-" + i["guid"], "link": i["link"] + "?utm_source=b"}
                    for i in items
                ]
            ),
        ),
    )
    _, clipper = build(
        write_config(tmp_path, feeds={"x": [{"url": a, "name": "A"}, {"url": b, "name": "B"}]}),
        clock,
    )
    with clipper:
        summary = clipper.update_feeds()
        assert summary.new_articles == 3 and clipper.storage.count_articles() == 3


def test_full_text_feeds_fetch_and_extract_article_pages(
    tmp_path: Path, server: FeedServer, data_dir: Path
) -> None:
    bench = data_dir / "article_extraction_benchmark"
    truth = json.loads((bench / "ground-truth.json").read_text())
    page_id = sorted(truth)[0]
    html = gzip.decompress((bench / "html" / f"{page_id}.html.gz").read_bytes())
    server.route("/story/1", Reply(200, html, {"Content-Type": "text/html; charset=utf-8"}))
    server.route("/story/2", Reply(404))
    clock = Clock()
    items = [
        {"title": "Story one", "link": server.url("/story/1"), "guid": "1"},
        {"title": "Story two", "link": server.url("/story/2"), "guid": "2"},
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(tmp_path, feeds={"x": [{"url": url, "name": "F", "full_text": True}]})
    _, clipper = build(path, clock)
    with clipper:
        summary = clipper.update_feeds()
        assert (summary.extracted, summary.extract_failed) == (1, 1)
        rows = {r.title: r for r in clipper.storage.articles()}
        one, two = rows["Story one"], rows["Story two"]
        assert one.stage == "new"
        first_sentence = truth[page_id]["articleBody"].split(".")[0]
        assert one.full_text is not None and first_sentence in one.full_text
        assert two.stage == "extract" and two.extract_error and "404" in two.extract_error
        # failed pages are retried later, then go on to matching without page text
        for _ in range(3):
            clock.advance(hours=1)
            clipper.pipeline.extract_pages()
        two = {r.title: r for r in clipper.storage.articles()}["Story two"]
        assert two.stage == "new" and two.full_text is None
    assert len(server.hits("/story/2")) == 3


def test_hostile_text_is_neutralised(tmp_path: Path, server: FeedServer) -> None:
    clock = Clock()
    items = [
        {
            "title": "<script>alert(1)</script>Evil\u202e title &amp; <b>bold</b>\x07",
            "link": "javascript:alert(1)",
            "guid": "x",
            "description": "<img src=x onerror=alert(1)><p>Para&nbsp;one</p><p>two</p>",
        }
    ]
    url = server.route("/evil", Reply(200, rss(items)))
    _, clipper = build(write_config(tmp_path, feeds={"x": [{"url": url, "name": "F"}]}), clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 1
        (row,) = clipper.storage.articles()
    assert row.title == "Evil title & bold"
    assert row.summary == "Para one two"
    assert row.url is None


def test_new_articles_are_matched_once_and_stored(tmp_path: Path, server: FeedServer) -> None:
    clock = Clock()
    items = [
        {"title": "Acme Robotics opens a plant in Ohio", "link": "http://n.example/1", "guid": "1"},
        {
            "title": "Weather turns cold across the region",
            "link": "http://n.example/2",
            "guid": "2",
        },
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "F"}]},
        accounts=[{"name": "Acme Robotics", "owner": "rep@example.com"}],
    )
    _, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        assert clipper.match_pending() == (2, 1)
        assert clipper.match_pending() == (0, 0)  # matched articles are not matched again
        (row,) = clipper.storage.recent_matches()
        assert row.account == "Acme Robotics" and row.event == "expansion"
        assert clipper.storage.count_articles(Stage.MATCHED) == 2


def test_the_same_story_from_several_outlets_shares_a_story_id(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = Clock()
    outlet_a = [
        {
            "title": "Acme Robotics to acquire vision start-up Lumen Sight",
            "link": "http://a.example/1",
            "guid": "a1",
        },
        {
            "title": "Storms close ports along the Gulf coast",
            "link": "http://a.example/2",
            "guid": "a2",
        },
    ]
    outlet_b = [
        {
            "title": "Acme Robotics agrees to buy Lumen Sight, a vision start-up",
            "link": "http://b.example/1",
            "guid": "b1",
        }
    ]
    a = server.route("/a", Reply(200, rss(outlet_a)))
    b = server.route("/b", Reply(200, rss(outlet_b)))
    path = write_config(tmp_path, feeds={"x": [{"url": a, "name": "A"}, {"url": b, "name": "B"}]})
    _, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        clipper.match_pending()
        later = outlet_b + [
            {
                "title": "Lumen Sight acquired by Acme Robotics",
                "link": "http://b.example/3",
                "guid": "b3",
            }
        ]
        server.route("/b", Reply(200, rss(later)))
        clock.advance(hours=3)
        clipper.update_feeds(due_only=False)
        clipper.match_pending()
        rows = clipper.storage.articles(limit=1000)
    story = {r.title: r.story_id for r in rows}
    deal = story["Acme Robotics to acquire vision start-up Lumen Sight"]
    assert story["Acme Robotics agrees to buy Lumen Sight, a vision start-up"] == deal
    assert story["Lumen Sight acquired by Acme Robotics"] == deal
    assert story["Storms close ports along the Gulf coast"] != deal
