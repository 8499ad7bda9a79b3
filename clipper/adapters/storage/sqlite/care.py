"""Looking after the database (migration ``0023_care``): what the feed-health report reads,
once-a-day jobs, retention, online backup and VACUUM.

Does not decide which feeds are unhealthy (``logic.feedhealth``) or how old is too old
(``logic.retention`` gives the cut-off times).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ....exceptions import StorageBusyError, StorageError
from ....logic.retention import backup_scratch_path
from ....types import (
    AdminMessage,
    BackupResult,
    DigestKind,
    FeedHealthRow,
    PruneCounts,
    Sink,
    VacuumResult,
)
from .base import ConnectionPool, at, from_db, to_db, wrap_errors

#: articles an operator or a pending message still needs, whatever their age: a touch (a
#: share, a logged contact), a feedback mark, a "useful" mark, a message not yet delivered
_NEEDED = """
    SELECT article_id FROM touches WHERE article_id IS NOT NULL
    UNION SELECT article_id FROM share_useful
    UNION SELECT article_id FROM feedback
    UNION SELECT i.article_id FROM digest_items i
        JOIN digest_parts p ON p.digest_id = i.digest_id
        WHERE p.state IN ('pending', 'sending')
    UNION SELECT i.article_id FROM digest_industry_items i
        JOIN digest_parts p ON p.digest_id = i.digest_id
        WHERE p.state IN ('pending', 'sending')
"""

#: finished digest parts and touch webhook rows, before a cut-off time
_DONE_PARTS = (
    "FROM digest_parts WHERE state IN ('sent', 'failed') "
    "AND COALESCE(sent_at, next_attempt_at, first_claimed_at) < ?"
)
_DONE_WEBHOOK = "FROM touch_webhook WHERE COALESCE(delivered_at, skipped_at, gave_up_at) < ?"

#: rows deleted per transaction
PRUNE_BATCH = 2000

#: how long ``vacuum`` waits for other connections before saying it needs exclusive access
VACUUM_WAIT_S = 2.0


def _files_size(path: str) -> int:
    """Return the size of the database file and its WAL."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


