"""Article identity and the new / updated / unchanged decision for one fetched feed.

An item is the same article when its guid (within its feed), its canonical URL (anywhere) or its
content hash (title + summary, within its feed) says so. An edited ``updated`` date never makes a
new article. Does not read storage: the caller passes what is already known.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..types import (
    ArticleIdentity,
    ArticleIntent,
    EntryDecision,
    KnownArticle,
    ParsedEntry,
    Stage,
)

#: a published date this far past ``now`` is treated as missing (clock skew allowance)
FUTURE_SKEW = timedelta(minutes=10)


def _digest(kind: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()[:32]


def normalise_for_hash(text: str) -> str:
    """Return ``text`` NFKC-normalised, case-folded, with white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def identity_of(entry: ParsedEntry) -> ArticleIdentity:
    """Return the identity keys of a parsed entry (its URL must already be canonical)."""
    guid = (entry.guid or "").strip()
    body = normalise_for_hash(entry.title) + "\n" + normalise_for_hash(entry.summary)
    if not body.strip():
        # an item with neither title nor summary is identified by whatever else it has
        body = "\n".join(filter(None, (guid, entry.url or "")))
    return ArticleIdentity(
        guid_hash=_digest("guid", guid) if guid else None,
        url_hash=_digest("url", entry.url) if entry.url else None,
        content_hash=_digest("content", body),
    )


@dataclass(frozen=True, slots=True)
class KnownArticles:
    """Stored articles that share a key with a fetched batch (from one storage look-up)."""

    by_guid: Mapping[str, KnownArticle] = field(default_factory=dict)
    by_url: Mapping[str, KnownArticle] = field(default_factory=dict)
    by_content: Mapping[str, KnownArticle] = field(default_factory=dict)

    def find(self, identity: ArticleIdentity) -> KnownArticle | None:
        """Return the stored article this identity names, if any."""
        if identity.guid_hash and identity.guid_hash in self.by_guid:
            return self.by_guid[identity.guid_hash]
        if identity.url_hash and identity.url_hash in self.by_url:
            return self.by_url[identity.url_hash]
        return self.by_content.get(identity.content_hash)


def effective_published(entry: ParsedEntry, fetched_at: datetime) -> datetime:
    """Return the item's published time; a missing or future date falls back to ``fetched_at``."""
    when = entry.published or entry.updated
    if when is None or when > fetched_at + FUTURE_SKEW:
        return fetched_at
    return when


@dataclass(frozen=True, slots=True)
class EntryPolicy:
    """Limits on what becomes a digest candidate."""

    #: on a feed's baseline fetch, only items published within this window become candidates
    backfill_window: timedelta = timedelta(days=3)
    #: at most this many new candidates per feed per run; the rest are stored silently
    max_new_per_feed: int = 50


def decide_entries(
    *,
    feed_id: int,
    source: str,
    entries: Sequence[ParsedEntry],
    known: KnownArticles,
    now: datetime,
    baseline: bool,
    full_text: bool,
    policy: EntryPolicy,
    identities: Sequence[ArticleIdentity] | None = None,
) -> EntryDecision:
    """Decide which fetched entries are new, updated or unchanged, and at which stage.

    Args:
        baseline: True on a feed's first successful fetch (or its first after a move): only
            items inside the backfill window become candidates, the rest are stored silently.
            Afterwards every item not seen before is a candidate, whatever its date, so an
            outage loses nothing.
        full_text: new candidates wait for page extraction before matching.
        identities: ``identity_of`` each entry, when the caller already computed them.

    Does not deduplicate across outlets (same story, different URL): matching does that.
    """
    seen: set[str] = set()
    fresh: list[tuple[ArticleIntent, bool]] = []  # (intent, inside the window)
    refreshed: list[ArticleIntent] = []
    unchanged = 0
    window_start = now - policy.backfill_window
    candidate_stage = Stage.EXTRACT if full_text else Stage.NEW
    if identities is None:
        identities = [identity_of(e) for e in entries]
    for entry, identity in zip(entries, identities, strict=True):
        keys = {k for k in (identity.guid_hash, identity.url_hash, identity.content_hash) if k}
        if keys & seen:
            unchanged += 1  # the same item twice in one document
            continue
        seen |= keys
        published = effective_published(entry, now)
        stored = known.find(identity)
        intent = ArticleIntent(
            feed_id=feed_id,
            identity=identity,
            url=entry.url,
            title=entry.title,
            summary=entry.summary,
            published_at=published,
            fetched_at=now,
            source=source,
            stage=candidate_stage,
            author=entry.author,
            categories=entry.categories,
            image=entry.image,
            content=entry.content,
            guid=entry.guid,
        )
        if stored is not None:
            if stored.identity.content_hash != identity.content_hash and stored.feed_id == feed_id:
                refreshed.append(replace(intent, existing_id=stored.id))
            else:
                unchanged += 1
            continue
        fresh.append((intent, not baseline or published >= window_start))

    candidates = sorted(
        (i for i, inside in fresh if inside), key=lambda i: i.published_at, reverse=True
    )
    kept = {id(i) for i in candidates[: policy.max_new_per_feed]}
    capped = max(0, len(candidates) - policy.max_new_per_feed)
    outside = sum(1 for _, inside in fresh if not inside)
    intents: list[ArticleIntent] = []
    for intent, _inside in fresh:
        if id(intent) not in kept:
            intent = replace(intent, stage=Stage.BASELINE)
        intents.append(intent)
    intents.extend(refreshed)
    return EntryDecision(
        intents=tuple(intents),
        new=len(kept),
        updated=len(refreshed),
        unchanged=unchanged,
        capped=capped,
        baseline=outside,
    )
