"""The source-type seam: a catalog feed's ``type`` picks the retriever and parser that read it.

A new kind of source is one adapter and one registry line; the test below proves it by
registering a tiny JSON source here, in the test, and running a real fetch through the pipeline.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path

from clipper.adapters.fetch_http import FetchLimits, HttpRetriever
from clipper.config import load_config
from clipper.exceptions import ParseError
from clipper.pipeline import SourceAdapters
from clipper.types import (
    FeedSource,
    FetchStatus,
    ParsedEntry,
    ParsedFeed,
    RetrievedFeed,
    SourceType,
    Stage,
)
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss

JSON_LIST = "json-list"


class JsonListParser:
    """A news API's answer, ``[{"id", "title", "url", "summary", "published"}]``, as entries."""

    def parse(self, retrieved: RetrievedFeed) -> ParsedFeed:
        try:
            items = json.loads(retrieved.content or b"")
        except ValueError as exc:
            raise ParseError(retrieved.url, "not JSON") from exc
        return ParsedFeed(
            title="JSON news",
            link=None,
            entries=tuple(
                ParsedEntry(
                    guid=item["id"],
                    url=item["url"],
                    title=item["title"],
                    summary=item["summary"],
                    published=datetime.fromisoformat(item["published"]),
                    updated=None,
                )
                for item in items
            ),
        )


def test_a_registered_source_type_is_fetched_and_stored_like_a_feed(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = Clock()
    items = [
        {
            "id": f"n-{n}",
            "title": f"Acme news {n}",
            "url": f"http://news.example/acme-{n}",
            "summary": f"what happened to Acme, part {n}",
            "published": clock.now.isoformat(),
        }
        for n in range(2)
    ]
    api = server.route("/api/news", Reply(200, json.dumps(items).encode()))
    feed = server.route(
        "/feed", Reply(200, rss([{"title": "a feed item", "link": "http://x.example/1"}]))
    )
    path = write_config(tmp_path, feeds={"x": [{"url": feed, "name": "F", "type": "feed"}]})
    config = load_config(path, {})
    assert [s.source_type for s in config.feed_sources()] == [SourceType.FEED]
    retriever = HttpRetriever(
        FetchLimits("test", allow_private_networks=config.settings.fetch.allow_private_networks)
    )
    # one adapter (the parser above; HTTP is shared) and one registry line
    sources = {JSON_LIST: SourceAdapters(retriever, JsonListParser())}
    with make_clipper(config, _clock=clock, _sources=sources) as clipper:
        assert set(clipper.pipeline.sources) == {SourceType.FEED, JSON_LIST}
        clipper.storage.sync_feeds(
            (*config.feed_sources(), FeedSource(api, "JSON news", None, source_type=JSON_LIST)),
            clock.now,
        )
        summary = clipper.pipeline.update_feeds(extract_pages=False)
        by_name = {r.name: r for r in summary.results}
        assert by_name["JSON news"].status is FetchStatus.OK and by_name["JSON news"].new == 2
        assert by_name["F"].status is FetchStatus.OK and by_name["F"].new == 1
        assert clipper.storage.count_articles(Stage.NEW) == 3
        with contextlib.closing(sqlite3.connect(config.database_path)) as db:
            titles = {title for (title,) in db.execute("SELECT title FROM articles")}
        assert titles == {"Acme news 0", "Acme news 1", "a feed item"}
        # the next poll gets the same items: nothing new, as for a feed
        clock.advance(days=1)
        again = clipper.pipeline.update_feeds(due_only=False, extract_pages=False)
        assert {r.name: r.new for r in again.results} == {"JSON news": 0, "F": 0}
    retriever.close()
    assert len(server.hits("/api/news")) == 2


def test_a_feed_of_an_unregistered_type_fails_alone(tmp_path: Path, server: FeedServer) -> None:
    config = load_config(write_config(tmp_path), {})
    with make_clipper(config) as clipper:
        clipper.storage.sync_feeds(
            [FeedSource(server.url("/x"), "SEC", None, source_type="sec-edgar")], Clock()()
        )
        (result,) = clipper.pipeline.update_feeds(extract_pages=False).results
    assert result.status is FetchStatus.ERROR
    assert "no adapters are registered for source type 'sec-edgar' (feed)" in (result.error or "")
    assert server.hits("/x") == []


def test_an_unknown_catalog_type_is_located_with_a_suggestion(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, feeds={"x": [{"url": "http://a.example/feed", "name": "A", "type": "fed"}]}
    )
    config = load_config(path, {})
    (problem,) = config.problems
    assert problem.startswith(f"{tmp_path / 'feeds' / 'x.yaml'}:")
    assert problem.split(":")[1].isdigit()
    assert "feeds[0].type: Value error, unknown source type 'fed'; did you mean 'feed'?" in problem
    assert config.feed_sources() == ()
