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
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import ahocorasick

from ..types import AccountNames, Mention, MentionKind

#: a name at least this frequent in English (wordfreq's Zipf scale) is an ordinary word
COMMON_WORD_ZIPF = 3.5
#: names this short are candidates only
SHORT_NAME = 3
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
_BARE_TICKER = re.compile(r"(?<![\w$<])[A-Z]{3,6}(?![\w>])")
#: capitals that news prints for things that are not companies: never strong on their own
GENERIC_ACRONYMS = frozenset(
    """AI AGM API B2B CAGR CEO CFO CIO CMD COO CPI CTO DNA EBITDA EGM EPS ESG ETF EU EV FDA FDI FII
    FMCG FY GDP GST HR IMF IPO IT LNG MD NAV NPA OPEC PE PMI PR QIP RBI SEC SME SUV TV UK UN US USA
    USD VAT WHO YOY""".split()
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


def default_common_word() -> Callable[[str], bool]:
    """Return a test for ordinary English words, from wordfreq's frequency lists."""
    from wordfreq import zipf_frequency

    def common(name: str) -> bool:
        words = name.split()
        return len(words) == 1 and zipf_frequency(words[0], "en") >= COMMON_WORD_ZIPF

    return common


class MentionIndex:
    """Finds every configured account's mentions in a text. Build once, query many times."""

    def __init__(
        self,
        accounts: Sequence[AccountNames],
        *,
        common_word: Callable[[str], bool] | None = None,
    ) -> None:
        is_common = common_word or default_common_word()
        owners: dict[str, set[str]] = defaultdict(set)
        for account in accounts:
            for surface in (account.name, *account.aliases):
                owners[_fold(surface.strip())].add(account.name)
        self._automaton = ahocorasick.Automaton()
        terms: dict[str, list[_Term]] = defaultdict(list)
        for account in accounts:
            names = [(account.name, MentionKind.NAME)]
            names += [(alias, MentionKind.ALIAS) for alias in account.aliases]
            for surface, kind in names:
                surface = " ".join(surface.split())
                key = _fold(surface)
                if len(key) < 2 or key.rstrip(".") in _LEGAL_FORMS:
                    continue  # "Co" or "Corp" alone names no company
                letters = [c for c in surface if c.isalpha()]
                # short capitals ("SBI", "IT") only in capitals; longer ones ("SEBI") as the press
                # writes them ("Sebi")
                acronym = bool(letters) and surface.isupper() and len(letters) <= SHORT_NAME
                words = key.split()
                common_words = all(is_common(word) for word in words)
                weak = (
                    len(key) <= SHORT_NAME
                    or (len(owners[key]) > 1 and len(words) == 1)
                    or (len(words) == 1 and common_words)
                )
                capitals_strong = (
                    surface.isupper()
                    and sum(c.isalpha() for c in surface) >= 2
                    and len(owners[key]) == 1
                    and surface not in GENERIC_ACRONYMS
                )
                terms[key].append(
                    _Term(
                        account.name,
                        surface,
                        kind,
                        acronym,
                        weak,
                        capitalised=common_words,
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
            account.name: {w for n in (account.name, *account.aliases) for w in _fold(n).split()}
            for account in accounts
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
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Return ticker → account for explicit forms, and for bare capitalised tokens."""
        by_ticker: dict[str, set[str]] = defaultdict(set)
        for account in accounts:
            for ticker in account.tickers:
                by_ticker[ticker.upper()].add(account.name)
        explicit: dict[str, str] = {}
        bare: dict[str, str] = {}
        for ticker, names in by_ticker.items():
            if len(names) > 1:
                continue  # the same ticker on two accounts (different exchanges): not evidence
            (owner,) = names
            explicit[ticker] = owner
            if (
                len(ticker) >= 3
                and ticker.isalpha()
                and not is_common(ticker.lower())
                and _fold(ticker) not in owners
            ):
                bare[ticker] = owner
        return explicit, bare

    def _group_company(self, text: str, account: str, end: int) -> bool:
        """True when the name is followed by a line of business its account's names lack:
        "HDFC Securities" for HDFC, "Adani Ports" for Adani Enterprises."""
        found = _NEXT_WORD.match(text, end)
        if found is None:
            return False
        word = found.group(1).lower()
        return word in _BUSINESS_WORDS and word not in self._own_words[account]

    def find(self, text: str) -> list[Mention]:
        """Return the mentions in ``text``, left to right, overlaps resolved longest-first."""
        folded = _fold(text)
        shouting: bool | None = None  # computed once, when a name in capitals needs it
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
                    if term.capitalised and written.islower():
                        continue  # "shell companies" is not Shell, "central bank" not Central Bank
                    if term.weak and term.capitals_strong and written.isupper():
                        if shouting is None:
                            shouting = _mostly_capitals(text)
                        if not shouting:
                            term = replace(term, weak=False)  # "SAIL" in capitals: not "sail"
                    if not term.weak and (
                        _looks_like_a_person(text, term, end + 1)
                        or _inside_longer_name(text, start)
                        or self._group_company(text, term.account, end + 1)
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
                owner = self._bare_tickers.get(found.group(0))
                if owner is not None:
                    term = _Term(owner, found.group(0), MentionKind.TICKER, True, True)
                    hits.append((found.start(), found.end(), term))
        chosen = _longest_first(hits)
        vetoed = {
            account for account, terms in self._excludes if any(term in folded for term in terms)
        }
        strong_evidence: dict[str, set[str]] = defaultdict(set)
        for _start, _end, term in chosen:
            strong_evidence[term.account].add(_fold(term.surface))
        confident = [
            not term.weak or len(strong_evidence[term.account]) > 1 for _s, _e, term in chosen
        ]
        _promote_by_context(text, chosen, confident)
        mentions = []
        for (start, end, term), sure in zip(chosen, confident, strict=True):
            if term.account in vetoed:
                continue
            mentions.append(
                Mention(
                    account=term.account,
                    text=text[start:end],
                    start=start,
                    end=end,
                    kind=term.kind,
                    confident=sure,
                )
            )
        return mentions


#: legal forms: "Pfizer Ltd" is Pfizer
_LEGAL_FORMS = frozenset(
    "ltd limited inc corp corporation co company plc llc llp ag sa nv se spa gmbh bv ab oyj".split()
)
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


def _promote_by_context(
    text: str, chosen: Sequence[tuple[int, int, _Term]], confident: list[bool]
) -> None:
    """Mark candidates confident where the words around them say a company is meant: followed
    by "shares", "Q2", "net"..., or listed beside a confident company ("BHEL, L&T, Reliance")."""
    for n, (_start, end, term) in enumerate(chosen):
        if not confident[n] and term.kind is not MentionKind.TICKER:
            confident[n] = _COMPANY_CONTEXT.match(text, end) is not None
    changed = True
    while changed:
        changed = False
        for n in range(len(chosen)):
            if confident[n]:
                continue
            for m in (n - 1, n + 1):
                if not 0 <= m < len(chosen) or not confident[m]:
                    continue
                if chosen[m][2].account == chosen[n][2].account:
                    continue
                left, right = sorted((n, m))
                gap = text[chosen[left][1] : chosen[right][0]]
                if gap.strip().lower() in _LIST_SEPARATORS:
                    confident[n] = changed = True
                    break


def _looks_like_a_person(text: str, term: _Term, end: int) -> bool:
    """True when a one-word name is followed by a capitalised word, as in "Deepak Shenoy".

    Does not apply to titles in Title Case, where every word is capitalised.
    """
    if " " in term.surface or term.kind in (MentionKind.TICKER, MentionKind.DOMAIN):
        return False
    found = _NEXT_WORD.match(text, end)
    if found is None or found.group(1).lower() in _SUFFIXES:
        return False
    return not _title_case(text)


def _mostly_capitals(text: str) -> bool:
    """True when most of the text's letters are capitals (a shouted headline), where capitals
    say nothing about names."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def _title_case(text: str) -> bool:
    """True when the text capitalises most longer words, as headline Title Case does."""
    words = re.findall(r"[A-Za-z][a-z]{3,}", text)
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _inside_longer_name(text: str, start: int) -> bool:
    """True when the name continues a capitalised word before it ("Reserve Bank of India"),
    except at the start of the text and in Title Case text."""
    before = text[:start]
    found = re.search(r"([A-Z][a-z]+) $", before)
    if found is None or not before[: found.start()].strip():
        return False
    return not _title_case(text)


def _longest_first(hits: Iterable[tuple[int, int, _Term]]) -> list[tuple[int, int, _Term]]:
    """Keep non-overlapping hits, longer spans first; one span may name several accounts."""
    chosen: list[tuple[int, int, _Term]] = []
    taken: list[tuple[int, int]] = []
    for start, end, term in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        if any(
            start < t_end and t_start < end and (t_start, t_end) != (start, end)
            for t_start, t_end in taken
        ):
            continue
        chosen.append((start, end, term))
        taken.append((start, end))
    chosen.sort(key=lambda h: (h[0], h[2].account))
    return chosen
