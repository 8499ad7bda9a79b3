"""Composing one rep's digest for the outbox: build it, render it for its sink, say what it covers.

    alert     → only urgent candidates; covers only what it shows (the rest waits for the digest)
    digest    = build_digest(candidates) → render_slack (Block Kit JSON parts) | render_markdown
    covered   = (article, account, shown) for every match the digest accounts for, "also in"
                articles counted as shown
    empty     → no parts; the schedule stays (keep_if_empty) or advances to ``next_due``

Does not read the database, choose the sink or send anything: ``storage.create_digest`` runs
this inside its write transaction, and the outbox delivers the parts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..types import ComposedDigest, DigestKind, Sink
from .blockkit import render_markdown, render_slack
from .digest import DigestCandidate, DigestPolicy, TouchStatus, build_digest, is_urgent


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """What to compose for one rep, decided before the candidates are read."""

    rep: str
    rep_name: str | None
    kind: DigestKind
    sink: Sink
    now: datetime
    #: the rep's next scheduled digest (None: an alert or a preview, which leave it alone)
    next_due: datetime | None
    #: an empty digest leaves the schedule as it is (matching still pending)
    keep_if_empty: bool = False


def compose_digest(
    request: DigestRequest,
    candidates: Sequence[DigestCandidate],
    touches: Mapping[str, TouchStatus],
    policy: DigestPolicy,
) -> ComposedDigest:
    """Return the parts to queue for ``request`` and the matches they account for."""
    if request.kind is DigestKind.ALERT:
        candidates = [c for c in candidates if is_urgent(c)]
    digest = build_digest(
        request.rep,
        request.rep_name,
        candidates,
        touches,
        policy,
        request.now,
        kind=request.kind,
    )
    shown = {(i.article_id, i.account) for s in digest.sections for i in s.items}
    shown |= {(other, i.account) for s in digest.sections for i in s.items for other in i.also_ids}
    covered = tuple((aid, account, (aid, account) in shown) for aid, account in digest.covered)
    if request.kind is DigestKind.ALERT:
        # an alert covers only what it shows; the rest waits for the digest
        covered = tuple(c for c in covered if c[2])
    if digest.is_empty():
        # matching still pending: leave the schedule, the matches may come next tick
        next_due = None if request.keep_if_empty else request.next_due
        return ComposedDigest((), (), request.sink, next_due)
    if request.sink is Sink.SLACK:
        parts = tuple(
            (m.text, json.dumps(list(m.blocks), ensure_ascii=False)) for m in render_slack(digest)
        )
    else:
        parts = ((f"{digest.kind} for {request.rep}", render_markdown(digest)),)
    return ComposedDigest(parts, covered, request.sink, request.next_due)
