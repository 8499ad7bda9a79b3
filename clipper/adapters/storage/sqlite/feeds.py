"""Feeds: the configured catalog, leases on due feeds, and each fetch's result.

``apply_feed_update`` also inserts the fetched articles: a feed's state and its items are one
transaction. Does not decide anything (``logic.feedstate`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ....logic.urls import host_of
from ....types import (
    ArticleIntent,
    CachingInfo,
    FeedForUpdate,
    FeedSource,
    FeedStatusRow,
    FeedUpdateIntent,
    SyncResult,
)
from .base import ConnectionPool, from_db, to_db, to_json


class FeedsMixin:
    """Feeds table: sync, claim, update, enable, report."""

    pool: ConnectionPool

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
                    float(src.weight),
                )
                row = rows.pop(src.url, None)
                if row is None:
                    tx.execute(
                        "INSERT INTO feeds (config_url, url, host, name, industry, account, "
                        "interval_s, user_agent, full_text, tags, source_type, weight, "
                        "next_check_at, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    row["weight"],
                )
                if current != values or not row["active"]:
                    reactivated += 0 if row["active"] else 1
                    updated += 1 if current != values else 0
                    tx.execute(
                        "UPDATE feeds SET name=?, industry=?, account=?, interval_s=?, "
                        "user_agent=?, full_text=?, tags=?, source_type=?, weight=?, active=1, "
                        "updated_at=? "
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
