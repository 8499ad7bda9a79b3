"""Touches: the customer-touch ledger (shares, ``/clip touch``, CRM imports), its voids, and
per-account counts.

A deleted touch is kept with who voided it, when and why (``voided_at``, ``voided_by``,
``void_reason``); every count and listing here leaves voided touches out unless asked. Does not
decide what a touch target is (``logic.touches`` does) or which rows of an export are good.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ....logic.digest import SHARE_CHANNEL, TouchStatus
from ....types import ActivityCounts, NewTouch, Share, Touch, TouchChannel, TouchVoid
from .base import ConnectionPool, at, from_db, to_db

#: a touch that counts: not voided
_LIVE = "voided_at IS NULL"


def _touch(row: sqlite3.Row) -> Touch:
    voided_at = from_db(row["voided_at"])
    return Touch(
        id=int(row["id"]),
        rep=row["rep"],
        account=row["account"],
        touched_at=at(row["touched_at"]),
        channel=TouchChannel(row["channel"]),
        contact=row["contact"],
        article_id=row["article_id"],
        note=row["note"],
        subject=row["subject"],
        kind=row["kind"],
        origin=row["origin"],
        key=row["idempotency_key"],
        created_at=from_db(row["created_at"]),
        void=(
            TouchVoid(row["voided_by"] or "", voided_at, row["void_reason"])
            if voided_at is not None
            else None
        ),
    )


_INSERT = """INSERT OR IGNORE INTO touches
    (rep, account, article_id, channel, note, touched_at, idempotency_key, contact, subject,
     kind, origin, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def _values(touch: NewTouch, now: datetime) -> tuple[Any, ...]:
    return (
        touch.rep,
        touch.account,
        touch.article_id,
        touch.channel.value,
        touch.note,
        to_db(touch.touched_at),
        touch.key,
        touch.contact,
        touch.subject,
        touch.kind,
        touch.origin,
        to_db(now),
    )


class TouchesMixin:
    """Customer touches."""

    pool: ConnectionPool

    def touch_statuses(
        self, accounts: Sequence[str], quarter_start: datetime, target: int
    ) -> dict[str, TouchStatus]:
        """Return each account's touches since ``quarter_start`` and its last touch ever
        (voided touches left out)."""
        if not accounts:
            return {}
        marks = ",".join("?" * len(accounts))
        rows = self.pool.read(
            "reading touches",
            f"""SELECT account, SUM(touched_at >= ?) AS recent, MAX(touched_at) AS last
            FROM touches WHERE account IN ({marks}) AND {_LIVE} GROUP BY account""",
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
        """Return each account's stories matched since ``since`` (an article's story, else the
        article itself: outlets of one story count once) and its shares since then."""
        if not accounts:
            return {}
        marks = ",".join("?" * len(accounts))
        matches = self.pool.read(
            "counting matched stories",
            f"""SELECT m.account, COUNT(DISTINCT COALESCE(a.story_id, a.id)) AS n
            FROM matches m JOIN articles a ON a.id = m.article_id
            WHERE m.account IN ({marks}) AND m.created_at >= ? GROUP BY m.account""",
            (*accounts, to_db(since)),
        )
        shares = self.pool.read(
            "counting shares",
            f"""SELECT account, COUNT(*) AS n FROM touches
            WHERE account IN ({marks}) AND channel = ? AND touched_at >= ? AND {_LIVE}
            GROUP BY account""",
            (*accounts, SHARE_CHANNEL, to_db(since)),
        )
        matched = {r["account"]: int(r["n"]) for r in matches}
        shared = {r["account"]: int(r["n"]) for r in shares}
        return {
            account: ActivityCounts(matched.get(account, 0), shared.get(account, 0))
            for account in accounts
        }

    def matched_story_count(self, accounts: Sequence[str], since: datetime) -> int:
        """Return how many stories were matched to any of ``accounts`` since ``since`` (each
        story once, however many accounts or outlets)."""
        if not accounts:
            return 0
        marks = ",".join("?" * len(accounts))
        rows = self.pool.read(
            "counting matched stories",
            f"""SELECT COUNT(DISTINCT COALESCE(a.story_id, a.id)) AS n
            FROM matches m JOIN articles a ON a.id = m.article_id
            WHERE m.account IN ({marks}) AND m.created_at >= ?""",
            (*accounts, to_db(since)),
        )
        return int(rows[0]["n"])

    def add_touch(
        self,
        rep: str,
        account: str,
        channel: TouchChannel,
        touched_at: datetime,
        *,
        article_id: int | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
        contact: str | None = None,
    ) -> bool:
        """Log a customer touch; return False when ``idempotency_key`` was logged before."""
        touch = NewTouch(
            rep,
            account,
            touched_at,
            TouchChannel(channel),
            idempotency_key or "",
            contact=contact,
            article_id=article_id,
            note=note,
        )
        values = list(_values(touch, touched_at))
        values[6] = idempotency_key  # None: no key, never merged
        with self.pool.write("logging a touch") as tx:
            done = tx.execute(_INSERT, values).rowcount
        return bool(done)

    def add_touches(self, touches: Sequence[NewTouch], now: datetime) -> int:
        """Add touches in one transaction; return how many were new (a key already in the
        ledger, voided or not, adds nothing)."""
        added = 0
        with self.pool.write("importing touches") as tx:
            for touch in touches:
                added += tx.execute(_INSERT, _values(touch, now)).rowcount
        return added

    def touches(
        self,
        *,
        account: str | None = None,
        rep: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_voided: bool = False,
    ) -> tuple[Touch, ...]:
        """Return ledger touches, oldest first, filtered by account, rep and time
        (``since`` inclusive, ``until`` exclusive); voided ones only with ``include_voided``."""
        where = ["1 = 1"]
        params: list[Any] = []
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if rep is not None:
            where.append("rep = ?")
            params.append(rep)
        if since is not None:
            where.append("touched_at >= ?")
            params.append(to_db(since))
        if until is not None:
            where.append("touched_at < ?")
            params.append(to_db(until))
        if not include_voided:
            where.append(_LIVE)
        rows = self.pool.read(
            "reading touches",
            f"SELECT * FROM touches WHERE {' AND '.join(where)} ORDER BY touched_at, id",
            params,
        )
        return tuple(_touch(r) for r in rows)

    def touch(self, touch_id: int) -> Touch | None:
        """Return one touch by id, voided or not; None when there is none."""
        rows = self.pool.read("reading a touch", "SELECT * FROM touches WHERE id = ?", (touch_id,))
        return _touch(rows[0]) if rows else None

    def void_touch(
        self, touch_id: int, by: str, at_: datetime, reason: str | None = None
    ) -> Touch | None:
        """Void a touch (kept, with who, when and why); return it as it is now. A touch voided
        before keeps its first void. None when there is no such touch."""
        with self.pool.write("voiding a touch") as tx:
            tx.execute(
                """UPDATE touches SET voided_at = ?, voided_by = ?, void_reason = ?
                WHERE id = ? AND voided_at IS NULL""",
                (to_db(at_), by, reason, touch_id),
            )
            rows = list(tx.execute("SELECT * FROM touches WHERE id = ?", (touch_id,)))
        return _touch(rows[0]) if rows else None

    def shared(self, account: str, article_id: int) -> Share | None:
        """Return the first share of the article with the account's customer, or None (a
        voided share does not count)."""
        rows = self.pool.read(
            "reading touches",
            f"""SELECT rep, touched_at FROM touches WHERE account = ? AND article_id = ?
            AND channel = ? AND {_LIVE} ORDER BY touched_at LIMIT 1""",
            (account, article_id, SHARE_CHANNEL.value),
        )
        if not rows:
            return None
        return Share(rows[0]["rep"], at(rows[0]["touched_at"]))
