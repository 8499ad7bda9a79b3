"""Builders for feeds and articles, and one way to store matches without the matcher.

Tests about what happens after matching (digests, the Slack app, the outbox) seed matches with
``seed_matches``; tests about matching itself run the real matcher instead. Does not start
servers; ``acme_wire`` is the one configuration written here (through
``conftest.write_config``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clipper.logic.dedupe import identity_of
from clipper.ports import StorageType
from clipper.types import (
    ArticleIntent,
    ArticleToMatch,
    FeedSource,
    Match,
    MatchResult,
    ParsedEntry,
    Stage,
)

from ..conftest import write_config
from ..feedserver import FeedServer, Reply, rss

#: the time the builders stamp when a test gives none
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
#: the lease owner seeding claims articles under
SEED_OWNER = "seed"


def feed_source(n: int = 0, **fields: Any) -> FeedSource:
    """A configured feed ``http://f{n}.example/rss`` named ``F{n}`` in industry ``x``;
    ``fields`` replace any of that."""
    return replace(FeedSource(url=f"http://f{n}.example/rss", name=f"F{n}", industry="x"), **fields)


def feed_sources(count: int) -> list[FeedSource]:
    """``count`` distinct configured feeds (``feed_source(0)`` ...)."""
    return [feed_source(n) for n in range(count)]


def article_intent(
    feed_id: int,
    *,
    guid: str = "g",
    url: str | None = "http://a.example/1",
    title: str = "T",
    summary: str = "S",
    at: datetime = NOW,
    source: str = "F",
    stage: Stage = Stage.NEW,
) -> ArticleIntent:
    """A new article for ``feed_id`` as the pipeline would store it (identity computed)."""
    entry = ParsedEntry(guid, url, title, summary, at, None)
    return ArticleIntent(feed_id, identity_of(entry), url, title, summary, at, at, source, stage)


def rss_items(
    titles: Iterable[str], *, base: str = "https://news.example/"
) -> list[dict[str, str]]:
    """Feed items for ``feedserver.rss``: one per title, linked ``{base}{n}``, guid ``n``."""
    return [
        {"title": title, "link": f"{base}{n}", "guid": str(n)} for n, title in enumerate(titles)
    ]


def acme_wire(root: Path, server: FeedServer, count: int) -> Path:
    """Write the config of one rep (rep@example.com) with one account, Acme, and one feed,
    "Wire", that ``server`` serves with ``count`` items titled "Acme news N"; return its path."""
    items = rss_items([f"Acme news {n}" for n in range(count)], base="https://n.example/")
    url = server.route("/feed", Reply(200, rss(items)))
    return write_config(
        root,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme", "owner": "rep@example.com"}],
    )


def mention(
    account: str,
    *,
    score: float = 0.8,
    reasons: tuple[str, ...] | None = None,
    event: str | None = None,
    shareable: bool = True,
) -> Match:
    """A match as the matcher records a plain mention of ``account``."""
    return Match(account, score, reasons or (f'mentions "{account}"',), event, shareable)


def seed_matches(
    storage: StorageType,
    now: datetime,
    matches_of: Callable[[ArticleToMatch], Match | Sequence[Match] | None],
    *,
    limit: int = 10_000,
) -> list[ArticleToMatch]:
    """Claim the articles waiting for matching and store what ``matches_of`` says for each
    (None: no match); return the claimed articles. Does not embed, score or find stories:
    every article is its own story."""
    claimed = storage.claim_for_matching(now, SEED_OWNER, 60, limit)
    results = []
    for article in claimed:
        found = matches_of(article)
        chosen = (found,) if isinstance(found, Match) else tuple(found or ())
        results.append((article.id, MatchResult(chosen, ())))
    storage.finish_matching(results, SEED_OWNER, now)
    return claimed


#: two accounts, Sam's and Dana's, for tests of whole ``clipper run`` cycles
PAIR_ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]
#: the reps of ``PAIR_ACCOUNTS``
PAIR_REPS = [{"email": "sam@example.com"}, {"email": "dana@example.com"}]
#: feed items (for ``feedserver.rss``): two news items for each of ``PAIR_ACCOUNTS``
PAIR_ITEMS = [
    {
        "title": title,
        "link": f"https://news.example/{n}",
        "guid": f"g{n}",
        "description": f"{title}, the company said on Monday.",
    }
    for n, title in enumerate(
        [
            "Acme Robotics opens a new plant in Ohio",
            "Acme Robotics wins a warehouse automation contract",
            "Northwind Logistics buys a regional trucking firm",
            "Northwind Logistics opens a freight hub in Rotterdam",
        ]
    )
]
