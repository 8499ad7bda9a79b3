"""Match decisions for one article: mentions, watch terms and similarities in, Matches out.

    confident mention of an account            → match (score 0.7 + 0.3 × profile similarity)
    candidate mention (ordinary word, person?) → match only if the article is close to the
                                                 account's description or its industry, else
                                                 dropped (names alone are no evidence)
    the account's watch term holds             → match (score at least 0.6)
    the account's semantic term is close       → match (score at least the similarity)
    close to an article a rep rejected         → no match for that account ("not relevant",
                                                 "not this company" feedback)
    industries                                 → the closest one from a lower threshold, others
                                                 at or above the threshold, with a small prior
                                                 for the source feed's industry

Every match carries plain-language reasons and the article's main business event. Does not
compute similarities or find mentions: the caller passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..types import IndustryMatch, Match, MatchResult, Mention, MentionKind
from .events import Event
from .watch import WatchTerm

#: added to the source feed's own industry
SOURCE_INDUSTRY_PRIOR = 0.05


@dataclass(frozen=True, slots=True)
class Thresholds:
    account: float = 0.5
    industry: float = 0.4
    #: the single closest industry is kept from this lower similarity
    best_industry: float = 0.25
    watch: float = 0.5
    max_matches: int = 10
    #: an article this close to one a rep rejected for the account is not matched to it
    feedback: float = 0.7


@dataclass(frozen=True, slots=True)
class AccountEvidence:
    """What the caller knows about one account for one article."""

    #: cosine similarity of the article to the account's profile
    profile_similarity: float
    #: cosine similarity of the article to the account's industry profile (None: no industry)
    industry_similarity: float | None = None
    mentions: Sequence[Mention] = ()
    #: (term, matched words) for the account's boolean watch terms that hold
    watch_hits: Sequence[tuple[WatchTerm, list[str]]] = ()
    #: (term, similarity) for the account's semantic watch terms
    semantic: Sequence[tuple[WatchTerm, float]] = ()
    vetoed: bool = False
    #: (kind, similarity) of the closest article a rep rejected for this account, if any
    rejected_like: tuple[str, float] | None = None
    #: False when the article's event is about another company (it is then not this match's)
    event_applies: bool = True
    #: False when the profile is the account's names alone: similarity to names says nothing
    #: about which company a shared or ordinary-word name means (measured on SEntFiN)
    profile_describes: bool = True


@dataclass(frozen=True, slots=True)
class ArticleEvidence:
    accounts: Mapping[str, AccountEvidence] = field(default_factory=dict)
    #: industry → similarity
    industries: Mapping[str, float] = field(default_factory=dict)
    source_industry: str | None = None
    event: Event | None = None


def _mention_reason(mentions: Sequence[Mention]) -> str:
    by_kind: dict[MentionKind, list[str]] = {}
    for m in mentions:
        by_kind.setdefault(m.kind, [])
        if m.text not in by_kind[m.kind]:
            by_kind[m.kind].append(m.text)
    parts = []
    for kind in (MentionKind.NAME, MentionKind.ALIAS, MentionKind.TICKER, MentionKind.DOMAIN):
        for text in by_kind.get(kind, []):
            label = {"ticker": "ticker ", "domain": "domain "}.get(kind.value, "")
            parts.append(f'{label}"{text}"')
    return "mentions " + ", ".join(parts)


def decide_matches(evidence: ArticleEvidence, thresholds: Thresholds) -> MatchResult:
    """Return the article's account matches and industries."""
    matches: list[Match] = []
    dropped: list[str] = []
    event = evidence.event
    for account, ev in evidence.accounts.items():
        if ev.vetoed:
            if ev.mentions or ev.watch_hits:
                dropped.append(f"{account}: an exclude term vetoes it")
            continue
        score = 0.0
        reasons: list[str] = []
        similarity = ev.profile_similarity
        confident = [m for m in ev.mentions if m.confident]
        if confident:
            score = 0.7 + 0.3 * max(0.0, min(1.0, similarity))
            reasons.append(_mention_reason(confident))
        elif ev.mentions:
            close_industry = (
                ev.industry_similarity is not None and ev.industry_similarity >= thresholds.industry
            )
            if (ev.profile_describes and similarity >= thresholds.account) or close_industry:
                score = 0.5 + 0.3 * max(0.0, min(1.0, similarity))
                reasons.append(_mention_reason(ev.mentions))
                if close_industry:
                    reasons.append(f"about its industry (similarity {ev.industry_similarity:.2f})")
            else:
                written = ", ".join(sorted({m.text for m in ev.mentions}))
                why = (
                    f"the article is not about the account (similarity {similarity:.2f})"
                    if ev.profile_describes
                    else "the account has no description or industry to decide by"
                )
                dropped.append(
                    f'{account}: "{written}" is also an ordinary word, a person\'s or another '
                    f"company's name, and {why}"
                )
        for term, hits in ev.watch_hits:
            score = max(score, 0.6)
            reasons.append(f'watch term "{term.source}" ({", ".join(hits)})')
        for term, close in ev.semantic:
            if close >= thresholds.watch:
                score = max(score, close)
                reasons.append(f'close to "~{term.semantic}" (similarity {close:.2f})')
        if score <= 0:
            continue
        if ev.rejected_like is not None and ev.rejected_like[1] >= thresholds.feedback:
            kind, close = ev.rejected_like
            dropped.append(
                f'{account}: a rep marked a similar article "{kind}" (similarity {close:.2f})'
            )
            continue
        if confident or ev.mentions:
            reasons.append(f"similarity {similarity:.2f} to the account")
        own = event if ev.event_applies else None
        if own is not None:
            reasons.append(f'{own.kind.value}: "{own.evidence}"')
        matches.append(
            Match(
                account=account,
                score=round(min(score, 1.0), 4),
                reasons=tuple(reasons),
                event=own.kind.value if own else None,
                shareable=own.shareable if own else True,
            )
        )
    matches.sort(key=lambda m: (-m.score, m.account))
    scored = {
        industry: similarity
        + (SOURCE_INDUSTRY_PRIOR if industry == evidence.source_industry else 0.0)
        for industry, similarity in evidence.industries.items()
    }
    best = max(scored, key=lambda i: scored[i], default=None)
    industries = [
        IndustryMatch(industry, round(min(similarity, 1.0), 4))
        for industry, similarity in scored.items()
        if similarity >= thresholds.industry
        or (industry == best and similarity >= thresholds.best_industry)
    ]
    industries.sort(key=lambda i: (-i.score, i.industry))
    return MatchResult(tuple(matches[: thresholds.max_matches]), tuple(industries), tuple(dropped))
