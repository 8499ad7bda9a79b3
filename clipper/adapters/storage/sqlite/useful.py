"""Shares marked "Customer found it useful" (migration ``0021_share_useful``): one row per
(rep who shared, account, article), so a repeated click or a Slack retry adds nothing. Does not
decide who may mark a share (``rep_actions.RepActions.mark_useful`` does).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from ....types import UsefulMark
from .base import ConnectionPool, at, to_db


def _mark(row: sqlite3.Row) -> UsefulMark:
    return UsefulMark(
        touch_id=int(row["touch_id"]),
        rep=row["rep"],
        account=row["account"],
        article_id=int(row["article_id"]),
        marked_by=row["marked_by"],
        marked_at=at(row["marked_at"]),
    )


class UsefulMixin:
    """Useful marks on shares."""

    pool: ConnectionPool

    def mark_useful(
        self, touch_id: int, rep: str, account: str, article_id: int, by: str, now: datetime
    ) -> tuple[UsefulMark, bool]:
        """Record that the customer found a share useful; return the mark (the first one, when
        the share was marked before) and whether it is new. Does not check the share."""
        with self.pool.write("marking a share useful") as tx:
            added = tx.execute(
                """INSERT OR IGNORE INTO share_useful
                (rep, account, article_id, touch_id, marked_by, marked_at)
                VALUES (?, ?, ?, ?, ?, ?)""",
                (rep, account, article_id, touch_id, by, to_db(now)),
            ).rowcount
            row = tx.execute(
                "SELECT * FROM share_useful WHERE rep = ? AND account = ? AND article_id = ?",
                (rep, account, article_id),
            ).fetchone()
        return _mark(row), bool(added)

    def useful_marks(self, rep: str | None = None) -> tuple[UsefulMark, ...]:
        """Return the useful marks (on ``rep``'s shares), oldest first."""
        rows = self.pool.read(
            "reading useful marks",
            """SELECT * FROM share_useful WHERE (? IS NULL OR rep = ?)
            ORDER BY marked_at, touch_id""",
            (rep, rep),
        )
        return tuple(_mark(r) for r in rows)
