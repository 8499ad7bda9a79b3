"""SQLite storage: the embedded default behind ``StorageType``.

WAL mode, one connection per thread, every write in ``BEGIN IMMEDIATE``, named migrations. The
pipeline writes from one thread only (SCALE.md section 5). No SQL lives outside this package.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ...logic.dedupe import KnownArticles
from ...logic.digest import SHARE_CHANNEL, DigestCandidate, MatchingProgress, TouchStatus
from ...logic.urls import host_of
from ...types import (
    ArticleIdentity,
    ArticleIntent,
    ArticleToMatch,
    CachingInfo,
    ComposedDigest,
    DigestKind,
    DigestPart,
    EventKind,
    FeedForUpdate,
    FeedSource,
    FeedStatusRow,
    FeedUpdateIntent,
    KnownArticle,
    MatchResult,
    PageToExtract,
    PartState,
    RepSetting,
    Sink,
    Stage,
    SyncResult,
)
from .base import ConnectionPool, from_db, to_db, to_json, wrap_errors
from .schema import MIGRATIONS

_CHUNK = 500


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


class Storage:
    """``StorageType`` on one SQLite file (or ``:memory:`` for a single-thread test)."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.pool = ConnectionPool(path, busy_timeout_s=busy_timeout_s)

    # ------------------------------------------------------------------ schema

    def migrate(self, *, upto: str | None = None) -> list[str]:
        """Apply pending migrations in order (up to and including ``upto``); return their names."""
        conn = self.pool.get()
        with self.pool.write("creating the migrations table"):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) STRICT"
            )
        applied = {
            r["name"] for r in self.pool.read("reading migrations", "SELECT name FROM _migrations")
        }
        names = [name for name, _sql in MIGRATIONS]
        wanted = MIGRATIONS[: names.index(upto) + 1] if upto is not None else MIGRATIONS
        done: list[str] = []
        for name, sql in wanted:
            if name in applied:
                continue
            with self.pool.write(f"applying migration {name}") as tx:
                for statement in (s for s in sql.split(";") if s.strip()):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, to_db(datetime.now(UTC))),
                )
            done.append(name)
        return done

    def close(self) -> None:
        self.pool.close()

    # ------------------------------------------------------------------ feeds

    def sync_feeds(self, sources: Sequence[FeedSource], now: datetime) -> SyncResult:
        added = updated = deactivated = reactivated = 0
        stamp = to_db(now)
        with self.pool.write("syncing configured feeds") as tx:
            rows = {r["config_url"]: r for r in tx.execute("SELECT * FROM feeds")}
            for src in sources:
                values = (
                    src.name,
                    src.industry,
                    src.account,
                    src.interval_s,
                    src.user_agent,
                    int(src.full_text),
                    to_json(src.tags),
                    str(src.source_type),
                )
                row = rows.pop(src.url, None)
                if row is None:
                    tx.execute(
                        "INSERT INTO feeds (config_url, url, host, name, industry, account, "
                        "interval_s, user_agent, full_text, tags, source_type, next_check_at, "
                        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (src.url, src.url, host_of(src.url), *values, stamp, stamp, stamp),
                    )
                    added += 1
                    continue
                current = (
                    row["name"],
                    row["industry"],
                    row["account"],
                    row["interval_s"],
                    row["user_agent"],
                    row["full_text"],
                    row["tags"],
                    row["source_type"],
                )
                if current != values or not row["active"]:
                    reactivated += 0 if row["active"] else 1
                    updated += 1 if current != values else 0
                    tx.execute(
                        "UPDATE feeds SET name=?, industry=?, account=?, interval_s=?, "
                        "user_agent=?, full_text=?, tags=?, source_type=?, active=1, updated_at=? "
                        "WHERE id=?",
                        (*values, stamp, row["id"]),
                    )
            for row in rows.values():
                if row["active"]:
                    tx.execute(
                        "UPDATE feeds SET active=0, updated_at=? WHERE id=?", (stamp, row["id"])
                    )
                    deactivated += 1
        return SyncResult(added, updated, deactivated, reactivated)

    def claim_feeds(
        self, now: datetime, owner: str, lease_s: float, *, due_only: bool, limit: int
    ) -> list[FeedForUpdate]:
        stamp = to_db(now)
        due = "AND next_check_at <= :now" if due_only else ""
        with self.pool.write("claiming due feeds") as tx:
            rows = list(
                tx.execute(
                    f"""UPDATE feeds SET lease_owner = :owner, lease_until = :until
                    WHERE id IN (
                        SELECT id FROM feeds
                        WHERE active = 1 AND disabled_reason IS NULL
                          AND (lease_until IS NULL OR lease_until < :now)
                          AND (retry_after_until IS NULL OR retry_after_until <= :now)
                          {due}
                        ORDER BY next_check_at LIMIT :limit)
                    RETURNING *""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": stamp,
                        "limit": limit,
                    },
                )
            )
        rows.sort(key=lambda r: r["next_check_at"])
        return [_feed_for_update(r) for r in rows]

    def release_feed(self, feed_id: int, owner: str) -> None:
        with self.pool.write("releasing a feed") as tx:
            tx.execute(
                "UPDATE feeds SET lease_owner=NULL, lease_until=NULL WHERE id=? AND lease_owner=?",
                (feed_id, owner),
            )

    def apply_feed_update(
        self, intent: FeedUpdateIntent, articles: Sequence[ArticleIntent], owner: str
    ) -> int:
        inserted = 0
        with self.pool.write("storing a fetched feed") as tx:
            params: dict[str, Any] = {
                "id": intent.feed_id,
                "owner": owner,
                "status": intent.status.value,
                "http": intent.http_status,
                "checked": to_db(intent.checked_at),
                "next": to_db(intent.next_check_at),
                "etag": intent.caching.etag,
                "lm": intent.caching.last_modified,
                "errors": intent.error_count,
                "first_error": to_db(intent.first_error_at),
                "last_error": intent.last_error,
                "disabled": intent.disabled_reason,
                "baseline": int(intent.baseline_done),
                "retry": to_db(intent.retry_after_until),
                "adaptive": intent.adaptive_interval_s,
                "gap": int(intent.gap),
                "success": int(intent.success),
                "new_url": intent.new_url,
                "new_host": host_of(intent.new_url) if intent.new_url else None,
            }
            cursor = tx.execute(
                """UPDATE feeds SET
                    last_status = :status, last_http_status = :http,
                    last_checked_at = :checked, next_check_at = :next,
                    etag = :etag, last_modified = :lm,
                    error_count = :errors, first_error_at = :first_error,
                    last_error = COALESCE(:last_error, last_error),
                    last_error_at = CASE WHEN :last_error IS NULL THEN last_error_at
                                         ELSE :checked END,
                    disabled_reason = COALESCE(:disabled, disabled_reason),
                    disabled_at = CASE WHEN :disabled IS NULL THEN disabled_at
                                       ELSE :checked END,
                    baseline_done = :baseline, retry_after_until = :retry,
                    adaptive_interval_s = :adaptive,
                    gap_count = gap_count + :gap,
                    last_gap_at = CASE WHEN :gap THEN :checked ELSE last_gap_at END,
                    last_success_at = CASE WHEN :success THEN :checked ELSE last_success_at END,
                    url = COALESCE(:new_url, url), host = COALESCE(:new_host, host),
                    lease_owner = NULL, lease_until = NULL, updated_at = :checked
                WHERE id = :id AND lease_owner = :owner""",
                params,
            )
            if cursor.rowcount == 0:
                return 0  # the lease was lost: another worker owns this feed now
            refreshed = [a for a in articles if a.existing_id is not None]
            tx.executemany(
                "UPDATE articles SET title=?, summary=?, content=COALESCE(?, content), "
                "content_hash=?, updated_at=?, author=COALESCE(?, author), "
                "image=COALESCE(?, image) WHERE id=?",
                [
                    (
                        a.title,
                        a.summary,
                        a.content,
                        a.identity.content_hash,
                        to_db(a.fetched_at),
                        a.author,
                        a.image,
                        a.existing_id,
                    )
                    for a in refreshed
                ],
            )
            before = tx.total_changes
            tx.executemany(
                """INSERT INTO articles (feed_id, guid, guid_hash, url_hash, content_hash,
                    url, title, summary, content, published_at, fetched_at, source, author,
                    categories, image, stage)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING""",
                [
                    (
                        a.feed_id,
                        a.guid,
                        a.identity.guid_hash,
                        a.identity.url_hash,
                        a.identity.content_hash,
                        a.url,
                        a.title,
                        a.summary,
                        a.content,
                        to_db(a.published_at),
                        to_db(a.fetched_at),
                        a.source,
                        a.author,
                        to_json(a.categories),
                        a.image,
                        a.stage.value,
                    )
                    for a in articles
                    if a.existing_id is None
                ],
            )
            inserted = tx.total_changes - before
        return inserted

    def enable_feed(self, url: str, now: datetime) -> bool:
        """Clear a feed's disabled reason and errors so it is polled again now."""
        with self.pool.write("enabling a feed") as tx:
            cursor = tx.execute(
                "UPDATE feeds SET disabled_reason=NULL, disabled_at=NULL, error_count=0, "
                "first_error_at=NULL, retry_after_until=NULL, next_check_at=?, updated_at=? "
                "WHERE config_url=? OR url=?",
                (to_db(now), to_db(now), url, url),
            )
            return cursor.rowcount > 0

    def feed_statuses(self) -> list[FeedStatusRow]:
        rows = self.pool.read(
            "reading feed status",
            """SELECT f.*, (SELECT COUNT(*) FROM articles a WHERE a.feed_id = f.id) AS items
            FROM feeds f ORDER BY f.active DESC, f.industry, f.name""",
        )
        return [
            FeedStatusRow(
                url=r["config_url"],
                name=r["name"],
                industry=r["industry"],
                active=bool(r["active"]),
                last_success_at=from_db(r["last_success_at"]),
                last_checked_at=from_db(r["last_checked_at"]),
                last_error=r["last_error"] if r["error_count"] or r["disabled_reason"] else None,
                error_count=r["error_count"],
                disabled_reason=r["disabled_reason"],
                items=r["items"],
                next_check_at=from_db(r["next_check_at"]),
                redirected_to=r["url"] if r["url"] != r["config_url"] else None,
                gaps=r["gap_count"],
                last_gap_at=from_db(r["last_gap_at"]),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ articles

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
        for start in range(0, size, _CHUNK):
            g, u, c = (keys[start : start + _CHUNK] for keys in (guids, urls, contents))
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

    def get_embeddings(self, model_key: str, text_keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(text_keys))
        for chunk in _chunks(unique):
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

    def feedback_texts(self) -> list[tuple[str, str, str]]:
        rows = self.pool.read(
            "reading feedback",
            """SELECT f.account, f.kind, a.title, a.summary FROM feedback f
            JOIN articles a ON a.id = f.article_id ORDER BY f.created_at""",
        )
        return [(r["account"], r["kind"], f"{r['title']}. {r['summary']}") for r in rows]

    def recent_matches(self, *, limit: int = 20) -> list[dict[str, Any]]:
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
        return [dict(r) for r in rows]

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

    def articles(self, *, limit: int = 50, stage: Stage | None = None) -> list[dict[str, Any]]:
        """Return the newest stored articles as plain rows (for summaries and tests)."""
        where = "WHERE stage = ?" if stage else ""
        params: tuple[Any, ...] = (stage.value,) if stage else ()
        rows = self.pool.read(
            "listing articles",
            f"SELECT * FROM articles {where} ORDER BY published_at DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ digests

    def next_digest_at(self, rep: str) -> datetime | None:
        rows = self.pool.read(
            "reading a rep's schedule",
            "SELECT next_digest_at FROM rep_schedule WHERE rep = ?",
            (rep,),
        )
        return from_db(rows[0]["next_digest_at"]) if rows else None

    def matching_progress(self, fetched_by: datetime, now: datetime) -> MatchingProgress:
        """Count the articles fetched by ``fetched_by`` still waiting for page text (not
        those put off to a later retry) or matching, and the feeds being fetched now."""
        rows = self.pool.read(
            "reading matching progress",
            """SELECT
                (SELECT COUNT(*) FROM articles WHERE fetched_at <= ?1 AND (stage = 'new'
                    OR (stage = 'extract' AND (lease_owner IS NOT NULL OR lease_until IS NULL
                                               OR lease_until <= ?2)))) AS waiting,
                (SELECT COUNT(*) FROM feeds WHERE lease_owner IS NOT NULL
                    AND lease_until > ?2) AS in_flight""",
            (to_db(fetched_by), to_db(now)),
        )
        return MatchingProgress(rows[0]["waiting"], rows[0]["in_flight"])

    def _candidates(
        self, tx: Any, rep: str, accounts: Sequence[str], since: datetime, now: datetime
    ) -> list[DigestCandidate]:
        if not accounts:
            return []
        marks = ",".join("?" * len(accounts))
        rows = tx.execute(
            f"""SELECT m.article_id, m.account, m.score, m.reasons, m.event, m.shareable,
                       a.title, a.url, a.source, a.published_at, a.story_id,
                       (SELECT t.rep FROM touches t WHERE t.account = m.account
                        AND t.article_id = m.article_id AND t.channel = ?
                        ORDER BY t.touched_at LIMIT 1) AS shared_by
                FROM matches m JOIN articles a ON a.id = m.article_id
                WHERE m.account IN ({marks}) AND a.published_at >= ?
                  AND NOT EXISTS (SELECT 1 FROM digest_items d WHERE d.rep = ?
                                  AND d.account = m.account AND d.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.account = m.account
                                  AND f.article_id = m.article_id)
                  AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.rep = ?
                                  AND ((u.kind = 'account' AND u.target = m.account)
                                       OR (u.kind = 'source' AND lower(u.target) = lower(a.source)))
                                  AND (u.until IS NULL OR u.until > ?))""",
            (SHARE_CHANNEL, *accounts, to_db(since), rep, rep, to_db(now)),
        )
        return [
            DigestCandidate(
                article_id=r["article_id"],
                account=r["account"],
                title=r["title"] or "",
                url=r["url"],
                source=r["source"],
                published_at=from_db(r["published_at"]),
                score=r["score"],
                reasons=tuple(json.loads(r["reasons"])),
                event=EventKind(r["event"]) if r["event"] else None,
                shareable=bool(r["shareable"]),
                story_id=r["story_id"],
                shared_by=r["shared_by"],
            )
            for r in rows
        ]

    def digest_candidates(
        self, rep: str, accounts: Sequence[str], since: datetime, now: datetime
    ) -> list[DigestCandidate]:
        """Return the rep's undelivered matches, reading only (previews, alert checks)."""
        with wrap_errors("reading digest candidates"):
            return self._candidates(self.pool.get(), rep, accounts, since, now)

    def create_digest(
        self,
        rep: str,
        kind: DigestKind,
        due_at: datetime,
        now: datetime,
        accounts: Sequence[str],
        since: datetime,
        compose: Callable[[list[DigestCandidate]], ComposedDigest],
        *,
        expected_next: datetime | None = None,
        scheduled: bool = False,
    ) -> int | None:
        """Compose and queue one digest in one transaction; return its id, or None when another
        process already made it (or it had nothing to say). ``compose`` must be pure and quick:
        it runs under the write lock."""
        with self.pool.write("creating a digest") as tx:
            if scheduled:
                row = tx.execute(
                    "SELECT next_digest_at FROM rep_schedule WHERE rep = ?", (rep,)
                ).fetchone()
                current = row["next_digest_at"] if row is not None else None
                if current != to_db(expected_next):
                    return None  # another scheduler got here first
            if tx.execute(
                "SELECT 1 FROM digests WHERE rep = ? AND kind = ? AND due_at = ?",
                (rep, kind, to_db(due_at)),
            ).fetchone():
                return None
            composed = compose(self._candidates(tx, rep, accounts, since, now))
            if composed.next_due is not None:
                tx.execute(
                    """INSERT INTO rep_schedule (rep, next_digest_at, last_digest_at)
                    VALUES (?, ?, ?)
                    ON CONFLICT (rep) DO UPDATE SET next_digest_at = excluded.next_digest_at,
                        last_digest_at = excluded.last_digest_at""",
                    (rep, to_db(composed.next_due), to_db(now)),
                )
            if not composed.parts:
                return None
            digest_id = int(
                tx.execute(
                    """INSERT INTO digests (rep, kind, due_at, created_at, sink, items)
                    VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
                    (
                        rep,
                        kind,
                        to_db(due_at),
                        to_db(now),
                        composed.sink,
                        sum(1 for c in composed.covered if c[2]),
                    ),
                ).fetchone()[0]
            )
            tx.executemany(
                """INSERT OR IGNORE INTO digest_items (rep, account, article_id, digest_id, shown)
                VALUES (?, ?, ?, ?, ?)""",
                [
                    (rep, account, aid, digest_id, int(shown))
                    for aid, account, shown in composed.covered
                ],
            )
            tx.executemany(
                """INSERT INTO digest_parts (digest_id, part, parts, text, payload)
                VALUES (?, ?, ?, ?, ?)""",
                [
                    (digest_id, n, len(composed.parts), text, payload)
                    for n, (text, payload) in enumerate(composed.parts, start=1)
                ],
            )
        return digest_id

    def claim_parts(
        self, now: datetime, owner: str, lease_s: float, limit: int, rep: str | None = None
    ) -> list[DigestPart]:
        """Lease the next deliverable part of each digest (earlier parts all sent), in digest
        order, at most ``limit`` of them (0: all)."""
        with self.pool.write("claiming digest parts") as tx:
            rows = list(
                tx.execute(
                    """UPDATE digest_parts SET lease_owner = :owner, lease_until = :until,
                        state = 'sending', first_claimed_at = COALESCE(first_claimed_at, :now)
                    WHERE (digest_id, part) IN (
                        SELECT p.digest_id, p.part FROM digest_parts p
                        JOIN (SELECT q.digest_id, MIN(q.part) AS part FROM digest_parts q
                              JOIN digests d ON d.id = q.digest_id
                              WHERE q.state IN ('pending', 'sending')
                                AND (:rep IS NULL OR d.rep = :rep)
                              GROUP BY q.digest_id) first_unsent
                          ON first_unsent.digest_id = p.digest_id
                         AND first_unsent.part = p.part
                        WHERE (p.lease_until IS NULL OR p.lease_until < :now)
                          AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= :now)
                        ORDER BY p.digest_id LIMIT :limit)
                    RETURNING digest_id, part, parts, text, payload, attempts,
                        first_claimed_at, channel""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": to_db(now),
                        "rep": rep,
                        "limit": limit or -1,
                    },
                )
            )
            if not rows:
                return []
            ids = sorted({r["digest_id"] for r in rows})
            marks = ",".join("?" * len(ids))
            digests = {
                d["id"]: d
                for d in tx.execute(
                    f"SELECT id, rep, kind, sink FROM digests WHERE id IN ({marks})", ids
                )
            }
        return [
            DigestPart(
                digest_id=r["digest_id"],
                part=r["part"],
                parts=r["parts"],
                rep=digests[r["digest_id"]]["rep"],
                kind=DigestKind(digests[r["digest_id"]]["kind"]),
                sink=Sink(digests[r["digest_id"]]["sink"]),
                text=r["text"],
                payload=r["payload"],
                attempts=r["attempts"],
                first_claimed_at=from_db(r["first_claimed_at"]),
                channel=r["channel"],
            )
            for r in sorted(rows, key=lambda r: (r["digest_id"], r["part"]))
        ]

    def release_part(self, digest_id: int, part: int, owner: str) -> None:
        with self.pool.write("releasing a digest part") as tx:
            tx.execute(
                """UPDATE digest_parts SET lease_owner = NULL, lease_until = NULL
                WHERE digest_id = ? AND part = ? AND lease_owner = ?""",
                (digest_id, part, owner),
            )

    def renew_part(
        self, digest_id: int, part: int, owner: str, now: datetime, lease_s: float
    ) -> bool:
        """Extend our lease on a part being sent to ``now + lease_s``; False when another
        deliverer holds it, or it is no longer being sent (then it must not be posted)."""
        with self.pool.write("renewing a digest part's lease") as tx:
            done = tx.execute(
                """UPDATE digest_parts SET lease_until = ?
                WHERE digest_id = ? AND part = ? AND lease_owner = ? AND state = 'sending'""",
                (to_db(now + timedelta(seconds=lease_s)), digest_id, part, owner),
            ).rowcount
        return bool(done)

    def finish_part(
        self,
        digest_id: int,
        part: int,
        owner: str,
        now: datetime,
        *,
        state: PartState,
        attempts: int,
        channel: str | None = None,
        slack_ts: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record a delivery outcome, fenced by the lease; return False when the lease was lost."""
        with self.pool.write("recording a digest part") as tx:
            done = tx.execute(
                """UPDATE digest_parts SET state = ?, attempts = ?, channel = COALESCE(?, channel),
                    slack_ts = COALESCE(?, slack_ts), last_error = ?, next_attempt_at = ?,
                    sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END,
                    lease_owner = NULL, lease_until = NULL
                WHERE digest_id = ? AND part = ? AND lease_owner = ?""",
                (
                    state,
                    attempts,
                    channel,
                    slack_ts,
                    error,
                    to_db(next_attempt_at),
                    state,
                    to_db(now),
                    digest_id,
                    part,
                    owner,
                ),
            ).rowcount
        return bool(done)

    def hold_rep_parts(self, rep: str, error: str, until: datetime) -> None:
        """Put a rep's undelivered parts off until ``until`` with the reason."""
        with self.pool.write("holding a rep's digest parts") as tx:
            tx.execute(
                """UPDATE digest_parts SET last_error = ?, next_attempt_at = ?,
                    lease_owner = NULL, lease_until = NULL
                WHERE state IN ('pending', 'sending')
                  AND digest_id IN (SELECT id FROM digests WHERE rep = ?)""",
                (error, to_db(until), rep),
            )

    def digest_parts(self, rep: str | None = None) -> list[dict[str, Any]]:
        """Return every digest part with its state (for reports and tests)."""
        rows = self.pool.read(
            "listing digest parts",
            """SELECT d.rep, d.kind, d.due_at, d.sink, p.* FROM digest_parts p
            JOIN digests d ON d.id = p.digest_id
            WHERE (? IS NULL OR d.rep = ?) ORDER BY p.digest_id, p.part""",
            (rep, rep),
        )
        return [dict(r) for r in rows]

    def slack_user(self, email: str) -> tuple[str, str | None] | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT user_id, channel_id FROM slack_users WHERE email = ?",
            (email,),
        )
        return (rows[0]["user_id"], rows[0]["channel_id"]) if rows else None

    def put_slack_user(
        self,
        email: str,
        user_id: str,
        channel_id: str | None,
        now: datetime,
        timezone: str | None = None,
    ) -> None:
        with self.pool.write("caching a Slack user") as tx:
            tx.execute(
                """INSERT INTO slack_users (email, user_id, channel_id, timezone, checked_at)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET
                    user_id = excluded.user_id,
                    channel_id = COALESCE(excluded.channel_id, channel_id),
                    timezone = COALESCE(excluded.timezone, timezone),
                    checked_at = excluded.checked_at""",
                (email, user_id, channel_id, timezone, to_db(now)),
            )

    def slack_timezone(self, email: str) -> str | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT timezone FROM slack_users WHERE email = ?",
            (email,),
        )
        return rows[0]["timezone"] if rows else None

    def touch_statuses(
        self, accounts: Sequence[str], quarter_start: datetime, target: int
    ) -> dict[str, TouchStatus]:
        """Return each account's touches since ``quarter_start`` and its last touch ever."""
        if not accounts:
            return {}
        marks = ",".join("?" * len(accounts))
        rows = self.pool.read(
            "reading touches",
            f"""SELECT account, SUM(touched_at >= ?) AS recent, MAX(touched_at) AS last
            FROM touches WHERE account IN ({marks}) GROUP BY account""",
            (to_db(quarter_start), *accounts),
        )
        found = {r["account"]: (int(r["recent"] or 0), from_db(r["last"])) for r in rows}
        return {
            account: TouchStatus(
                found.get(account, (0, None))[0], target, found.get(account, (0, None))[1]
            )
            for account in accounts
        }

    def add_touch(
        self,
        rep: str,
        account: str,
        channel: str,
        touched_at: datetime,
        *,
        article_id: int | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> bool:
        """Log a customer touch; return False when ``idempotency_key`` was logged before."""
        with self.pool.write("logging a touch") as tx:
            done = tx.execute(
                """INSERT OR IGNORE INTO touches
                (rep, account, article_id, channel, note, touched_at, idempotency_key)
                VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (rep, account, article_id, channel, note, to_db(touched_at), idempotency_key),
            ).rowcount
        return bool(done)

    # ------------------------------------------------------------------ the Slack app

    def remember_request(self, key: str, now: datetime) -> bool:
        """Record a Slack request key; return False when it was seen before (a replay)."""
        with self.pool.write("recording a Slack request") as tx:
            tx.execute(
                "DELETE FROM slack_requests WHERE received_at < ?",
                (to_db(now - timedelta(days=1)),),
            )
            done = tx.execute(
                "INSERT OR IGNORE INTO slack_requests (key, received_at) VALUES (?, ?)",
                (key, to_db(now)),
            ).rowcount
        return bool(done)

    def add_watch_term(self, rep: str, account: str, term: str, now: datetime) -> bool:
        """Store a rep's watch term on an account; False when it was there already."""
        with self.pool.write("adding a watch term") as tx:
            done = tx.execute(
                """INSERT OR IGNORE INTO watch_terms (rep, account, term, created_at)
                VALUES (?, ?, ?, ?)""",
                (rep, account, term, to_db(now)),
            ).rowcount
        return bool(done)

    def remove_watch_term(self, rep: str, term: str) -> int:
        """Remove a rep's term (any account, case-insensitive); return how many were removed."""
        with self.pool.write("removing a watch term") as tx:
            return int(
                tx.execute(
                    "DELETE FROM watch_terms WHERE rep = ? AND lower(term) = lower(?)",
                    (rep, term),
                ).rowcount
            )

    def watch_terms(self, rep: str | None = None) -> list[tuple[str, str, str]]:
        """Return (rep, account, term) for stored watch terms, a rep's or everyone's."""
        rows = self.pool.read(
            "reading watch terms",
            """SELECT rep, account, term FROM watch_terms WHERE (? IS NULL OR rep = ?)
            ORDER BY account, term""",
            (rep, rep),
        )
        return [(r["rep"], r["account"], r["term"]) for r in rows]

    def watch_terms_version(self) -> int:
        rows = self.pool.read(
            "reading watch terms", "SELECT COUNT(*) AS n, MAX(id) AS top FROM watch_terms"
        )
        return int(rows[0]["n"] or 0) * 1_000_003 + int(rows[0]["top"] or 0)

    def set_mute(
        self, rep: str, kind: str, target: str, until: datetime | None, now: datetime
    ) -> None:
        with self.pool.write("muting") as tx:
            tx.execute(
                """INSERT INTO mutes (rep, kind, target, until, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (rep, kind, target) DO UPDATE SET until = excluded.until""",
                (rep, kind, target, to_db(until), to_db(now)),
            )

    def remove_mutes(self, rep: str, target: str | None = None) -> int:
        with self.pool.write("unmuting") as tx:
            return int(
                tx.execute(
                    """DELETE FROM mutes WHERE rep = ?
                    AND (? IS NULL OR lower(target) = lower(?))""",
                    (rep, target, target),
                ).rowcount
            )

    def mutes(self, rep: str, now: datetime) -> list[tuple[str, str, datetime | None]]:
        """Return (kind, target, until) for the rep's mutes still in force."""
        rows = self.pool.read(
            "reading mutes",
            """SELECT kind, target, until FROM mutes WHERE rep = ?
            AND (until IS NULL OR until > ?) ORDER BY kind, target""",
            (rep, to_db(now)),
        )
        return [(r["kind"], r["target"], from_db(r["until"])) for r in rows]

    def rep_settings(self, rep: str) -> dict[str, str | None]:
        rows = self.pool.read(
            "reading rep settings",
            "SELECT digest_time, timezone, quiet_hours FROM rep_settings WHERE rep = ?",
            (rep,),
        )
        return dict(rows[0]) if rows else {}

    def put_rep_setting(self, rep: str, name: RepSetting, value: str, now: datetime) -> None:
        column = RepSetting(name).value  # the enum's values are the columns
        with self.pool.write("saving a rep setting") as tx:
            tx.execute(
                f"""INSERT INTO rep_settings (rep, {column}, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (rep) DO UPDATE SET {column} = excluded.{column},
                    updated_at = excluded.updated_at""",
                (rep, value, to_db(now)),
            )
            # the next digest follows the new schedule
            tx.execute("DELETE FROM rep_schedule WHERE rep = ? AND last_digest_at IS NULL", (rep,))

    def reschedule(self, rep: str, next_digest_at: datetime) -> None:
        with self.pool.write("rescheduling a rep") as tx:
            tx.execute(
                "UPDATE rep_schedule SET next_digest_at = ? WHERE rep = ?",
                (to_db(next_digest_at), rep),
            )

    def shared(self, account: str, article_id: int) -> tuple[str, datetime] | None:
        """Return (rep, when) if the article was already shared with the account's customer."""
        rows = self.pool.read(
            "reading touches",
            """SELECT rep, touched_at FROM touches WHERE account = ? AND article_id = ?
            AND channel = ? ORDER BY touched_at LIMIT 1""",
            (account, article_id, SHARE_CHANNEL),
        )
        if not rows:
            return None
        when = from_db(rows[0]["touched_at"])
        assert when is not None  # NOT NULL column
        return rows[0]["rep"], when

    def article(self, article_id: int) -> dict[str, Any] | None:
        rows = self.pool.read(
            "reading an article",
            "SELECT id, title, url, source, published_at, summary FROM articles WHERE id = ?",
            (article_id,),
        )
        return dict(rows[0]) if rows else None

    def account_matches(
        self, account: str, *, since: datetime | None = None, limit: int = 10
    ) -> list[dict[str, Any]]:
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
        return [dict(r) for r in rows]

    def recent_articles(self, since: datetime, limit: int = 5000) -> list[dict[str, Any]]:
        """Return articles published since ``since`` (title and summary), newest first."""
        rows = self.pool.read(
            "reading recent articles",
            """SELECT id, title, summary, url, source, published_at FROM articles
            WHERE published_at >= ? AND stage != 'baseline'
            ORDER BY published_at DESC LIMIT ?""",
            (to_db(since), limit),
        )
        return [dict(r) for r in rows]

    def email_of_slack_user(self, user_id: str) -> str | None:
        rows = self.pool.read(
            "reading the Slack user cache",
            "SELECT email FROM slack_users WHERE user_id = ?",
            (user_id,),
        )
        return rows[0]["email"] if rows else None

    def sources(self) -> list[str]:
        """Return the distinct article sources (feed and outlet names)."""
        rows = self.pool.read(
            "reading sources", "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"
        )
        return [r["source"] for r in rows]


def _known(row: Any) -> KnownArticle:
    return KnownArticle(
        id=row["id"],
        feed_id=row["feed_id"],
        identity=ArticleIdentity(row["guid_hash"], row["url_hash"], row["content_hash"]),
    )


def _feed_for_update(r: Any) -> FeedForUpdate:
    return FeedForUpdate(
        id=r["id"],
        config_url=r["config_url"],
        url=r["url"],
        name=r["name"],
        industry=r["industry"],
        caching=CachingInfo(r["etag"], r["last_modified"]),
        error_count=r["error_count"],
        first_error_at=from_db(r["first_error_at"]),
        baseline_done=bool(r["baseline_done"]),
        interval_s=r["interval_s"],
        user_agent=r["user_agent"],
        full_text=bool(r["full_text"]),
        last_success_at=from_db(r["last_success_at"]),
        adaptive_interval_s=r["adaptive_interval_s"],
        source_type=r["source_type"],
    )
