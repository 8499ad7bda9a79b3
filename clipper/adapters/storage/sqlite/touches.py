"""Touches: logged customer contacts (shares, ``/clip touch``) and per-account counts.

Does not decide what a touch target is (``logic.digest`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ....logic.digest import SHARE_CHANNEL, TouchStatus
from ....types import ActivityCounts, Share
from .base import ConnectionPool, at, from_db, to_db


class TouchesMixin:
    """Customer touches."""

    pool: ConnectionPool

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

    def activity_counts(
        self, accounts: Sequence[str], since: datetime
    ) -> dict[str, ActivityCounts]:
        """Return each account's matches made since ``since`` and its shares since then."""
        if not accounts:
            return {}
        marks = ",".join("?" * len(accounts))
        matches = self.pool.read(
            "counting matches",
            f"""SELECT account, COUNT(*) AS n FROM matches
            WHERE account IN ({marks}) AND created_at >= ? GROUP BY account""",
            (*accounts, to_db(since)),
        )
        shares = self.pool.read(
            "counting shares",
            f"""SELECT account, COUNT(*) AS n FROM touches
            WHERE account IN ({marks}) AND channel = ? AND touched_at >= ? GROUP BY account""",
            (*accounts, SHARE_CHANNEL, to_db(since)),
        )
        matched = {r["account"]: int(r["n"]) for r in matches}
        shared = {r["account"]: int(r["n"]) for r in shares}
        return {
            account: ActivityCounts(matched.get(account, 0), shared.get(account, 0))
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

    def shared(self, account: str, article_id: int) -> Share | None:
        """Return the first share of the article with the account's customer, or None."""
        rows = self.pool.read(
            "reading touches",
            """SELECT rep, touched_at FROM touches WHERE account = ? AND article_id = ?
            AND channel = ? ORDER BY touched_at LIMIT 1""",
            (account, article_id, SHARE_CHANNEL),
        )
        if not rows:
            return None
        return Share(rows[0]["rep"], at(rows[0]["touched_at"]))
