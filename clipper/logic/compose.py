"""Composing one rep's digest for the outbox: build it, render it for its sink, say what it covers.

    alert     → only urgent candidates; covers only what it shows (the rest waits for the digest)
    digest    = build_digest(candidates) → render_slack (Block Kit JSON parts) | render_markdown
    covered   = (article, account, shown) for every match the digest accounts for, "also in"
    listed = [i for s in digest.sections for i in s.items]
    if request.sink is Sink.TERMINAL and request.kind is DigestKind.DIGEST:
        # the Markdown lists every item, those over the caps under "More on ACCOUNT"
        listed += [i for s in digest.sections for i in s.left_out]
    # an item stands for its story's articles on every account it names ("also in" articles and
    # "also about" accounts count as shown)
    shown = {
        (article, account)
        for i in listed
        for article in (i.article_id, *i.also_ids)
        for account in (i.account, *i.also_about)
    }
    industry  = industry-only candidates → "Your industries" (build_industry_section), stories
                already in an account section left out; industry_covered = (article, industry,
                shown) for each of them (never for an alert); the stories over its cap are
                shown in the Markdown ("More in your industries"), in Slack only once the
                section's "Show N more" or ``/clip news industries`` shows them
    empty     → no parts; the schedule stays (keep_if_empty) or advances to ``next_due``

Does not read the database, choose the sink or send anything: ``storage.create_digest`` runs
this inside its write transaction, and the outbox delivers the parts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ..types import ComposedDigest, DigestKind, Sink
from .blockkit import render_markdown, render_slack
from .digest import (
    DigestCandidate,
    DigestPolicy,
    TouchStatus,
    build_digest,
    build_industry_section,
    is_urgent,
)
from .memo import ArticleFacts
from .notes import ShareNotes


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
    #: the ready-to-send notes a Markdown digest carries under each shareable item
    notes: ShareNotes | None = None


def compose_digest(
    request: DigestRequest,
    candidates: Sequence[DigestCandidate],
    touches: Mapping[str, TouchStatus],
    policy: DigestPolicy,
    facts: ArticleFacts | None = None,
) -> ComposedDigest:
    """Return the parts to queue for ``request`` and the matches they account for.
    ``facts``: the tick's memo of each article's lead, image and low-value kind (shared by
    every rep's digest; a fresh one when not given), which changes no output."""
    facts = facts if facts is not None else ArticleFacts()
    industry_only = [c for c in candidates if c.industry is not None]
    candidates = [c for c in candidates if c.industry is None]
    if request.kind is DigestKind.ALERT:
        candidates = [c for c in candidates if is_urgent(c)]
        industry_only = []
    digest = build_digest(
        request.rep,
        request.rep_name,
        candidates,
        touches,
        policy,
        request.now,
        kind=request.kind,
        facts=facts,
    )
    listed = [i for s in digest.sections for i in s.items]
    if request.sink is Sink.TERMINAL and request.kind is DigestKind.DIGEST:
        # the Markdown lists every item, those over the caps under "More on ACCOUNT"
        listed += [i for s in digest.sections for i in s.left_out]
    # an item stands for its story's articles on every account it names ("also in" articles and
    # "also about" accounts count as shown)
    shown = {
        (article, account)
        for i in listed
        for article in (i.article_id, *i.also_ids)
        for account in (i.account, *i.also_about)
    }
    covered = tuple((aid, account, (aid, account) in shown) for aid, account in digest.covered)
    stories = frozenset(
        c.story_id if c.story_id is not None else -c.article_id
        for c in candidates
        if (c.article_id, c.account) in shown
    )
    industry = build_industry_section(
        industry_only, policy, request.now, skip_stories=stories, facts=facts
    )
    digest = replace(digest, industry=industry)
    industry_listed = list(industry.items) if industry else []
    if industry and request.sink is Sink.TERMINAL and request.kind is DigestKind.DIGEST:
        # the Markdown lists every story, those over the cap under "More in your industries"
        industry_listed += industry.left_out
    industry_shown = {a for i in industry_listed for a in (i.article_id, *i.also_ids)}
    # one row per article, under its best-scoring industry
    industry_covered: dict[int, tuple[int, str, bool]] = {}
    for c in sorted(industry_only, key=lambda c: (-c.score, c.industry or "")):
        if c.industry is not None:
            row = (c.article_id, c.industry, c.article_id in industry_shown)
            industry_covered.setdefault(c.article_id, row)
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
        parts = ((f"{digest.kind} for {request.rep}", render_markdown(digest, request.notes)),)
    return ComposedDigest(
        parts, covered, request.sink, request.next_due, tuple(sorted(industry_covered.values()))
    )
