"""Health: the readiness probe's cheap write and the numbers ``/metrics`` reads at scrape time.

Contains no business logic.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ....exceptions import StorageError
from ....types import OutboxGauges
from .base import ConnectionPool, from_db, to_db, wrap_errors

#: how long the probe waits for another writer's lock: a probe answers in about a second
PROBE_BUSY_MS = 1000


class HealthMixin:
    """The ``health_heartbeat`` row (migration ``0024_health_heartbeat``) and outbox counts."""

    pool: ConnectionPool

    def check_writable(self, now: datetime) -> None:
        conn = self.pool.get()
        restore = int(self.pool.busy_timeout_s * 1000)
        with wrap_errors("checking that the database is writable"):
            conn.execute(f"PRAGMA busy_timeout={PROBE_BUSY_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # a real write: BEGIN IMMEDIATE alone succeeds on a read-only file
                    conn.execute(
                        "INSERT OR REPLACE INTO health_heartbeat (id, at) VALUES (1, ?)",
                        (to_db(now),),
                    )
                finally:
                    conn.execute("ROLLBACK")  # nothing is kept: a probe leaves no trace
            finally:
                try:
                    conn.execute(f"PRAGMA busy_timeout={restore}")
                except sqlite3.Error as exc:  # the connection itself is unusable
                    raise StorageError("database error while restoring the busy timeout") from exc

    def outbox_gauges(self) -> OutboxGauges:
        parts = self.pool.read(
            "counting the outbox",
            "SELECT COUNT(*) AS n, MIN(d.created_at) AS oldest, "
            "COALESCE(SUM(d.sink = 'slack'), 0) AS slack FROM digest_parts p "
            "JOIN digests d ON d.id = p.digest_id WHERE p.state IN ('pending', 'sending')",
        )[0]
        feeds = self.pool.read(
            "counting disabled feeds",
            "SELECT COUNT(*) AS n FROM feeds WHERE disabled_reason IS NOT NULL",
        )[0]
        return OutboxGauges(
            pending_parts=int(parts["n"]),
            oldest_pending_at=from_db(parts["oldest"]),
            feeds_disabled=int(feeds["n"]),
            slack_parts=int(parts["slack"]),
        )
