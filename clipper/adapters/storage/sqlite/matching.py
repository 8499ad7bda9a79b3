"""Matching: the embedding cache, match leases, stored matches, stories and feedback.

Does not score anything (``matcher`` and ``logic.matching`` do).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ....types import (
    ArticleToMatch,
    EventKind,
    FeedbackCounts,
    FeedbackText,
    MatchResult,
    StoredMatch,
)
from .base import ConnectionPool, at, chunks, from_db, from_json, to_db, to_json


class MatchingMixin:
    """Embeddings, matches, industries, stories and feedback."""

    pool: ConnectionPool

    def get_embeddings(self, model_key: str, text_keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(text_keys))
        for chunk in chunks(unique):
            marks = ",".join("?" * len(chunk))
            for r in self.pool.read(
                "reading cached embeddings",
                f"SELECT text_key, vec FROM embeddings WHERE model_key = ? "
                f"AND text_key IN ({marks})",
                (model_key, *chunk),
            ):
                found[r["text_key"]] = r["vec"]
        return found

    def put_embeddings(
        self, model_key: str, dim: int, vectors: Sequence[tuple[str, bytes]], now: datetime
    ) -> None:
        stamp = to_db(now)
        with self.pool.write("caching embeddings") as tx:
            tx.executemany(
                "INSERT INTO embeddings (text_key, model_key, dim, vec, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(key, model_key, dim, blob, stamp) for key, blob in vectors],
            )

    def claim_for_matching(
        self, now: datetime, owner: str, lease_s: float, limit: int
    ) -> list[ArticleToMatch]:
        with self.pool.write("claiming articles to match") as tx:
            rows = list(
                tx.execute(
                    """UPDATE articles SET lease_owner = :owner, lease_until = :until
                    WHERE id IN (
                        SELECT id FROM articles WHERE stage = 'new'
                          AND (lease_until IS NULL OR lease_until < :now)
                        ORDER BY published_at LIMIT :limit)
                    RETURNING id, title, summary, full_text, content, feed_id, published_at""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": to_db(now),
                        "limit": limit,
                    },
                )
            )
            industries = {
                r["id"]: r["industry"] for r in tx.execute("SELECT id, industry FROM feeds")
            }
        rows.sort(key=lambda r: r["id"])
        return [
            ArticleToMatch(
                id=r["id"],
                title=r["title"],
                text=r["full_text"] or r["content"] or r["summary"],
                source_industry=industries.get(r["feed_id"]),
                published_at=from_db(r["published_at"]),
            )
            for r in rows
        ]

    def recent_stories(self, since: datetime, limit: int) -> list[tuple[ArticleToMatch, int]]:
        rows = self.pool.read(
            "reading recent stories",
            """SELECT id, title, summary, full_text, content, published_at, story_id
            FROM articles WHERE stage = 'matched' AND story_id IS NOT NULL
              AND published_at >= ? ORDER BY published_at DESC LIMIT ?""",
            (to_db(since), limit),
        )
        return [
            (
                ArticleToMatch(
                    id=r["id"],
                    title=r["title"],
                    text=r["full_text"] or r["content"] or r["summary"],
                    source_industry=None,
                    published_at=from_db(r["published_at"]),
                ),
                r["story_id"],
            )
            for r in rows
        ]

    def finish_matching(
        self,
        results: Sequence[tuple[int, MatchResult]],
        owner: str,
        now: datetime,
        stories: Mapping[int, int] | None = None,
    ) -> int:
        stamp = to_db(now)
        stored = 0
        stories = stories or {}
        with self.pool.write("storing matches") as tx:
            for article_id, result in results:
                cursor = tx.execute(
                    "UPDATE articles SET stage = 'matched', lease_owner = NULL, "
                    "lease_until = NULL, story_id = ? WHERE id = ? AND lease_owner = ?",
                    (stories.get(article_id, article_id), article_id, owner),
                )
                if cursor.rowcount == 0:
                    continue  # lease lost: another worker matches this article
                tx.executemany(
                    "INSERT INTO matches (article_id, account, score, reasons, event, "
                    "shareable, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [
                        (
                            article_id,
                            m.account,
                            m.score,
                            to_json(m.reasons),
                            m.event,
                            int(m.shareable),
                            stamp,
                        )
                        for m in result.matches
                    ],
                )
                tx.executemany(
                    "INSERT INTO article_industries (article_id, industry, score) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [(article_id, i.industry, i.score) for i in result.industries],
                )
                stored += len(result.matches)
        return stored

    def add_feedback(
        self, account: str, article_id: int, kind: str, rep: str | None, now: datetime
    ) -> bool:
        with self.pool.write("recording feedback") as tx:
            cursor = tx.execute(
                "INSERT INTO feedback (account, article_id, kind, rep, created_at) "
                "SELECT ?, id, ?, ?, ? FROM articles WHERE id = ? ON CONFLICT DO NOTHING",
                (account, kind, rep, to_db(now), article_id),
            )
            return cursor.rowcount > 0

    def feedback_texts(self) -> list[FeedbackText]:
        rows = self.pool.read(
            "reading feedback",
            """SELECT f.account, f.kind, a.title, a.summary FROM feedback f
            JOIN articles a ON a.id = f.article_id ORDER BY f.created_at""",
        )
        return [
            FeedbackText(r["account"], r["kind"], f"{r['title']}. {r['summary']}") for r in rows
        ]

    def feedback_counts(self, rep: str, since: datetime, until: datetime) -> FeedbackCounts:
        rows = self.pool.read(
            "counting feedback",
            """SELECT kind, COUNT(*) AS n FROM feedback
            WHERE rep = ? AND created_at >= ? AND created_at < ? GROUP BY kind""",
            (rep, to_db(since), to_db(until)),
        )
        counts = {r["kind"]: int(r["n"]) for r in rows}
        return FeedbackCounts(
            not_relevant=counts.get("not_relevant", 0),
            not_this_company=counts.get("not_this_company", 0),
        )

    def recent_matches(self, *, limit: int = 20) -> list[StoredMatch]:
        """Return the newest matches with their article (for summaries and tests)."""
        rows = self.pool.read(
            "listing matches",
            """SELECT m.article_id, m.account, m.score, m.reasons, m.event, m.shareable,
                      a.title, a.url,
                      a.source, a.published_at
            FROM matches m JOIN articles a ON a.id = m.article_id
            ORDER BY a.published_at DESC, m.score DESC LIMIT ?""",
            (limit,),
        )
        return [_stored_match(r) for r in rows]

    def account_matches(
        self, account: str, *, since: datetime | None = None, limit: int = 10
    ) -> list[StoredMatch]:
        """Return an account's newest matches with their articles."""
        rows = self.pool.read(
            "reading an account's matches",
            """SELECT m.article_id, m.account, m.score, m.reasons, m.event, m.shareable,
                      a.title, a.url, a.source, a.published_at
            FROM matches m JOIN articles a ON a.id = m.article_id
            WHERE m.account = ? AND (? IS NULL OR a.published_at >= ?)
            ORDER BY a.published_at DESC, m.score DESC LIMIT ?""",
            (account, to_db(since), to_db(since), limit),
        )
        return [_stored_match(r) for r in rows]


def _stored_match(r: Any) -> StoredMatch:
    return StoredMatch(
        article_id=r["article_id"],
        account=r["account"],
        score=r["score"],
        reasons=from_json(r["reasons"]),
        event=EventKind(r["event"]) if r["event"] else None,
        shareable=bool(r["shareable"]),
        title=r["title"],
        url=r["url"],
        source=r["source"],
        published_at=at(r["published_at"]),
    )