class CareMixin:
    """Feed health, daily jobs, retention, backup and vacuum."""

    pool: ConnectionPool

    def feed_health_rows(self) -> list[FeedHealthRow]:
        rows = self.pool.read(
            "reading feed health",
            """SELECT f.*, (SELECT MAX(a.fetched_at) FROM articles a WHERE a.feed_id = f.id)
                AS last_new_at
            FROM feeds f ORDER BY f.name, f.config_url""",
        )
        return [
            FeedHealthRow(
                url=r["config_url"],
                current_url=r["url"],
                name=r["name"],
                active=bool(r["active"]),
                error_count=r["error_count"],
                first_error_at=from_db(r["first_error_at"]),
                last_error=r["last_error"],
                last_error_at=from_db(r["last_error_at"]),
                disabled_reason=r["disabled_reason"],
                disabled_at=from_db(r["disabled_at"]),
                last_success_at=from_db(r["last_success_at"]),
                last_new_at=from_db(r["last_new_at"]),
                created_at=at(r["created_at"]),
                gaps=r["gap_count"],
                last_gap_at=from_db(r["last_gap_at"]),
                interval_s=r["interval_s"],
                adaptive_interval_s=r["adaptive_interval_s"],
            )
            for r in rows
        ]

    def daily_job_done(self, job: str, due_at: datetime) -> bool:
        rows = self.pool.read(
            "reading daily jobs",
            "SELECT 1 FROM daily_jobs WHERE job = ? AND due_at >= ?",
            (job, to_db(due_at)),
        )
        return bool(rows)

    def record_daily_job(
        self,
        job: str,
        due_at: datetime,
        now: datetime,
        messages: Sequence[AdminMessage] = (),
        *,
        kind: DigestKind = DigestKind.FEED_HEALTH,
    ) -> bool:
        """Record ``job`` as done for ``due_at`` and queue its Slack ``messages`` in the outbox,
        in one transaction; False (nothing queued) when it was recorded already."""
        with self.pool.write("recording a daily job") as tx:
            cursor = tx.execute(
                "INSERT INTO daily_jobs (job, due_at, done_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (job, to_db(due_at), to_db(now)),
            )
            if cursor.rowcount == 0:
                return False
            for message in messages:
                digest = tx.execute(
                    """INSERT INTO digests (rep, kind, due_at, created_at, sink, items)
                    VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING RETURNING id""",
                    (message.recipient, kind, to_db(due_at), to_db(now), Sink.SLACK),
                ).fetchone()
                if digest is None:
                    continue
                tx.executemany(
                    """INSERT INTO digest_parts (digest_id, part, parts, text, payload, channel)
                    VALUES (?, ?, ?, ?, ?, ?)""",
                    [
                        (digest[0], n, len(message.parts), text, payload, message.channel)
                        for n, (text, payload) in enumerate(message.parts, start=1)
                    ],
                )
        return True

    def prune(
        self,
        articles_before: datetime | None,
        outbox_before: datetime | None,
        *,
        dry_run: bool = False,
    ) -> PruneCounts:
        counted = self._prune_counts(articles_before, outbox_before)
        if dry_run:
            return counted
        articles = matches = embeddings = parts = webhook = 0
        if articles_before is not None:
            cutoff = to_db(articles_before)
            while True:  # in batches: `clipper run`'s other writers wait one batch at most
                done, matched = self._prune_articles(cutoff)
                articles += done
                matches += matched
                if done < PRUNE_BATCH:
                    break
            embeddings = self._delete_batches(
                "embeddings",
                "DELETE FROM embeddings WHERE (text_key, model_key) IN (SELECT text_key, "
                "model_key FROM embeddings WHERE created_at < ? LIMIT ?)",
                cutoff,
            )
        if outbox_before is not None:
            cutoff = to_db(outbox_before)
            parts = self._delete_batches(
                "digest messages",
                f"DELETE FROM digest_parts WHERE (digest_id, part) IN "
                f"(SELECT digest_id, part {_DONE_PARTS} LIMIT ?)",
                cutoff,
            )
            webhook = self._delete_batches(
                "webhook rows",
                f"DELETE FROM touch_webhook WHERE touch_id IN (SELECT touch_id {_DONE_WEBHOOK} "
                "LIMIT ?)",
                cutoff,
            )
        return PruneCounts(articles, matches, embeddings, parts, webhook, counted.kept_articles)

    def _prune_counts(
        self, articles_before: datetime | None, outbox_before: datetime | None
    ) -> PruneCounts:
        """Count what ``prune`` would delete now."""
        articles = matches = embeddings = kept = parts = webhook = 0
        if articles_before is not None:
            cutoff = to_db(articles_before)
            old = f"SELECT id FROM articles WHERE fetched_at < ? AND id NOT IN ({_NEEDED})"
            (row,) = self.pool.read(
                "counting old rows",
                f"""SELECT
                    (SELECT COUNT(*) FROM articles WHERE fetched_at < ?) AS old,
                    (SELECT COUNT(*) FROM ({old})) AS articles,
                    (SELECT COUNT(*) FROM matches WHERE article_id IN ({old})) AS matches,
                    (SELECT COUNT(*) FROM embeddings WHERE created_at < ?) AS embeddings""",
                (cutoff,) * 4,
            )
            articles, matches, embeddings = row["articles"], row["matches"], row["embeddings"]
            kept = row["old"] - articles
        if outbox_before is not None:
            cutoff = to_db(outbox_before)
            (row,) = self.pool.read(
                "counting old rows",
                f"SELECT (SELECT COUNT(*) {_DONE_PARTS}) AS parts, "
                f"(SELECT COUNT(*) {_DONE_WEBHOOK}) AS webhook",
                (cutoff, cutoff),
            )
            parts, webhook = row["parts"], row["webhook"]
        return PruneCounts(articles, matches, embeddings, parts, webhook, kept)

    def _prune_articles(self, cutoff: str | None) -> tuple[int, int]:
        """Delete one batch of old, unneeded articles and their rows; return (articles,
        matches) deleted."""
        with self.pool.write("pruning old articles") as tx:
            tx.execute("CREATE TEMP TABLE IF NOT EXISTS prune_articles (id INTEGER PRIMARY KEY)")
            tx.execute("DELETE FROM prune_articles")
            tx.execute(
                f"""INSERT INTO prune_articles (id)
                SELECT id FROM articles WHERE fetched_at < ? AND id NOT IN ({_NEEDED})
                LIMIT ?""",
                (cutoff, PRUNE_BATCH),
            )
            matches = 0
            for table in ("matches", "article_industries", "digest_items", "digest_industry_items"):
                cursor = tx.execute(
                    f"DELETE FROM {table} WHERE article_id IN (SELECT id FROM prune_articles)"
                )
                matches += cursor.rowcount if table == "matches" else 0
            cursor = tx.execute("DELETE FROM articles WHERE id IN (SELECT id FROM prune_articles)")
            tx.execute("DELETE FROM prune_articles")
            return cursor.rowcount, matches

    def _delete_batches(self, what: str, sql: str, cutoff: str | None) -> int:
        """Run ``sql`` (a DELETE of at most ``LIMIT ?`` rows before a cut-off) until it
        deletes less than a batch; return how many rows it deleted."""
        deleted = 0
        while True:
            with self.pool.write(f"pruning old {what}") as tx:
                count = tx.execute(sql, (cutoff, PRUNE_BATCH)).rowcount
            deleted += count
            if count < PRUNE_BATCH:
                return deleted

    def backup(self, path: Path, *, force: bool = False) -> BackupResult:
        """Copy the database to ``path`` with SQLite's online backup (pages copied while
        other connections write), then check the copy (``PRAGMA integrity_check``).

        Raises:
            StorageError: ``path`` exists (without ``force``), cannot be written, or the copy
                fails its check (the bad copy is removed).
        """
        target = Path(path)
        if target.resolve() == Path(self.pool.path).resolve():
            raise StorageError(f"{target} is the database itself; name another file")
        if target.exists() and not force:
            raise StorageError(f"{target} exists; pass --force to overwrite it")
        if target.is_dir():
            raise StorageError(f"{target} is a folder; name a file")
        partial = backup_scratch_path(target)
        with contextlib.suppress(OSError):
            partial.unlink()
        try:
            with wrap_errors(f"backing up to {target}"):
                copy = sqlite3.connect(partial, isolation_level=None)
                try:
                    self.pool.get().backup(copy)
                    # one self-contained file: no -wal beside it to lose
                    copy.execute("PRAGMA journal_mode=DELETE")
                    integrity = str(copy.execute("PRAGMA integrity_check").fetchone()[0])
                    last = copy.execute(
                        "SELECT name FROM _migrations ORDER BY name DESC LIMIT 1"
                    ).fetchone()
                finally:
                    copy.close()
            if integrity != "ok":
                raise StorageError(f"the copy failed its integrity check: {integrity}")
            partial.replace(target)
        except OSError as exc:
            raise StorageError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()
        return BackupResult(target, target.stat().st_size, integrity, last[0] if last else None)

    def vacuum(self) -> VacuumResult:
        """Rebuild the database file without its free pages (``VACUUM``) and fold the WAL in.

        Raises:
            StorageBusyError: another connection (``clipper run``) kept it busy.
        """
        path = self.pool.path
        before = _files_size(path)
        conn = self.pool.get()
        try:
            conn.execute(f"PRAGMA busy_timeout={int(VACUUM_WAIT_S * 1000)}")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StorageBusyError(
                    f"{path} is in use by another process: VACUUM needs exclusive access "
                    "(stop `clipper run` and try again)"
                ) from exc
            raise StorageError("database error while vacuuming") from exc
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(self.pool.busy_timeout_s * 1000)}")
        return VacuumResult(before, _files_size(path))
