"""Account mentions in one pass over all accounts: pyahocorasick, word boundaries, case rules.

Names and aliases are matched case-insensitively on word boundaries (``(?<!\\w)…(?!\\w)``, so
"Yahoo!" and "AT&T" work and a possessive "'s" is allowed); where names overlap, the longest one
wins ("State Bank of India" over "Bank of India", "Tech Mahindra" over "Mahindra", "Kirloskar Oil
Engines" over "Oil"). Acronyms (all capitals) match only in capitals. Tickers match as ``$TICK``,
``(NYSE: TICK)``, ``<TICK>``, and as a bare capitalised token only when they cannot be read as an
ordinary word or another account's name; domains match as written. A name that is an ordinary
English word (by word frequency), very short, or shared by several accounts is reported as a
candidate, not a confident mention, unless the same text also names that account another way
(a second alias, its ticker or its domain) or prints a capitals-only name ("SAIL", "TCS") in
capitals in text that is not itself in capitals, and the name is neither shared nor a generic
acronym (CEO, IPO, GDP...). ``exclude`` terms veto an account's mentions.

Does not decide whether a candidate is right from meaning: the matching stage's similarity does.
Over 500 lines because it is one concept, finding account names in text: the case, boundary,
overlap and common-word rules depend on each other and are read together.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import ahocorasick

from ..logic.sense import name_words
from ..types import NAME_KINDS, AccountNames, Cue, Mention, MentionKind, Usage
from .spacy_package import DEFAULT_PIPELINE, data_folder

#: without a dictionary, a name at least this frequent in English (wordfreq's Zipf scale) is an
#: ordinary word
COMMON_WORD_ZIPF = 3.5
#: a word this frequent is a function word ("next", "one"), whatever a dictionary says
FUNCTION_WORD_ZIPF = 6.0
#: a short name made by dropping a legal form must be rarer than this ("News Corp": not "News")
SHORT_NAME_MAX_ZIPF = 5.3
#: two letters this frequent are a word first ("on", "us"), never a bare ticker
TWO_LETTER_WORD_ZIPF = 4.5
#: names this short are candidates only
SHORT_NAME = 3
#: wordfreq's list of words seen at least once per million (Zipf 3 and up): every threshold above
#: is over 3, and its frequencies equal the full list's ("large", 100x the words), so each test
#: gives the same answer; loading it takes ~0.02 s instead of ~0.2 s (``clipper explain``)
WORDLIST = "small"
EXCHANGES = (
    "NYSE|NASDAQ|Nasdaq|NYSE American|AMEX|NSE|BSE|LSE|LON|TSX|TSE|ASX|HKEX|SGX|FWB|XETRA|"
    "Euronext|SIX|OTC|OTCQX|TYO|KRX|SSE|SZSE"
)
_TICKER = r"[A-Z][A-Z0-9]{0,5}(?:\.[A-Z]{1,2})?"
#: "$NVDA", "(NYSE: TGT)", "<IBM>": a ticker named as one; one pass over the text
_EXPLICIT_TICKER = re.compile(
    rf"(?<![\w$])\$({_TICKER})(?!\w)|\((?:{EXCHANGES})\s*:\s*({_TICKER})\)|<({_TICKER})>"
)
#: a bare capitalised token that may be a ticker ("NVDA rallies")
_BARE_TICKER = re.compile(r"(?<![\w$<])[A-Z]{2,6}(?![\w>])")
#: capitals that news prints for things that are not companies: never strong on their own
GENERIC_ACRONYMS = frozenset(
    """AI AGM API B2B CAGR CEO CFO CIO CMD COO CPI CTO DNA EBITDA EGM EPS ESG ETF EU EV FDA FDI FII
    FMCG FY GDP GST HR IMF IPO IT LNG MD NAV NPA OPEC PE PMI PR QIP RBI SEC SME SUV TV UK UN US USA
    USD VAT WHO YOY""".split()
)
#: capitals that are everyday tech or institutions first: as bare tickers only candidates
#: ("USB shares rise" is U.S. Bancorp; "install iOS over USB" is not)
EVERYDAY_ACRONYMS = frozenset(
    """ATM CPU DVD FAQ FBI GPS GPU HDMI HTML LCD LED NASA NATO NBA NFC NFL NHL PC PDF RAM SIM SSD
    URL USB VPN""".split()
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\uff06": "&"})


@dataclass(frozen=True, slots=True)
class _Term:
    account: str
    surface: str
    kind: MentionKind
    #: the surface has capitals only: it must appear in capitals
    acronym: bool
    #: an ordinary word, very short, or shared: a candidate until context agrees
    weak: bool
    #: made of ordinary words ("Central Bank"): never matched in all lower case
    capitalised: bool = False
    #: written in capitals, one account's, not a generic acronym: strong when the text prints
    #: it in capitals ("SAIL", "TCS") and is not itself in capitals
    capitals_strong: bool = False


def _fold(text: str) -> str:
    """Lower-case character by character, so offsets in the folded text match the original."""
    text = text.translate(_APOSTROPHES)
    lowered = text.lower()
    if len(lowered) == len(text):  # the usual case: no character changes length when lowered
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """English words the finder reads context with (WordNet 3.0 lemmas, lower case)."""

    #: nouns, verbs, adjectives and adverbs
    words: frozenset[str]
    verbs: frozenset[str]
    nouns: frozenset[str] = frozenset()


#: spaCy's ``hash_string`` of the part-of-speech names keying its ``lemma_index`` table
_POS_KEYS = {6360137228241296794: "verb", 16833663260455505849: "noun"}


@functools.cache
def load_lexicon(package: str = DEFAULT_PIPELINE) -> Lexicon | None:
    """Return the WordNet lemmas in the English spaCy pipeline's lemmatizer lookups, or None
    when the pipeline is not installed. Reads data only, once per process; runs no package
    code."""
    folder = data_folder(package)
    found = sorted(folder.glob("lemmatizer/lookups/lookups.bin")) if folder is not None else []
    if not found:
        return None
    import msgpack  # what spaCy's srsly wraps; plain msgpack spares srsly's imports (~0.05 s)

    tables = msgpack.unpackb(found[0].read_bytes(), raw=False, strict_map_key=False)
    words: set[str] = set()
    verbs: set[str] = set()
    nouns: set[str] = set()
    for key, lemmas in tables.get("lemma_index", {}).items():
        single = {w for w in lemmas if isinstance(w, str) and "_" not in w}
        words |= single
        if _POS_KEYS.get(key) == "verb":
            verbs |= single
        elif _POS_KEYS.get(key) == "noun":
            nouns |= single
    return Lexicon(frozenset(words), frozenset(verbs), frozenset(nouns)) if words else None


@functools.cache
def _english_frequencies() -> dict[str, float]:
    """Return wordfreq's ``WORDLIST`` English list as {word: frequency}, read from its data file
    as ``wordfreq.get_frequency_dict`` reads it, without importing wordfreq: its import
    (language tables, ftfy, regex) is ~0.25 s of every ``clipper explain``. Does not tokenise."""
    import gzip
    import importlib.util

    import msgpack

    spec = importlib.util.find_spec("wordfreq")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(spec.submodule_search_locations[0]) / "data" / f"{WORDLIST}_en.msgpack.gz"
    with gzip.open(path, "rb") as handle:
        pack = msgpack.load(handle, raw=False)
    header = pack[0]
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        return {}  # a wordfreq with another format: zipf_frequency asks wordfreq itself
    # each list holds the words of one frequency in centibels: -index, as wordfreq reads it
    return {word: 10 ** (-index / 100) for index, bucket in enumerate(pack[1:]) for word in bucket}


def zipf_frequency(word: str) -> float:
    """Return ``wordfreq.zipf_frequency(word, "en", wordlist=WORDLIST)``: looked up directly for a
    word of ASCII letters (one token, lower-cased: every name word this module asks about), from
    wordfreq itself for anything else. ``tests/test_cold_start.py`` holds the two equal."""
    frequencies = _english_frequencies()
    if not (word.isascii() and word.isalpha()) or not frequencies:
        from wordfreq import zipf_frequency as wordfreq_zipf

        return float(wordfreq_zipf(word, "en", wordlist=WORDLIST))
    # wordfreq's arithmetic, step by step: an unknown word gets the floor (Zipf 0); a known one's
    # frequency goes through the tokens' combination (1/f) and is rounded to 3 significant
    # digits; the Zipf value is rounded to 2 decimals
    floor = 10**0 / 1e9
    found = frequencies.get(word.lower())
    if found is None:
        frequency = floor
    else:
        frequency = max(1.0 / (1.0 / found), floor)
        frequency = round(frequency, math.floor(-math.log(frequency, 10)) + 3)
    return round(math.log(frequency, 10) + 9, 2)


def default_common_word(lexicon: Lexicon | None = None) -> Callable[[str], bool]:
    """Return a test for names that are also ordinary English words: a WordNet lemma (noun,
    verb, adjective or adverb: "apple", "delta", "target", "ford") or one of the most frequent
    words ("next", "one"). Frequency alone does not make a brand ordinary: "Microsoft" and
    "Facebook" are frequent, and no dictionary has them.

    Without the lexicon the test falls back to word frequency alone.
    """
    lemmas = lexicon.words if lexicon is not None else None

    def common(name: str) -> bool:
        words = name.split()
        if len(words) != 1:
            return False
        word = words[0]
        if zipf_frequency(word) >= FUNCTION_WORD_ZIPF:
            return True
        if lemmas is None:
            return zipf_frequency(word) >= COMMON_WORD_ZIPF
        return word in lemmas

    return common


def short_names(name: str) -> list[str]:
    """Return the shorter forms the press uses for a name as a CRM gives it: without a share
    class, a leading "The", trailing legal forms or a country ("Apple Inc." → "Apple", "Home
    Depot (The)" → "Home Depot", "Block, Inc." → "Block", "T-Mobile US" → "T-Mobile")."""
    found: list[str] = []
    short = re.sub(r"\s*\((?:Class [A-Z]|The)\)$", "", name).strip()
    short = re.sub(r"^The\s+", "", short)
    while True:
        stripped = re.sub(r",?\s+(?:[A-Za-z]+\.?|&\s*Co\.?)$", "", short)
        tail = short[len(stripped) :].strip(" ,.&")
        last = tail.lower().rstrip(".")
        known = last in _LEGAL_FORMS_CO or (last in _COUNTRY_FORMS and tail.isupper())
        if stripped == short or not stripped or not known:
            break
        short = stripped.rstrip(" ,")
    if short != name and len(short) >= 2 and short.lower().rstrip(".") not in _LEGAL_FORMS:
        found.append(short)
    return found


class MentionIndex:
    """Finds every configured account's mentions in a text. Build once, query many times."""

    def __init__(
        self,
        accounts: Sequence[AccountNames],
        *,
        common_word: Callable[[str], bool] | None = None,
    ) -> None:
        lexicon = load_lexicon()
        is_common = common_word or default_common_word(lexicon)
        self._verbs = lexicon.verbs if lexicon is not None else frozenset()
        self._nouns = lexicon.nouns if lexicon is not None else frozenset()
        owners: dict[str, set[str]] = defaultdict(set)
        named: list[tuple[AccountNames, list[tuple[str, MentionKind]]]] = []
        for account in accounts:
            names = [(account.name, MentionKind.NAME)]
            names += [(alias, MentionKind.ALIAS) for alias in account.aliases]
            given = {_fold(n) for n, _ in names}
            for surface in (account.name, *account.aliases):
                names += [
                    (short, MentionKind.ALIAS)
                    for short in short_names(surface)
                    if _fold(short) not in given and not _very_frequent(short)
                ]
            names = list(dict.fromkeys((" ".join(n.split()), k) for n, k in names))
            for surface, _kind in names:
                owners[_fold(surface)].add(account.name)
            names += [(" ".join(p.split()), MentionKind.PRODUCT) for p in account.products]
            names += [(" ".join(p.split()), MentionKind.PERSON) for p in account.people]
            named.append((account, names))
        self._automaton = ahocorasick.Automaton()
        terms: dict[str, list[_Term]] = defaultdict(list)
        for account, names in named:
            for surface, kind in names:
                key = _fold(surface)
                if len(key) < 2 or key.rstrip(".") in _LEGAL_FORMS:
                    continue  # "Co" or "Corp" alone names no company
                letters = [c for c in surface if c.isalpha()]
                # short capitals ("SBI", "IT") only in capitals; longer ones ("SEBI") as the press
                # writes them ("Sebi")
                acronym = bool(letters) and surface.isupper() and len(letters) <= SHORT_NAME
                words = key.split()
                common_words = all(is_common(word) for word in words)
                shared = len(owners.get(key, ())) > 1
                weak = (
                    len(key) <= SHORT_NAME
                    or (shared and len(words) == 1)
                    or (len(words) == 1 and common_words)
                )
                capitals_strong = (
                    surface.isupper()
                    and sum(c.isalpha() for c in surface) >= 2
                    and not shared
                    and surface not in GENERIC_ACRONYMS
                )
                terms[key].append(
                    _Term(
                        account.name,
                        surface,
                        kind,
                        acronym,
                        weak,
                        capitalised=common_words or surface != surface.lower(),
                        capitals_strong=capitals_strong,
                    )
                )
            for domain in account.domains:
                key = _fold(domain)
                terms[key].append(_Term(account.name, domain, MentionKind.DOMAIN, False, False))
        for key, found in terms.items():
            self._automaton.add_word(key, (len(key), tuple(found)))
        if terms:
            self._automaton.make_automaton()
        self._empty = not terms
        #: every word of each account's own names: "Tata Steel" may be followed by "Steel"
        self._own_words = {
            account.name: name_words(
                _fold(n)
                for n, kind in names
                if kind in (MentionKind.NAME, MentionKind.ALIAS, MentionKind.PRODUCT)
            )
            for account, names in named
        }
        self._explicit_tickers, self._bare_tickers = self._ticker_tables(
            accounts, owners, is_common
        )
        self._excludes = [
            (account.name, [_fold(term) for term in account.exclude if term.strip()])
            for account in accounts
            if account.exclude
        ]

    @staticmethod
    def _ticker_tables(
        accounts: Sequence[AccountNames],
        owners: dict[str, set[str]],
        is_common: Callable[[str], bool],
    ) -> tuple[dict[str, str], dict[str, tuple[str, bool]]]:
        """Return ticker → account for explicit forms, and ticker → (account, weak) for bare
        capitalised tokens (two letters, or a word: a candidate only)."""
        by_ticker: dict[str, set[str]] = defaultdict(set)
        for account in accounts:
            for ticker in account.tickers:
                by_ticker[ticker.upper()].add(account.name)
        explicit: dict[str, str] = {}
        bare: dict[str, tuple[str, bool]] = {}
        for ticker, names in by_ticker.items():
            if len(names) > 1:
                continue  # the same ticker on two accounts (different exchanges): not evidence
            (owner,) = names
            explicit[ticker] = owner
            if (
                len(ticker) >= 2
                and ticker.isalpha()
                and ticker not in GENERIC_ACRONYMS
                and _fold(ticker) not in owners
            ):
                if len(ticker) == 2 and _two_letter_word(ticker):
                    continue  # "IT", "ON", "GO": words first
                bare[ticker] = (
                    owner,
                    len(ticker) == 2 or ticker in EVERYDAY_ACRONYMS or is_common(ticker.lower()),
                )
        return explicit, bare

    def _group_company(self, text: str, account: str, end: int) -> bool:
        """True when the name is followed by a line of business its account's names lack:
        "HDFC Securities" for HDFC, "Adani Ports" for Adani Enterprises."""
        found = _NEXT_WORD.match(text, end)
        if found is None:
            return False
        word = found.group(1).lower()
        return word in _BUSINESS_WORDS and word not in self._own_words[account]

    def _is_verb_form(self, word: str) -> bool:
        """True when a word reads as a verb after a subject: "recalls", "opened", "to"."""
        lower = word.lower()
        if lower in _AUXILIARIES:
            return True
        for ending, stem in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e")):
            if lower.endswith(ending) and lower[: len(lower) - len(ending)] + stem in self._verbs:
                return not (ending == "s" and lower.endswith("ss"))
        return lower in {"cut", "set", "put", "hit", "quit", "shut", "bet"}

    def _compound(self, word: str) -> bool:
        """True when a word hyphen-joined after a name makes another word ("shocked", "free"),
        not a company's compound ("backed", "exclusive") or a second name ("Google")."""
        lower = word.lower()
        if lower in _COMPANY_COMPOUNDS:
            return False
        # a capital after the hyphen is a second name: "Apple-Google", "Ford-Firestone" (and in
        # a Title Case headline "Visa-Free" cannot be told from them)
        return not word[:1].isupper()

    def _cues(self, text: str, start: int, end: int, term: _Term) -> frozenset[Cue]:
        """Return what the words right around a name say (see ``Cue``)."""
        if term.kind not in _OWN_NAME_KINDS:
            return frozenset()
        cues: set[Cue] = set()
        own = self._own_words[term.account]
        if text.startswith(("'s", "’s"), end):
            cues.add(Cue.POSSESSIVE)
        if _COMMA_NAME.match(text, end):
            cues.add(Cue.COMMA_AFTER)
        joined = _HYPHEN_WORD.match(text, end)
        if joined is not None and self._compound(joined.group(1)):
            cues.add(Cue.COMPOUND)
        after = _WORD_AFTER.match(text, end)
        if after is not None:
            word = after.group(2)
            lower = word.lower()
            if lower in _DETERMINERS and not after.group(1):
                cues.add(Cue.DETERMINER_AFTER)  # "Discover the hidden costs": a verb
            elif self._is_verb_form(word):
                cues.add(Cue.VERB_AFTER)
            elif (
                not after.group(1)  # "Shell's Pernis refinery": a new phrase
                and word[:1].isupper()
                and word[1:].islower()
                and lower not in own
                and lower.rstrip(".") not in _LEGAL_FORMS
                and lower not in _FUNCTION_WORDS
                and lower not in _CALENDAR
                and not (lower in self._verbs and lower not in self._nouns)
            ):
                cues.add(Cue.NAME_AFTER)
        before = _word_before(text, start)
        if before is not None:
            word_start, word = before
            head = _char_before(text, word_start, str.isspace)
            if word.lower() in ("the", "a", "an"):
                cues.add(Cue.ARTICLE_BEFORE)
            elif (
                head
                and head not in ".!?:;|\n\"“‘'(–—-"
                and word[:1].isupper()
                and word.lower() not in own
                and word.lower() not in _FUNCTION_WORDS
                and not self._is_verb_form(word)
            ):
                cues.add(Cue.NAME_BEFORE)
        return frozenset(cues)

    def find(self, text: str) -> list[Mention]:
        """Return the mentions in ``text``, left to right, overlaps resolved longest-first.

        Runs of white space count as one space, so a name split by a line break or a double
        space is found; offsets are into ``text`` as given.
        """
        squeezed, offsets = _squeeze(text)
        mentions = self._find(squeezed)
        if offsets is None:
            return mentions
        return [replace(m, start=offsets[m.start], end=offsets[m.end - 1] + 1) for m in mentions]

    def _find(self, text: str) -> list[Mention]:
        folded = _fold(text)
        shouting: bool | None = None  # computed once, when a name in capitals needs it
        title_case = functools.cache(lambda: _title_case(text))  # once, when a rule needs it
        lower_text = text == text.lower()
        hits: list[tuple[int, int, _Term]] = []
        if not self._empty:
            for end, (length, found) in self._automaton.iter(folded):
                start = end - length + 1
                if start > 0 and _is_word_char(folded[start - 1]):
                    continue
                if end + 1 < len(folded) and _is_word_char(folded[end + 1]):
                    continue
                written = text[start : end + 1]
                for term in found:
                    if term.acronym and written != written.upper():
                        continue
                    if term.capitalised and written.islower() and not lower_text:
                        continue  # "shell companies" is not Shell, "a caterpillar" not Caterpillar
                    if term.weak and term.capitals_strong and written.isupper():
                        if shouting is None:
                            shouting = _mostly_capitals(text)
                        if not shouting:
                            term = replace(term, weak=False)  # "SAIL" in capitals: not "sail"
                    if (
                        not term.weak
                        and term.kind in _OWN_NAME_KINDS
                        and (
                            _looks_like_a_person(text, term, end + 1, title_case)
                            or _inside_longer_name(text, start, title_case)
                            or self._group_company(text, term.account, end + 1)
                        )
                    ):
                        term = replace(term, weak=True)
                    hits.append((start, end + 1, term))
        if self._explicit_tickers:
            for found in _EXPLICIT_TICKER.finditer(text):
                ticker = next(g for g in found.groups() if g)
                owner = self._explicit_tickers.get(ticker)
                if owner is not None:
                    term = _Term(owner, found.group(0), MentionKind.TICKER, True, False)
                    hits.append((found.start(), found.end(), term))
        if self._bare_tickers:
            for found in _BARE_TICKER.finditer(text):
                known = self._bare_tickers.get(found.group(0))
                if known is not None:
                    owner, weak = known
                    term = _Term(owner, found.group(0), MentionKind.TICKER, True, weak)
                    hits.append((found.start(), found.end(), term))
        chosen = _longest_first(hits)
        vetoed = {
            account for account, terms in self._excludes if any(term in folded for term in terms)
        }
        strong_evidence: dict[str, set[str]] = defaultdict(set)
        for _start, _end, term in chosen:
            if term.kind in NAME_KINDS or not term.weak:
                strong_evidence[term.account].add(_fold(term.surface))
        why = [
            _strength(term)
            if not term.weak
            else "another of its names"
            if len(strong_evidence[term.account]) > 1
            else ""
            for _s, _e, term in chosen
        ]
        _promote_by_context(text, chosen, why)
        mentions = []
        lines = _Lines(text)
        for (start, end, term), reason in zip(chosen, why, strict=True):
            if term.account in vetoed:
                continue
            mentions.append(
                Mention(
                    account=term.account,
                    text=text[start:end],
                    start=start,
                    end=end,
                    kind=term.kind,
                    confident=bool(reason),
                    # only a candidate is decided by how it is written (logic.sense)
                    usage=Usage.UNKNOWN if reason else _usage(text, start, end, lines),
                    cues=frozenset() if reason else self._cues(text, start, end, term),
                    why=reason,
                )
            )
        return mentions


def _very_frequent(name: str) -> bool:
    """True for a one-word name as frequent as "news" or "first": "News Corp" never goes by
    "News" alone, so no short name is made of it."""
    return name.isalpha() and zipf_frequency(name) >= SHORT_NAME_MAX_ZIPF


def _two_letter_word(token: str) -> bool:
    """True when two letters are a frequent English word or abbreviation ("on", "us", "pm")."""
    return zipf_frequency(token.lower()) >= TWO_LETTER_WORD_ZIPF


def _strength(term: _Term) -> str:
    """Say why a mention that is not weak is sure."""
    if term.kind is MentionKind.TICKER:
        return "ticker"
    if term.kind is MentionKind.DOMAIN:
        return "domain"
    if term.capitals_strong and term.surface.isupper():
        return "in capitals"
    return "a name that is no ordinary word"


def _squeeze(text: str) -> tuple[str, list[int] | None]:
    """Return ``text`` with each run of white space as one space, and the offset in ``text`` of
    each character kept (None when nothing changed)."""
    if "  " not in text and not any(c in text for c in "\n\r\t\u00a0"):
        return text, None
    kept: list[str] = []
    offsets: list[int] = []
    for n, c in enumerate(text):
        if c.isspace():
            if kept and kept[-1] == " ":
                if c == "\n" and offsets:  # keep a line break: sentences end there
                    kept[-1] = "\n"
                continue
            kept.append("\n" if c == "\n" else " ")
        else:
            kept.append(c)
        offsets.append(n)
    return "".join(kept), offsets


class _Lines:
    """The lines of one text, each read once: is it written in plain sentence case?"""

    def __init__(self, text: str) -> None:
        self._text = text
        self._breaks: list[int] | None = None
        self._plain: dict[int, bool] = {}

    def plain(self, index: int) -> bool:
        """True when the line holding ``index`` is neither in Title Case nor in capitals."""
        if self._breaks is None:
            self._breaks = [found.start() for found in re.finditer("\n", self._text)]
        n = bisect.bisect_left(self._breaks, index)
        start = self._breaks[n - 1] + 1 if n else 0
        if start not in self._plain:
            end = self._breaks[n] if n < len(self._breaks) else len(self._text)
            line = self._text[start:end]
            self._plain[start] = not (_title_case(line) or _mostly_capitals(line))
        return self._plain[start]


def _usage(text: str, start: int, end: int, lines: _Lines) -> Usage:
    """Return what case says of the words at ``text[start:end]``: a proper noun when they are
    capitalised inside a sentence that is not in Title Case or capitals."""
    if not text[start:end][:1].isupper():
        return Usage.UNKNOWN
    before = _char_before(text, start, lambda c: c in " \"'“‘(")
    if not before or before in ".!?:;\n|–—-":
        return Usage.UNKNOWN  # a sentence start capitalises any word
    return Usage.PROPER if lines.plain(start) else Usage.UNKNOWN


def _char_before(text: str, index: int, skip: Callable[[str], bool]) -> str:
    """Return the last character before ``index`` that ``skip`` does not pass ("" if none)."""
    while index > 0 and skip(text[index - 1]):
        index -= 1
    return text[index - 1] if index else ""


def _word_before(text: str, end: int) -> tuple[int, str] | None:
    """Return (start, word) of the word that ends one space before ``end`` ("Big" in "Big
    Apple"): letters, then letters, ".", "&" or "-". Reads back only over that word."""
    if end < 2 or text[end - 1] != " ":
        return None
    start = end - 1
    while start > 0 and (text[start - 1] in _WORD_MARKS or _ascii_letter(text[start - 1])):
        start -= 1
    while start < end - 1 and not _ascii_letter(text[start]):
        start += 1
    return (start, text[start : end - 1]) if start < end - 1 else None


def _ascii_letter(c: str) -> bool:
    return "a" <= c <= "z" or "A" <= c <= "Z"


_OWN_NAME_KINDS = (MentionKind.NAME, MentionKind.ALIAS)
#: legal forms: "Pfizer Ltd" is Pfizer
_LEGAL_FORMS = frozenset(
    "ltd limited inc corp corporation co company plc llc llp ag sa nv se spa gmbh bv ab oyj".split()
)
#: what a CRM appends to a name that the press leaves out: legal forms, and a home country in
#: capitals ("T-Mobile US"; not "Toys R Us")
_LEGAL_FORMS_CO = _LEGAL_FORMS | {"co"}
_COUNTRY_FORMS = frozenset({"us", "usa"})
#: words that name a line of business: "HDFC Securities" is a group company of HDFC, not HDFC,
#: unless the account's own names say so
_BUSINESS_WORDS = frozenset(
    """amc asset assets bank banking brewing breweries broadcast capital chemicals cinemas
    commodities consumer distilleries energy engineering enterprises entertainment finance
    financial foods group holdings housing industries infotech infra infrastructure insurance
    international investments life lines logistics markets media motor motors oilfields pharma
    ports power projects realty retail securities services software steel systems tech
    technologies telecom textiles ventures wealth""".split()
)
_SUFFIXES = _LEGAL_FORMS | _BUSINESS_WORDS
#: words after a name that say a company is meant: "Titan shares", "Idea Q2 net"
_COMPANY_CONTEXT = re.compile(
    r"(?:'s)?\s+(?:shares?|stock|scrip|q[1-4]|fy\d\d|net|profit|results|earnings|revenue|"
    r"sales|board|ceo|chairman|ipo|ltd|limited|inc|plc|corp)\b",
    re.IGNORECASE,
)
#: what separates names in a list: "BHEL, L&T, Reliance, Cipla"
_LIST_SEPARATORS = frozenset({",", "&", "/", "and"})
_NEXT_WORD = re.compile(r" ([A-Z][A-Za-z]+)\b")
_WORD_AFTER = re.compile(r"('s|\u2019s)? ([A-Za-z][A-Za-z.&-]*)")
_COMMA_NAME = re.compile(r", [A-Z][a-z]")
#: a hyphen and the word it joins the name to: "Shell-shocked"
_HYPHEN_WORD = re.compile(r"-([A-Za-z]+)")
#: what a company's name is joined to when the company is meant: "Apple-backed", "Ford-owned"
_COMPANY_COMPOUNDS = frozenset(
    """backed owned led made based funded branded built designed operated run controlled listed
    linked affiliated sponsored supplied powered bound exclusive only specific approved certified
    compatible focused issued""".split()
)
#: after a name, these make it a verb ("Discover the", "Chase your")
_DETERMINERS = frozenset("the your our their its his her my these those".split())
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
#: besides letters, what a word before a name may hold ("Bros.", "H&R", "Coca-Cola")
_WORD_MARKS = frozenset(".&-")
#: words that follow a subject in a headline: "Apple to open", "Gap is", "Ford will"
_AUXILIARIES = frozenset(
    """to is was are were has had have will would could can may might must should says
    said""".split()
)
#: capitalised in Title Case without being names
_FUNCTION_WORDS = frozenset(
    """a about above across after against along amid among an and around as at before behind
    below beneath beside between beyond but by despite down during for from in inside into
    like near of off on onto or out outside over past since than that the this these those
    through to toward towards under until up upon via vs with within without new how why what
    when where who will can may could would should""".split()
)


def _promote_by_context(
    text: str, chosen: Sequence[tuple[int, int, _Term]], why: list[str]
) -> None:
    """Give candidates a reason where the words around them say a company is meant: followed
    by "shares", "Q2", "net"... (names and weak tickers: "GM shares", "USB shares"), or listed
    beside a confident company ("BHEL, L&T, Reliance")."""
    for n, (_start, end, term) in enumerate(chosen):
        if (
            not why[n]
            and (term.kind in _OWN_NAME_KINDS or term.kind is MentionKind.TICKER)
            and _COMPANY_CONTEXT.match(text, end) is not None
        ):
            why[n] = "company words follow it"
    changed = True
    while changed:
        changed = False
        for n in range(len(chosen)):
            if why[n]:
                continue
            if chosen[n][2].kind not in _OWN_NAME_KINDS:
                continue
            for m in (n - 1, n + 1):
                if not 0 <= m < len(chosen) or not why[m]:
                    continue
                if chosen[m][2].account == chosen[n][2].account:
                    continue
                left, right = sorted((n, m))
                gap = text[chosen[left][1] : chosen[right][0]]
                if gap.strip().lower() in _LIST_SEPARATORS:
                    why[n] = "listed with other companies"
                    changed = True
                    break


def _looks_like_a_person(text: str, term: _Term, end: int, title_case: Callable[[], bool]) -> bool:
    """True when a one-word name is followed by a capitalised word, as in "Deepak Shenoy".

    Does not apply to titles in Title Case (``title_case()``), where every word is capitalised.
    """
    if " " in term.surface or term.kind in (MentionKind.TICKER, MentionKind.DOMAIN):
        return False
    found = _NEXT_WORD.match(text, end)
    if found is None or found.group(1).lower() in _SUFFIXES:
        return False
    return not title_case()


def _mostly_capitals(text: str) -> bool:
    """True when most of the text's letters are capitals (a shouted headline), where capitals
    say nothing about names."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _title_case(text: str) -> bool:
    """True when the text capitalises most longer words, as headline Title Case does."""
    words = re.findall(r"[A-Za-z][a-z]{3,}", text)
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _inside_longer_name(text: str, start: int, title_case: Callable[[], bool]) -> bool:
    """True when the name continues a capitalised word before it ("Reserve Bank of India"),
    except at the start of the text and in Title Case text. Reads back over that word only."""
    if start < 3 or text[start - 1] != " ":
        return False
    word = start - 1
    while word > 0 and "a" <= text[word - 1] <= "z":
        word -= 1
    if word == start - 1 or word == 0 or not "A" <= text[word - 1] <= "Z":
        return False
    if not _char_before(text, word - 1, str.isspace):
        return False  # the capitalised word starts the text
    return not title_case()


def _longest_first(hits: Iterable[tuple[int, int, _Term]]) -> list[tuple[int, int, _Term]]:
    """Keep non-overlapping hits, longer spans first; one span may name several accounts."""
    chosen: list[tuple[int, int, _Term]] = []
    # the spans kept so far never overlap, so only the neighbours of a new span can clash
    starts: list[int] = []
    end_of: dict[int, int] = {}
    for start, end, term in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        at = bisect.bisect_left(starts, start)
        if (
            at < len(starts)
            and starts[at] < end
            and (starts[at], end_of[starts[at]])
            != (
                start,
                end,
            )
        ):
            continue
        if at > 0 and end_of[starts[at - 1]] > start:
            continue
        chosen.append((start, end, term))
        if start not in end_of:
            starts.insert(at, start)
            end_of[start] = end
    chosen.sort(key=lambda h: (h[0], h[2].account))
    return chosen
