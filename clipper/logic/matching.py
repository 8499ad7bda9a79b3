"""Match decisions for one article: mentions, watch terms and similarities in, Matches out.

    its mentions mean the company (logic.sense) → match (score 0.7 + 0.3 × profile similarity
                                                 when the finder was sure, else 0.5 + ...);
                                                 otherwise dropped, with the sense's reason
    the account's watch term holds             → match (score at least 0.6)
    the account's semantic term is close       → match (score at least the similarity)
    close to an article a rep rejected         → no match for that account ("not relevant",
                                                 "not this company" feedback)
    industries                                 → similarity to the closest of the catalog's
                                                 description and examples, plus a bonus when
                                                 its keywords are in the headline or lead and a
                                                 small prior for the source feed's industry:
                                                 the best one from a lower threshold, others at
                                                 or above the threshold

Every match carries plain-language reasons and the article's main business event. Does not
compute similarities or find mentions: the caller passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..types import IndustryMatch, Match, MatchResult, Mention
from .events import Event
from .sense import Sense, Verdict
from .watch import WatchTerm

#: added to the source feed's own industry
SOURCE_INDUSTRY_PRIOR = 0.05


@dataclass(frozen=True, slots=True)
class Thresholds:
    industry: float = 0.5
    #: the single closest industry is kept from this lower score
    best_industry: float = 0.4
    watch: float = 0.5
    max_matches: int = 10
    #: an article this close to one a rep rejected for the account is not matched to it
    feedback: float = 0.7
    #: added to an industry whose keywords the headline or lead holds
    industry_keywords: float = 0.15


@dataclass(frozen=True, slots=True)
class AccountEvidence:
    """What the caller knows about one account for one article."""

    #: cosine similarity of the article to the account's profile
    profile_similarity: float
    mentions: Sequence[Mention] = ()
    #: (term, matched words) for the account's boolean watch terms that hold
    watch_hits: Sequence[tuple[WatchTerm, list[str]]] = ()
    #: (term, similarity) for the account's semantic watch terms
    semantic: Sequence[tuple[WatchTerm, float]] = ()
    vetoed: bool = False
    #: (kind, similarity) of the closest article a rep rejected for this account, if any
    rejected_like: tuple[str, float] | None = None
    #: the business event in the headline or the sentences naming the account (for an account
    #: matched by a watch term only: the article's event)
    event: Event | None = None
    #: what the account's mentions mean here (None: no mentions)
    sense: Sense | None = None


@dataclass(frozen=True, slots=True)
class IndustryEvidence:
    """What the caller knows about one industry for one article."""

    #: cosine similarity to the closest of the catalog's description and example headlines
    similarity: float
    #: the catalog's keywords found in the headline or lead, as written there
    keywords: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ArticleEvidence:
    accounts: Mapping[str, AccountEvidence] = field(default_factory=dict)
    industries: Mapping[str, IndustryEvidence] = field(default_factory=dict)
    source_industry: str | None = None


def decide_matches(evidence: ArticleEvidence, thresholds: Thresholds) -> MatchResult:
    """Return the article's account matches and industries."""
    matches: list[Match] = []
    dropped: list[str] = []
    notes: list[str] = []
    for account, ev in evidence.accounts.items():
        if ev.vetoed:
            if ev.mentions or ev.watch_hits:
                dropped.append(f"{account}: an exclude term vetoes it")
            continue
        score = 0.0
        reasons: list[str] = []
        similarity = max(0.0, min(1.0, ev.profile_similarity))
        sense = ev.sense
        if sense is not None and sense.verdict is Verdict.COMPANY:
            sure = any(m.confident for m in ev.mentions)
            score = (0.7 if sure else 0.5) + 0.3 * similarity
            reasons.append(sense.reason)
        elif sense is not None:
            dropped.append(
                f"{account}: {sense.reason}" + (f" ({sense.detail})" if sense.detail else "")
            )
        for term, hits in ev.watch_hits:
            score = max(score, 0.6)
            found = ", ".join(hits)
            same = found.casefold() == term.source.strip('"').casefold()
            reasons.append(f"watch term: {term.source}" + ("" if same else f" ({found})"))
        for term, close in ev.semantic:
            if close >= thresholds.watch:
                score = max(score, close)
                reasons.append(f'close to the watch phrase "~{term.semantic}"')
        if score <= 0:
            continue
        if ev.rejected_like is not None and ev.rejected_like[1] >= thresholds.feedback:
            kind, close = ev.rejected_like
            dropped.append(
                f'{account}: a rep marked a similar article "{kind}" (similarity {close:.2f})'
            )
            continue
        detail = f"similarity {ev.profile_similarity:.2f} to the account"
        if sense is not None and sense.detail:
            detail = sense.detail
        notes.append(f"{account}: {detail}")
        own = ev.event
        if own is not None:
            reasons.append(f"{own.kind.value}: {own.evidence}")
        matches.append(
            Match(
                account=account,
                score=round(min(score, 1.0), 4),
                reasons=tuple(reasons),
                event=own.kind if own else None,
                shareable=own.shareable if own else True,
            )
        )
    matches.sort(key=lambda m: (-m.score, m.account))
    scored = {
        industry: ev.similarity
        + (thresholds.industry_keywords if ev.keywords else 0.0)
        + (SOURCE_INDUSTRY_PRIOR if industry == evidence.source_industry else 0.0)
        for industry, ev in evidence.industries.items()
    }
    best = max(scored, key=lambda i: scored[i], default=None)
    industries = [
        IndustryMatch(
            industry,
            round(min(score, 1.0), 4),
            _industry_reason(evidence.industries[industry], industry == evidence.source_industry),
        )
        for industry, score in scored.items()
        if score >= thresholds.industry or (industry == best and score >= thresholds.best_industry)
    ]
    industries.sort(key=lambda i: (-i.score, i.industry))
    return MatchResult(
        tuple(matches[: thresholds.max_matches]),
        tuple(industries),
        tuple(dropped),
        tuple(notes),
    )


def _industry_reason(evidence: IndustryEvidence, from_source: bool) -> str:
    """Return why an industry was linked, in words: its keywords, else its examples."""
    first: dict[str, str] = {}
    for word in evidence.keywords:
        first.setdefault(word.lower(), word)
    words = list(first.values())[:3]
    reason = "mentions " + ", ".join(f'"{w}"' for w in words) if words else "close to the industry"
    return reason + (" (from an industry feed)" if from_source else "")
