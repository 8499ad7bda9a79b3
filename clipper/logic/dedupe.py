"""Article identity and the new / updated / unchanged decision for one fetched feed.

An item is the same article when its guid (within its feed) or its canonical URL (anywhere)
says so. Its content hash (whole title + summary, within its feed) merges only what guid and
URL cannot tell apart: within one document, items with different guids or different URLs are
different articles; across polls, an item whose guid AND URL both differ from the stored one is
a different article (a feed that rotates only its guids, or only its links, is still merged).
An edited ``updated`` date never makes a new article. Does not read storage: the caller passes
what is already known.
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


def content_digest(title: str, summary: str) -> str:
    """Return the hash of a whole title and summary, normalised (never cut)."""
    return _digest("uncut", normalise_for_hash(title) + "\n" + normalise_for_hash(summary))


def identity_of(entry: ParsedEntry) -> ArticleIdentity:
    """Return the identity keys of a parsed entry (its URL must already be canonical)."""
    guid = (entry.guid or "").strip()
    body = normalise_for_hash(entry.title) + "\n" + normalise_for_hash(entry.summary)
    if entry.uncut_digest:
        body = entry.uncut_digest  # the stored title or summary was cut: hash the whole text
    elif not body.strip():
        # an item with neither title nor summary is identified by whatever else it has
        body = "\n".join(filter(None, (guid, entry.url or "")))
    return ArticleIdentity(
        guid_hash=_digest("guid", guid) if guid else None,
        url_hash=_digest("url", entry.url) if entry.url else None,
        content_hash=_digest("content", body),
    )


def _differ(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def told_apart(a: ArticleIdentity, b: ArticleIdentity, *, same_poll: bool) -> bool:
    """Return True when guid and URL say two items with the same content are different articles.

    In one document a different guid or a different URL is enough: the feed itself lists two
    articles. Across polls both must differ, so a feed that rotates its guids (or its links)
    every poll is still recognised by content. Does not compare content.
    """
    guid, url = _differ(a.guid_hash, b.guid_hash), _differ(a.url_hash, b.url_hash)
    return (guid or url) if same_poll else (guid and url)


@dataclass(frozen=True, slots=True)
class KnownArticles:
    """Stored articles that share a key with a fetched batch (from one storage look-up)."""

    by_guid: Mapping[str, KnownArticle] = field(default_factory=dict)
    by_url: Mapping[str, KnownArticle] = field(default_factory=dict)
    #: every stored article of the feed with that content hash
    by_content: Mapping[str, Sequence[KnownArticle]] = field(default_factory=dict)

    def find(self, identity: ArticleIdentity) -> KnownArticle | None:
        """Return the stored article this identity names, if any.

        Content alone names a stored article only when guid and URL cannot tell them apart.
        """
        if identity.guid_hash and identity.guid_hash in self.by_guid:
            return self.by_guid[identity.guid_hash]
        if identity.url_hash and identity.url_hash in self.by_url:
            return self.by_url[identity.url_hash]
        for stored in self.by_content.get(identity.content_hash, ()):
            if not told_apart(stored.identity, identity, same_poll=False):
                return stored
        return None


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
    seen_content: dict[str, list[ArticleIdentity]] = {}
    fresh: list[tuple[ArticleIntent, bool]] = []  # (intent, inside the window)
    refreshed: list[ArticleIntent] = []
    unchanged = 0
    window_start = now - policy.backfill_window
    candidate_stage = Stage.EXTRACT if full_text else Stage.NEW
    if identities is None:
        identities = [identity_of(e) for e in entries]
    for entry, identity in zip(entries, identities, strict=True):
        keys = {k for k in (identity.guid_hash, identity.url_hash) if k}
        same_content = seen_content.setdefault(identity.content_hash, [])
        if keys & seen or any(
            not told_apart(other, identity, same_poll=True) for other in same_content
        ):
            unchanged += 1  # the same item twice in one document
            continue
        seen |= keys
        same_content.append(identity)
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
