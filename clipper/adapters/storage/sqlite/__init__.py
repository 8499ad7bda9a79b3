"""SQLite storage: the embedded default behind ``StorageType``.

WAL mode, one connection per thread, every write in ``BEGIN IMMEDIATE``, named migrations. The
pipeline writes from one thread only (SCALE.md section 5). No SQL lives outside this package.
``Storage`` is composed of one mixin per domain (the way reader composes its storage); each
mixin's module holds that domain's SQL and nothing else.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from .articles import ArticlesMixin
from .base import ConnectionPool, to_db
from .care import CareMixin
from .digests import DigestsMixin
from .feeds import FeedsMixin
from .health import HealthMixin
from .leases import LeasesMixin
from .matching import MatchingMixin
from .schema import MIGRATIONS
from .slackapp import SlackAppMixin
from .touches import TouchesMixin
from .useful import UsefulMixin
from .webhook import WebhookMixin


class Storage(
    FeedsMixin,
    ArticlesMixin,
    MatchingMixin,
    DigestsMixin,
    SlackAppMixin,
    TouchesMixin,
    WebhookMixin,
    UsefulMixin,
    CareMixin,
    HealthMixin,
    LeasesMixin,
):
    """``StorageType`` on one SQLite file (or ``:memory:`` for a single-thread test)."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.pool = ConnectionPool(path, busy_timeout_s=busy_timeout_s)

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
                # checked again under the write lock: a second process starting on the same new
                # file may have applied it since the read above
                if tx.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    continue
                # a statement ends at a ";" that completes it (a trigger's body has its own)
                statement = ""
                for part in sql.split(";"):
                    statement += part + ";"
                    if sqlite3.complete_statement(statement):
                        if statement.strip(" \n;"):
                            tx.execute(statement)
                        statement = ""
                tx.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, to_db(datetime.now(UTC))),
                )
            done.append(name)
        return done

    def close(self) -> None:
        self.pool.close()

    def batch(self, what: str) -> AbstractContextManager[None]:
        """One transaction for this thread's writes inside (``ConnectionPool.batch``)."""
        return self.pool.batch(what)


__all__ = ["Storage"]
