"""Matching wiring: account mentions, embeddings and watch terms into ``logic.matching``.

    finder   = mention finder over every account's names, aliases, tickers, domains
    profiles = embed(account profiles, industry profiles, semantic watch terms)   # cached
    for a batch of articles:
        vectors  = embed(title + text)                                           # cached
        sims     = vectors @ profiles.T                                          # whole matrices
        evidence = mentions, watch hits and similarities per article and account
        result   = logic.matching.decide_matches(evidence, thresholds)

Does not store anything and does not choose adapters: ``make_clipper`` passes the mention
finder factory and the embedding cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from .config import Account, Config
from .embeddings import EmbeddingCache
from .exceptions import CommandUsageError
from .logic.events import event_scope, main_event
from .logic.matching import (
    AccountEvidence,
    ArticleEvidence,
    IndustryEvidence,
    Thresholds,
    decide_matches,
)
from .logic.sense import (
    EVERYDAY_SENSES,
    SenseEvidence,
    SenseThresholds,
    decide_sense,
    name_words,
)
from .logic.stories import StoryPolicy, group_stories, same_story_pairs
from .logic.watch import WatchTerm, parse_watch
from .ports import EntityRecognizerType, MentionFinderType
from .types import (
    NAME_KINDS,
    AccountNames,
    ArticleText,
    ArticleToMatch,
    Entity,
    MatchResult,
    Mention,
)

MentionFinderFactory = Callable[[Sequence[AccountNames]], MentionFinderType]
#: characters of article text embedded after the title (the model reads ~256 tokens)
TEXT_CHARS = 1000


def account_profile(account: Account, industry_description: str | None) -> str:
    """Return the text that stands for an account in similarity: its names, its description
    and its industry's."""
    names = ", ".join(dict.fromkeys([account.name, *account.aliases]))
    products = f"Products: {', '.join(account.products)}." if account.products else ""
    about = " ".join(d for d in (account.description, products, industry_description) if d)
    return f"{names}. {about}" if about else names


@dataclass(frozen=True)
class _Profiles:
    accounts: tuple[Account, ...]
    account_vectors: NDArray[np.float32]
    industries: tuple[str, ...]
    #: one row per description and per example headline; ``industry_rows[n]`` are industry n's
    industry_vectors: NDArray[np.float32]
    industry_rows: tuple[tuple[int, ...], ...]
    #: each industry's keywords as one case-insensitive whole-word pattern (None: none)
    industry_keywords: tuple[re.Pattern[str] | None, ...]
    watch: tuple[tuple[str, WatchTerm], ...]  # (account, term) for boolean terms
    semantic: tuple[tuple[str, WatchTerm], ...]  # (account, term) for ~terms
    semantic_vectors: NDArray[np.float32]
    sense_vectors: NDArray[np.float32]
    #: every word of each account's names and products, folded
    own_words: dict[str, frozenset[str]]


