"""Does a word in this text mean the account, the company? Decided from how the text uses it.

    a confident mention (ticker, domain, a name no dictionary has, two of its names,
    capitals, "shares" after it, a list of companies)                → the company
    the name is part of a longer person's or place's name
    ("Harrison Ford", "Mekong Delta", "Snowflake, Arizona"),
    or of a hyphenated word ("Shell-shocked", not "Shell-backed")       → not the company
    one of its products or people is named ("iPhone", "Tim Cook")       → the company
    otherwise weigh, on one scale:
        similarity to the company (names, description, products, industry)
      − similarity to the closest everyday sense (fruit, weather, a river, myth, ...)
      + capitalised inside a sentence (a proper noun)          + proper_bonus
      + the entity recogniser calls it an organisation         + organisation_bonus
      − the recogniser calls it a person or a place            − person_or_place_penalty
    and say the company is meant when the sum clears ``margin``.

Lower-case uses of a capitalised name never reach here: the mention finder drops them. Does
not find mentions, entities or similarities: the caller passes them in.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..types import NAME_KINDS, Cue, Entity, EntityLabel, Mention, MentionKind, Usage

#: the everyday senses a company's name can be confused with: (label shown to a rep, text that
#: stands for it in similarity). Generic on purpose: they serve every account.
EVERYDAY_SENSES: tuple[tuple[str, str], ...] = (
    ("food or fruit", "fruit, vegetables, food, cooking, recipes, orchards, harvests and farming"),
    ("an animal", "animals, wildlife, insects, caterpillars, birds, pets and pests"),
    ("plants or gardening", "plants, trees, flowers, gardens, crops and gardening"),
    ("the weather", "weather, snow, snowflakes, rain, storms, winter and the climate"),
    ("a place", "a town, a city, a river, a delta, a rainforest, a region or a landscape"),
    ("a person", "a person: an actor, a singer, a designer, a politician or an athlete"),
    ("space", "planets, astronomy, space exploration, stars and the night sky"),
    ("myth or religion", "mythology, ancient Greece, gods, oracles, prophecy and religion"),
    ("sport", "sports, games, athletes, matches, races, runners and marathons"),
    ("weapons or war", "military, weapons, shooting, targets, shells, artillery and war"),
    ("travel or immigration", "passports, visas, immigration, borders and travel permits"),
    ("science", "chemistry, physics, elements, units of measurement and laboratories"),
    ("health", "health, medicine, illness, patients and disease"),
    ("politics", "politics, elections, parties, government and policy"),
    ("arts or entertainment", "music, films, television, books, art and celebrities"),
    ("the sea", "the sea, beaches, sea shells, fishing and boats"),
    ("a stock index", "stock market indexes and averages: points, sessions, Wall Street, the Dow"),
    ("everyday life", "home, family, school, feelings, crime and everyday life"),
)


def name_words(names: Iterable[str]) -> frozenset[str]:
    """Return every word of an account's names and products, case-folded: the words that
    continue its name without making another one ("Tata Steel" may be followed by "Steel")."""
    return frozenset(word for name in names for word in name.casefold().split())


class Verdict(enum.StrEnum):
    COMPANY = "company"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class SenseThresholds:
    """Weights of the contrastive decision (tuned on the development part of
    ``bench/eval/brands``)."""

    margin: float = 0.1
    #: capitalised inside a sentence in sentence case
    proper_bonus: float = 0.0
    #: the recogniser calls it an organisation or product
    organisation_bonus: float = 0.1
    #: the recogniser calls it a person or a place
    person_or_place_penalty: float = 0.2
    #: a verb follows it, or it is possessive: "Apple recalls", "Apple's"
    subject_bonus: float = 0.05
    #: a capitalised word that is not the account's continues or starts the name
    longer_name_penalty: float = 0.3
    #: "the Amazon", "a Caterpillar"
    article_penalty: float = 0.2


def _usage_score(
    mention: Mention, entities: Sequence[Entity], thresholds: SenseThresholds
) -> tuple[float, list[str]]:
    """Return what one mention's writing and entity type add to the decision, and in words."""
    score = 0.0
    signals: list[str] = []
    if mention.usage is Usage.PROPER:
        score += thresholds.proper_bonus
        signals.append("capitalised as a name")
    entity = _covering(mention, entities)
    if entity is not None and entity.label in (EntityLabel.ORG, EntityLabel.PRODUCT):
        score += thresholds.organisation_bonus
        signals.append("an organisation's name")
    elif entity is not None and entity.label in (EntityLabel.PERSON, EntityLabel.PLACE):
        score -= thresholds.person_or_place_penalty
        signals.append(f"read as a {entity.label.value}")
    if mention.cues & {Cue.VERB_AFTER, Cue.POSSESSIVE}:
        score += thresholds.subject_bonus
        signals.append("the subject of the sentence")
    if mention.cues & {Cue.NAME_AFTER, Cue.NAME_BEFORE}:
        score -= thresholds.longer_name_penalty
        signals.append("part of a longer name")
    if Cue.ARTICLE_BEFORE in mention.cues:
        score -= thresholds.article_penalty
        signals.append('"the" or "a" before it')
    if Cue.DETERMINER_AFTER in mention.cues:
        score -= thresholds.article_penalty
        signals.append("reads as a verb")
    return score, signals


