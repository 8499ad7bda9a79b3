"""Retention: the cut-off times a prune deletes before, from the policy's days.

Contains no I/O and no clock: ``now`` is given. Does not delete anything (storage's ``prune``
does) or decide which old articles must stay (storage keeps what a touch or a pending message
refers to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind of row is kept; 0 keeps it forever."""

    #: articles (by fetch time), their matches and scores, and embeddings
    articles_days: int = 180
    #: delivered or given-up digest messages and touch webhook rows
    outbox_days: int = 30

    def cutoffs(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """Return (articles before, outbox rows before); None where kept forever."""
        return _before(now, self.articles_days), _before(now, self.outbox_days)


def _before(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def backup_scratch_path(target: Path) -> Path:
    """Return where a backup to ``target`` is written before it is checked and renamed into
    place (hidden, beside it): removed on failure and by a second Ctrl-C. Does not touch it."""
    return target.with_name(f".{target.name}.partial")