class Matcher:
    """Links articles to the configured accounts and industries."""

    def __init__(
        self,
        config: Config,
        embeddings: EmbeddingCache,
        make_finder: MentionFinderFactory,
        recognizer: EntityRecognizerType,
        sense_thresholds: SenseThresholds | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.sense_thresholds = sense_thresholds or SenseThresholds()
        self.config = config
        self.embeddings = embeddings
        matching = config.settings.matching
        self.thresholds = Thresholds(
            industry=matching.industry_threshold,
            best_industry=matching.best_industry_threshold,
            watch=matching.watch_threshold,
            max_matches=matching.max_matches_per_article,
            feedback=matching.feedback_similarity,
            industry_keywords=matching.industry_keyword_bonus,
        )
        self.story_policy = StoryPolicy(window=timedelta(seconds=matching.same_story_window))
        self.finder = make_finder(
            [
                AccountNames(
                    a.name, a.aliases, a.tickers, a.domains, a.exclude, a.products, a.people
                )
                for a in config.accounts
            ]
        )
        self._profiles: _Profiles | None = None
        self._terms_version = -1

    def _load_profiles(self) -> _Profiles:
        version = self.embeddings.storage.watch_terms_version()
        if self._profiles is not None and version == self._terms_version:
            return self._profiles
        self._terms_version = version
        catalogs = self.config.industries
        accounts = tuple(self.config.accounts)
        texts = [
            account_profile(a, catalogs[a.industry].description if a.industry in catalogs else None)
            for a in accounts
        ]
        industries = tuple(catalogs)
        industry_texts: list[str] = []
        industry_rows: list[tuple[int, ...]] = []
        for industry in industries:
            own = [catalogs[industry].description or industry.replace("-", " ")]
            own += [e for e in catalogs[industry].examples if e.strip()]
            industry_rows.append(tuple(range(len(industry_texts), len(industry_texts) + len(own))))
            industry_texts += own
        watch: list[tuple[str, WatchTerm]] = []
        semantic: list[tuple[str, WatchTerm]] = []
        known = {a.name for a in accounts}
        stored = [
            (added.account, added.term)
            for added in self.embeddings.storage.watch_terms()
            if added.account in known
        ]
        configured = [(a.name, source) for a in accounts for source in a.watch]
        for name, source in dict.fromkeys(configured + stored):
            try:
                term = parse_watch(source)
            except CommandUsageError:
                continue  # checked when it was added; a stored term never stops matching
            (semantic if term.semantic else watch).append((name, term))
        senses = [text for _label, text in EVERYDAY_SENSES]
        vectors = self.embeddings.embed(
            texts + industry_texts + senses + [term.semantic or "" for _, term in semantic]
        )
        a, i, e = len(texts), len(industry_texts), len(senses)
        self._profiles = _Profiles(
            accounts=accounts,
            account_vectors=vectors[:a],
            industries=industries,
            industry_vectors=vectors[a : a + i],
            industry_rows=tuple(industry_rows),
            industry_keywords=tuple(_keywords(catalogs[n].keywords) for n in industries),
            watch=tuple(watch),
            semantic=tuple(semantic),
            sense_vectors=vectors[a + i : a + i + e],
            semantic_vectors=vectors[a + i + e :],
            own_words={
                account.name: name_words((account.name, *account.aliases, *account.products))
                for account in accounts
            },
        )
        return self._profiles

    def _rejections(self) -> dict[str, tuple[list[str], NDArray[np.float32]]]:
        """Return, per account, the feedback kinds and vectors of the articles reps rejected."""
        given = self.embeddings.storage.feedback_texts()
        if not given:
            return {}
        vectors = self.embeddings.embed([f.text for f in given])
        by_account: dict[str, tuple[list[str], list[int]]] = {}
        for row, feedback in enumerate(given):
            kinds, rows = by_account.setdefault(feedback.account, ([], []))
            kinds.append(feedback.kind)
            rows.append(row)
        return {a: (kinds, vectors[rows]) for a, (kinds, rows) in by_account.items()}

    def match(self, articles: Sequence[ArticleText]) -> list[MatchResult]:
        """Return one result per article, in order."""
        if not articles:
            return []
        profiles = self._load_profiles()
        rejections = self._rejections()
        vectors = self.embeddings.embed([embedding_text(a.title, a.text) for a in articles])
        account_sims = _dot(vectors, profiles.account_vectors)
        industry_sims = _dot(vectors, profiles.industry_vectors)
        semantic_sims = _dot(vectors, profiles.semantic_vectors)
        sense_sims = _dot(vectors, profiles.sense_vectors)
        index = {a.name: n for n, a in enumerate(profiles.accounts)}
        texts = [f"{article.title}\n{article.text}" for article in articles]
        found = [self.finder.find(text) for text in texts]
        # entity types only where a candidate name needs them: one pipeline pass per batch
        unsure = [
            row
            for row, mentions in enumerate(found)
            if any(not m.confident and m.kind in NAME_KINDS for m in mentions)
        ]
        entities: dict[int, list[Entity]] = dict(
            zip(unsure, self.recognizer.entities([texts[row] for row in unsure]), strict=True)
        )
        results = []
        for row, article in enumerate(articles):
            text = texts[row]
            lead = lead_text(article.title, article.text)
            event = main_event(article.title, article.text)
            by_account: dict[str, list[Mention]] = {}
            for mention in found[row]:
                by_account.setdefault(mention.account, []).append(mention)
            hits: dict[str, list[tuple[WatchTerm, list[str]]]] = {}
            for account, term in profiles.watch:
                words = term.matches(text)
                if words is not None:
                    hits.setdefault(account, []).append((term, words))
            close: dict[str, list[tuple[WatchTerm, float]]] = {}
            for n, (account, term) in enumerate(profiles.semantic):
                close.setdefault(account, []).append((term, float(semantic_sims[row, n])))
            best_sense = int(np.argmax(sense_sims[row]))
            evidence: dict[str, AccountEvidence] = {}
            for name in set(by_account) | set(hits) | set(close):
                config_account = profiles.accounts[index[name]]
                industry = config_account.industry
                similarity = float(account_sims[row, index[name]])
                sense = None
                if name in by_account:
                    sense = decide_sense(
                        SenseEvidence(
                            account=name,
                            mentions=by_account[name],
                            entities=entities.get(row, ()),
                            own_words=profiles.own_words[name],
                            company_similarity=similarity,
                            other_similarity=float(sense_sims[row, best_sense]),
                            other_sense=EVERYDAY_SENSES[best_sense][0],
                            describes=bool(
                                config_account.description
                                or config_account.products
                                or industry in self.config.industries
                            ),
                        ),
                        self.sense_thresholds,
                    )
                evidence[name] = AccountEvidence(
                    profile_similarity=similarity,
                    mentions=by_account.get(name, ()),
                    sense=sense,
                    watch_hits=hits.get(name, ()),
                    semantic=close.get(name, ()),
                    vetoed=any(t.lower() in text.lower() for t in config_account.exclude),
                    rejected_like=_closest(vectors[row], rejections.get(name)),
                    event=(
                        main_event(
                            article.title, article.text, about=[m.start for m in by_account[name]]
                        )
                        if name in by_account
                        else event
                    ),
                )
            results.append(
                decide_matches(
                    ArticleEvidence(
                        accounts=evidence,
                        industries={
                            name: IndustryEvidence(
                                similarity=float(industry_sims[row, rows].max()),
                                keywords=_found(profiles.industry_keywords[n], lead),
                            )
                            for n, (name, rows) in enumerate(
                                zip(profiles.industries, profiles.industry_rows, strict=True)
                            )
                        },
                        source_industry=article.source_industry,
                    ),
                    self.thresholds,
                )
            )
        return results


def _keywords(words: Sequence[str]) -> re.Pattern[str] | None:
    """Return one whole-word pattern for ``words`` (None for none): case-insensitive, except
    that a keyword written in capitals matches only in capitals ("IT" is not "it")."""
    words = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not words:
        return None
    parts = [
        f"(?-i:{re.escape(w)})"
        if w.isupper() and sum(c.isalpha() for c in w) >= 2
        else re.escape(w)
        for w in words
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.I)


def lead_text(title: str, text: str) -> str:
    """Return the headline and lead sentence, where industry keywords are looked for (the
    same place as the article's event)."""
    full = f"{title}\n{text}"
    return " ".join(full[start:end] for start, end in event_scope(title, text))


def _found(pattern: re.Pattern[str] | None, text: str) -> tuple[str, ...]:
    """Return the distinct words ``pattern`` finds in ``text``, as written there."""
    if pattern is None:
        return ()
    return tuple(dict.fromkeys(m.group(0) for m in pattern.finditer(text)))


def embedding_text(title: str, text: str) -> str:
    """Return the text that stands for an article in similarity (and the cache)."""
    return f"{title}. {text[:TEXT_CHARS]}".strip()


def assign_stories(
    embeddings: EmbeddingCache,
    policy: StoryPolicy,
    new: Sequence[ArticleToMatch],
    recent: Sequence[tuple[ArticleToMatch, int]],
    now: datetime,
) -> dict[int, int]:
    """Return a story id for each new article: a recent story it continues, else the id of the
    first new article of its group (its own id when it stands alone)."""
    items = [article for article, _story in recent] + list(new)
    if not new:
        return {}
    vectors = embeddings.embed([embedding_text(a.title, a.text) for a in items])
    pairs = same_story_pairs(
        vectors, [a.title for a in items], [a.published_at or now for a in items], policy
    )
    labels = group_stories(len(items), pairs)
    story_of_label: dict[int, int] = {}
    for index, (_article, story) in enumerate(recent):
        story_of_label.setdefault(labels[index], story)
    stories = {}
    for offset, article in enumerate(new):
        label = labels[len(recent) + offset]
        stories[article.id] = story_of_label.setdefault(label, items[label].id)
    return stories


def _closest(
    vector: NDArray[np.float32], rejected: tuple[list[str], NDArray[np.float32]] | None
) -> tuple[str, float] | None:
    if rejected is None:
        return None
    kinds, matrix = rejected
    sims = matrix @ vector
    best = int(np.argmax(sims))
    return kinds[best], float(sims[best])


def _dot(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float32]:
    if b.size == 0:
        return np.zeros((a.shape[0], 0), dtype=np.float32)
    return a @ b.T