@dataclass(frozen=True, slots=True)
class SenseEvidence:
    """What the caller knows about one account's mentions in one text."""

    #: the account's name, as a rep knows it
    account: str
    #: the account's mentions in the text (names, tickers, products, people)
    mentions: Sequence[Mention]
    #: the named entities of the text the mentions were found in
    entities: Sequence[Entity] = ()
    #: every word of the account's own names and products, folded
    own_words: frozenset[str] = frozenset()
    #: cosine similarity of the text to the account's company profile
    company_similarity: float = 0.0
    #: similarity to the closest everyday sense, and that sense's label
    other_similarity: float = 0.0
    other_sense: str = ""
    #: False when the account is its names only: no description, industry or products
    describes: bool = True


@dataclass(frozen=True, slots=True)
class Sense:
    verdict: Verdict
    #: in words a rep reads: "Apple the company: mentions iPhone"; "'apple' here means food"
    reason: str
    #: the numbers behind it, for ``clipper explain``
    detail: str = ""


_EVIDENCE_KINDS = (MentionKind.PRODUCT, MentionKind.PERSON)
_WORD = re.compile(r"[\w&'.-]+")


def _covering(mention: Mention, entities: Sequence[Entity]) -> Entity | None:
    """Return the entity that overlaps the mention, if any."""
    for entity in entities:
        if entity.start < mention.end and mention.start < entity.end:
            return entity
    return None


#: entities whose longer name around a candidate says something else is meant: "Harrison Ford",
#: "Mekong Delta" (not another organisation's: "Dow Chemical", "Target Circle" are the
#: account's own more often than a look-alike's)
_NAME_OF = {EntityLabel.PERSON: "a person's", EntityLabel.PLACE: "a place's"}


def _foreign_words(entity: Entity, mention: Mention, own: frozenset[str]) -> list[str]:
    """Return the entity's words outside the mention that are not the account's own."""
    outside = entity.text[: max(0, mention.start - entity.start)] + " "
    outside += entity.text[max(0, mention.end - entity.start) :]
    words = [w.strip(".'") for w in _WORD.findall(outside)]
    return [w for w in words if w and w.lower() not in own and w.lower() not in {"the", "'s"}]


def _place_after(mention: Mention, entities: Sequence[Entity]) -> Entity | None:
    """Return a place named right after the mention and a comma ("Snowflake, Arizona")."""
    if Cue.COMMA_AFTER not in mention.cues:
        return None
    for entity in entities:
        if entity.label is EntityLabel.PLACE and 0 < entity.start - mention.end <= 2:
            return entity
    return None


def _quoted(mentions: Sequence[Mention]) -> str:
    return ", ".join(dict.fromkeys(m.text for m in mentions))


