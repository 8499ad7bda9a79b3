"""Leases across domains: who holds claims, and giving back every claim one owner holds.

Contains no business logic: which owners may be released is decided by the caller
(``logic.leases``).
"""

from __future__ import annotations

from collections.abc import Collection

from ....types import ReleasedClaims
from .base import ConnectionPool


class LeasesMixin:
    """Claims on ``feeds``, ``articles`` (page text, matching) and ``digest_parts``."""

    pool: ConnectionPool

    def lease_owners(self) -> list[str]:
        rows = self.pool.read(
            "reading lease owners",
            """SELECT lease_owner FROM feeds WHERE lease_owner IS NOT NULL
            UNION SELECT lease_owner FROM articles WHERE lease_owner IS NOT NULL
            UNION SELECT lease_owner FROM digest_parts WHERE lease_owner IS NOT NULL""",
        )
        return sorted(r["lease_owner"] for r in rows)

    def release_claims(
        self, owner: str, keep_parts: Collection[tuple[int, int]] = ()
    ) -> ReleasedClaims:
        kept = sorted(keep_parts)
        with self.pool.write("releasing a worker's claims") as tx:
            feeds = tx.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                (owner,),
            ).rowcount
            articles = tx.execute(
                "UPDATE articles SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
                (owner,),
            ).rowcount
            parts = 0
            for row in list(
                tx.execute(
                    "SELECT digest_id, part FROM digest_parts WHERE lease_owner = ?", (owner,)
                )
            ):
                if (row["digest_id"], row["part"]) in kept:
                    continue
                parts += tx.execute(
                    """UPDATE digest_parts SET lease_owner = NULL, lease_until = NULL,
                        state = 'pending'
                    WHERE digest_id = ? AND part = ? AND lease_owner = ? AND state = 'sending'""",
                    (row["digest_id"], row["part"], owner),
                ).rowcount
        return ReleasedClaims(feeds=feeds, articles=articles, parts=parts)
