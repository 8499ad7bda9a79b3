"""The touch webhook's outbox: touches queued by the ``touch_webhook_queue`` trigger (every
insert into ``touches``), claimed when due under a lease (``lease_owner``, ``lease_until``:
migration ``0021_touch_webhook_lease``, the digest parts' pattern), renewed right before each
POST, then marked delivered, failed (with the reason and the next attempt; fenced by the
lease), given up or skipped. Does not decide backoff or build the request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ....types import QueuedTouch, WebhookBacklog
from .base import ConnectionPool, at, from_db, to_db
from .touches import _touch

_OPEN = "w.delivered_at IS NULL AND w.skipped_at IS NULL AND w.gave_up_at IS NULL"


class WebhookMixin:
    """The touch webhook's outbox."""

    pool: ConnectionPool

    def due_webhook_touches(self, now: datetime, limit: int = 100) -> tuple[QueuedTouch, ...]:
        """Return queued touches whose next attempt is due, oldest first (voided ones too:
        they were new touches when queued)."""
        rows = self.pool.read(
            "reading the webhook outbox",
            f"""SELECT t.*, w.queued_at AS w_queued_at, w.attempts AS w_attempts,
                w.last_error AS w_last_error
            FROM touch_webhook w JOIN touches t ON t.id = w.touch_id
            WHERE {_OPEN} AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?)
            ORDER BY w.queued_at, w.touch_id LIMIT ?""",
            (to_db(now), limit),
        )
        return tuple(
            QueuedTouch(_touch(r), at(r["w_queued_at"]), int(r["w_attempts"]), r["w_last_error"])
            for r in rows
        )

    def claim_webhook_touches(
        self, now: datetime, owner: str, lease_s: float, limit: int = 100
    ) -> tuple[QueuedTouch, ...]:
        """Lease the due queued touches (at most ``limit``, oldest first) to ``owner`` until
        ``now + lease_s``: no other owner claims them before the lease runs out (a crashed
        owner's come back then)."""
        with self.pool.write("claiming webhook touches") as tx:
            claimed = [
                r["touch_id"]
                for r in tx.execute(
                    f"""UPDATE touch_webhook SET lease_owner = :owner, lease_until = :until
                    WHERE touch_id IN (
                        SELECT w.touch_id FROM touch_webhook w
                        WHERE {_OPEN}
                          AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= :now)
                          AND (w.lease_until IS NULL OR w.lease_until <= :now)
                        ORDER BY w.queued_at, w.touch_id LIMIT :limit)
                    RETURNING touch_id""",
                    {
                        "owner": owner,
                        "until": to_db(now + timedelta(seconds=lease_s)),
                        "now": to_db(now),
                        "limit": limit,
                    },
                )
            ]
            if not claimed:
                return ()
            marks = ",".join("?" * len(claimed))
            rows = list(
                tx.execute(
                    f"""SELECT t.*, w.queued_at AS w_queued_at, w.attempts AS w_attempts,
                        w.last_error AS w_last_error
                    FROM touch_webhook w JOIN touches t ON t.id = w.touch_id
                    WHERE w.touch_id IN ({marks}) ORDER BY w.queued_at, w.touch_id""",
                    claimed,
                )
            )
        return tuple(
            QueuedTouch(_touch(r), at(r["w_queued_at"]), int(r["w_attempts"]), r["w_last_error"])
            for r in rows
        )

    def renew_webhook_touch(self, touch_id: int, owner: str, now: datetime, lease_s: float) -> bool:
        """Extend ``owner``'s lease on a queued touch to ``now + lease_s``; False when another
        owner holds it or it is no longer open (then it must not be POSTed)."""
        with self.pool.write("renewing a webhook lease") as tx:
            done = tx.execute(
                f"""UPDATE touch_webhook SET lease_until = ?
                WHERE touch_id = ? AND lease_owner = ? AND {_OPEN.replace("w.", "")}""",
                (to_db(now + timedelta(seconds=lease_s)), touch_id, owner),
            ).rowcount
        return bool(done)

    def webhook_delivered(self, touch_id: int, now: datetime) -> None:
        """Mark a queued touch delivered (a 2xx answer): it is never sent again, whoever holds
        its lease now."""
        with self.pool.write("marking a webhook delivered") as tx:
            tx.execute(
                """UPDATE touch_webhook SET delivered_at = ?, attempts = attempts + 1,
                lease_owner = NULL, lease_until = NULL
                WHERE touch_id = ? AND delivered_at IS NULL""",
                (to_db(now), touch_id),
            )

    def webhook_failed(
        self,
        touch_id: int,
        reason: str,
        next_attempt_at: datetime | None,
        now: datetime,
        owner: str | None = None,
    ) -> bool:
        """Record a failed POST and when to try again; ``next_attempt_at`` None gives it up
        (the row stays, with the reason). With ``owner``, only while its lease holds; return
        whether it was recorded."""
        with self.pool.write("recording a webhook failure") as tx:
            done = tx.execute(
                """UPDATE touch_webhook SET attempts = attempts + 1, last_error = ?,
                next_attempt_at = ?, gave_up_at = ?, lease_owner = NULL, lease_until = NULL
                WHERE touch_id = ? AND delivered_at IS NULL
                  AND (? IS NULL OR lease_owner = ?)""",
                (
                    reason[:500],
                    to_db(next_attempt_at),
                    to_db(now) if next_attempt_at is None else None,
                    touch_id,
                    owner,
                    owner,
                ),
            ).rowcount
        return bool(done)

    def skip_webhook_touches(self, now: datetime) -> int:
        """Mark every open queued touch skipped (no webhook is configured); return how many."""
        with self.pool.write("skipping the webhook outbox") as tx:
            return tx.execute(
                f"UPDATE touch_webhook SET skipped_at = ? WHERE {_OPEN.replace('w.', '')}",
                (to_db(now),),
            ).rowcount

    def webhook_backlog(self) -> WebhookBacklog:
        """Return how many queued touches are pending and given up, and the oldest pending."""
        (row,) = self.pool.read(
            "counting the webhook outbox",
            f"""SELECT SUM({_OPEN}) AS pending, SUM(w.gave_up_at IS NOT NULL) AS given_up,
                MIN(CASE WHEN {_OPEN} THEN w.queued_at END) AS oldest
            FROM touch_webhook w""",
            (),
        )
        return WebhookBacklog(
            int(row["pending"] or 0), int(row["given_up"] or 0), from_db(row["oldest"])
        )