def decide_sense(evidence: SenseEvidence, thresholds: SenseThresholds) -> Sense:
    """Return whether the account's mentions in a text mean the company, and why."""
    names = [m for m in evidence.mentions if m.kind in NAME_KINDS]
    extra = [m for m in evidence.mentions if m.kind in _EVIDENCE_KINDS]
    sure = [m for m in names if m.confident]
    # a product alone says the company ("iPhone"); a person only beside one of its names
    # ("Elon Musk" also runs SpaceX)
    sure_extra = [
        m for m in extra if m.confident and (m.kind is MentionKind.PRODUCT or bool(names))
    ]
    longer: list[tuple[Mention, Entity]] = []
    for mention in names:
        if mention.confident:
            continue  # "NTPC, Bangladesh": a list of names; "Inox Wind Rs 700": no person
        entity = _covering(mention, evidence.entities)
        if (
            entity is not None
            and entity.label in _NAME_OF
            and mention.cues & {Cue.NAME_BEFORE, Cue.NAME_AFTER}
            and _foreign_words(entity, mention, evidence.own_words)
        ):
            longer.append((mention, entity))
        elif (place := _place_after(mention, evidence.entities)) is not None:
            longer.append((mention, place))  # "Snowflake, Arizona"
    if sure:
        if sure_extra and all(m.why == "another of its names" for m in sure):
            return Sense(
                Verdict.COMPANY,
                f"{evidence.account} the company: mentions {_quoted(sure_extra)}",
            )
        return Sense(Verdict.COMPANY, _sure_reason(sure))
    # "Shell-shocked", "Visa-free": the name is part of another word
    compounds = [m for m in names if Cue.COMPOUND in m.cues and all(m is not n for n, _ in longer)]
    if names and len(longer) + len(compounds) == len(names) and not sure_extra:
        if not longer:
            return Sense(Verdict.OTHER, f'"{compounds[0].text}" here is part of a hyphenated word')
        mention, entity = longer[0]
        if entity.start >= mention.end:
            return Sense(Verdict.OTHER, f'"{mention.text}" here is a place: {entity.text}')
        return Sense(
            Verdict.OTHER,
            f'"{mention.text}" here is part of {_NAME_OF[entity.label]} name, {entity.text}',
        )
    if sure_extra:
        return Sense(
            Verdict.COMPANY, f"{evidence.account} the company: mentions {_quoted(sure_extra)}"
        )
    if not names:
        return Sense(
            Verdict.OTHER,
            f'"{_quoted(extra)}" may mean something else, and the article does not name '
            f"{evidence.account}",
        )
    if not evidence.describes:
        return Sense(
            Verdict.OTHER,
            f'"{_quoted(names or extra)}" may be an ordinary word or another name, and the '
            "account has no description, products or industry to tell",
        )
    score = evidence.company_similarity - evidence.other_similarity
    best, signals = max(
        (_usage_score(m, evidence.entities, thresholds) for m in names or extra),
        key=lambda found: found[0],
    )
    score += best
    detail = (
        f"similarity {evidence.company_similarity:.2f} to the company, "
        f"{evidence.other_similarity:.2f} to {evidence.other_sense or 'everyday senses'}"
        + (f"; {', '.join(signals)}" if signals else "")
        + f"; score {score:+.2f} against {thresholds.margin:+.2f}"
    )
    written = _quoted(names or extra)
    if score >= thresholds.margin:
        how = " and ".join(signals[:1] + ["the article is about its business"])
        return Sense(
            Verdict.COMPANY, f'"{written}" is {evidence.account} the company: {how}', detail
        )
    if evidence.other_sense:
        return Sense(
            Verdict.OTHER, f'"{written.lower()}" here means {evidence.other_sense}', detail
        )
    return Sense(Verdict.OTHER, f'"{written}" here is not {evidence.account} the company', detail)


def _sure_reason(sure: Sequence[Mention]) -> str:
    """Say in words why confident mentions name the company."""
    parts = []
    for m in sure:
        if m.kind is MentionKind.TICKER:
            parts.append(f'ticker "{m.text}"')
        elif m.kind is MentionKind.DOMAIN:
            parts.append(f'domain "{m.text}"')
        elif m.why and m.why != "a name that is no ordinary word":
            parts.append(f'"{m.text}" ({m.why})')
        else:
            parts.append(f'"{m.text}"')
    return "mentions " + ", ".join(dict.fromkeys(parts))
