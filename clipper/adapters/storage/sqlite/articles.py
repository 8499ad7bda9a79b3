"""Articles: identity lookups, page extraction leases, and read-only listings.

Does not match or compose anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ....logic.dedupe import KnownArticles
from ....types import (
    Article,
    ArticleBrief,
    ArticleIdentity,
    IndustryArticle,
    KnownArticle,
    PageToExtract,
    Stage,
)
from .base import CHUNK, ConnectionPool, at, from_json, to_db


class ArticlesMixin:
    """Articles table: known identities, pages to extract, listings."""

    pool: ConnectionPool

    def known_articles(self, feed_id: int, identities: Sequence[ArticleIdentity]) -> KnownArticles:
        guids = list({i.guid_hash for i in identities if i.guid_hash})
        urls = list({i.url_hash for i in identities if i.url_hash})
        contents = list({i.content_hash for i in identities})
        by_guid: dict[str, KnownArticle] = {}
        by_url: dict[str, KnownArticle] = {}
        by_content: dict[str, list[KnownArticle]] = {}
        columns = "id, feed_id, guid_hash, url_hash, content_hash"
        # one round trip for all three keys (chunked to stay under SQLite's variable limit)
        size = max(len(guids), len(urls), len(contents))
        for start in range(0, size, CHUNK):
            g, u, c = (keys[start : start + CHUNK] for keys in (guids, urls, contents))
            sql = f"""
                SELECT 'g' AS kind, {columns} FROM articles
                    WHERE feed_id = ? AND guid_hash IN ({",".join("?" * len(g)) or "NULL"})
                UNION ALL SELECT 'u', {columns} FROM articles
                    WHERE url_hash IN ({",".join("?" * len(u)) or "NULL"})
                UNION ALL SELECT 'c', {columns} FROM articles
                    WHERE feed_id = ? AND content_hash IN ({",".join("?" * len(c)) or "NULL"})"""
            for r in self.pool.read(
                "looking up known articles", sql, (feed_id, *g, *u, feed_id, *c)
            ):
                if r["kind"] == "g":
                    by_guid[r["guid_hash"]] = _known(r)
                elif r["kind"] == "u":
                    by_url[r["url_hash"]] = _known(r)
                else:
                    by_content.setdefault(r["content_hash"], []).append(_known(r))
        return KnownArticles(by_guid=by_guid, by_url=by_url, by_content=by_content)

    def claim_pages(
        self, now: datetime, owner: str, lease_s: float, limit: int
    ) -> list[PageToExtract]:
        with self.pool.write("claiming pages to extract") as tx:
            rows = list(
                tx.execute(
                    """UPDATE articles SET lease_owner = :owner, lease_until = :until,
                        extract_attempts = extract_attempts + 1
                    WHERE id IN (
                        SELECT id FROM articles WHERE stage = 'extract'
                          AND (lease_until IS NULL OR lease_until < :now)
                        ORDER BY published_at DESC LIMIT :limit)
                    RETURNING id, url, feed_id, extract_attempts""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": to_db(now),
                        "limit": limit,
                    },
                )
            )
            agents = {
                r["id"]: r["user_agent"]
                for r in tx.execute("SELECT id, user_agent FROM feeds WHERE user_agent IS NOT NULL")
            }
        return [
            PageToExtract(r["id"], r["url"], agents.get(r["feed_id"]), r["extract_attempts"])
            for r in rows
        ]

    def finish_page(
        self,
        article_id: int,
        owner: str,
        *,
        text: str | None,
        error: str | None,
        next_stage: Stage,
        retry_at: datetime | None = None,
    ) -> None:
        with self.pool.write("storing extracted text") as tx:
            tx.execute(
                "UPDATE articles SET full_text = COALESCE(?, full_text), extract_error = ?, "
                "stage = ?, lease_owner = NULL, lease_until = ? "
                "WHERE id = ? AND lease_owner = ?",
                (text, error, next_stage.value, to_db(retry_at), article_id, owner),
            )

    def count_articles(self, stage: Stage | None = None) -> int:
        if stage is None:
            rows = self.pool.read("counting articles", "SELECT COUNT(*) AS n FROM articles")
        else:
            rows = self.pool.read(
                "counting articles",
                "SELECT COUNT(*) AS n FROM articles WHERE stage = ?",
                (stage.value,),
            )
        return int(rows[0]["n"])

    def articles(self, *, limit: int = 50, stage: Stage | None = None) -> list[Article]:
        """Return the newest stored articles, newest first (for summaries and tests)."""
        where = "WHERE stage = ?" if stage else ""
        params: tuple[Any, ...] = (stage.value,) if stage else ()
        rows = self.pool.read(
            "listing articles",
            f"SELECT * FROM articles {where} ORDER BY published_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            Article(
                id=r["id"],
                feed_id=r["feed_id"],
                url=r["url"],
                title=r["title"],
                summary=r["summary"],
                published_at=at(r["published_at"]),
                fetched_at=at(r["fetched_at"]),
                source=r["source"],
                stage=Stage(r["stage"]),
                full_text=r["full_text"],
                image=r["image"],
                author=r["author"],
                categories=from_json(r["categories"]),
                extract_error=r["extract_error"],
                story_id=r["story_id"],
            )
            for r in rows
        ]

    def article(self, article_id: int) -> ArticleBrief | None:
        """Return one article's headline facts, or None when no article has this id."""
        rows = self.pool.read(
            "reading an article",
            "SELECT id, title, url, source, published_at, summary FROM articles WHERE id = ?",
            (article_id,),
        )
        return _brief(rows[0]) if rows else None

    def recent_articles(self, since: datetime, limit: int = 5000) -> list[ArticleBrief]:
        """Return articles published since ``since`` (title and summary), newest first."""
        rows = self.pool.read(
            "reading recent articles",
            """SELECT id, title, summary, url, source, published_at FROM articles
            WHERE published_at >= ? AND stage != 'baseline'
            ORDER BY published_at DESC LIMIT ?""",
            (to_db(since), limit),
        )
        return [_brief(r) for r in rows]

    def sources(self) -> list[str]:
        """Return the distinct article sources (feed and outlet names)."""
        rows = self.pool.read(
            "reading sources", "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"
        )
        return [r["source"] for r in rows]

    def industry_articles(
        self, industry: str, since: datetime, until: datetime, limit: int = 500
    ) -> list[IndustryArticle]:
        """Return the articles of ``industry`` (case-insensitive) published in
        ``[since, until)``, best score first; silently stored (baseline) ones are left out."""
        rows = self.pool.read(
            "reading an industry's articles",
            """SELECT a.id, a.title, a.summary, a.url, a.source, a.published_at, i.industry,
                      i.score, COALESCE(a.story_id, a.id) AS story
            FROM article_industries i JOIN articles a ON a.id = i.article_id
            WHERE lower(i.industry) = lower(?) AND a.published_at >= ? AND a.published_at < ?
              AND a.stage != 'baseline'
            ORDER BY i.score DESC, a.published_at DESC LIMIT ?""",
            (industry, to_db(since), to_db(until), limit),
        )
        return [
            IndustryArticle(_brief(r), r["industry"], float(r["score"]), int(r["story"]))
            for r in rows
        ]


def _known(row: Any) -> KnownArticle:
    return KnownArticle(
        id=row["id"],
        feed_id=row["feed_id"],
        identity=ArticleIdentity(row["guid_hash"], row["url_hash"], row["content_hash"]),
    )


def _brief(r: Any) -> ArticleBrief:
    return ArticleBrief(
        id=r["id"],
        title=r["title"],
        url=r["url"],
        source=r["source"],
        published_at=at(r["published_at"]),
        summary=r["summary"],
    )
