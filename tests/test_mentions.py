"""Account mentions: the names that trip up keyword alerts."""

from __future__ import annotations

import pytest

from clipper.adapters.mentions_ac import MentionIndex
from clipper.types import AccountNames, Cue, MentionKind

ACCOUNTS = [
    AccountNames("AT&T", aliases=("AT&T Inc.",), tickers=("T",)),
    AccountNames("3M", tickers=("MMM",)),
    AccountNames("Procter & Gamble", aliases=("P&G",), tickers=("PG",)),
    AccountNames("Yahoo!", domains=("yahoo.com",)),
    AccountNames(
        "Target", aliases=("Target Corporation",), tickers=("TGT",), domains=("target.com",)
    ),
    AccountNames(
        "Shell",
        aliases=("Shell plc", "Royal Dutch Shell"),
        tickers=("SHEL",),
        exclude=("shell company", "shell companies"),
    ),
    AccountNames("State Bank of India", aliases=("SBI",)),
    AccountNames("Bank of India", aliases=("BoI",)),
    AccountNames("Tech Mahindra", aliases=("TechM",)),
    AccountNames("Mahindra & Mahindra", aliases=("Mahindra", "M&M")),
    AccountNames("Kirloskar Oil Engines", aliases=("KOEL",)),
    AccountNames("Infosys", tickers=("INFY",)),
    AccountNames("Nvidia", tickers=("NVDA",)),
    AccountNames("Steel Authority of India", aliases=("SAIL",)),
    AccountNames("HDFC Bank", aliases=("HDFC",)),
    AccountNames("Reliance Industries", aliases=("Reliance",)),
    AccountNames("Cipla"),
    AccountNames("Titan Company", aliases=("Titan",)),
]


@pytest.fixture(scope="module")
def index() -> MentionIndex:
    return MentionIndex(ACCOUNTS)


def names(index: MentionIndex, text: str, *, confident_only: bool = False) -> list[str]:
    return [m.account for m in index.find(text) if m.confident or not confident_only]


def test_punctuation_in_names(index: MentionIndex) -> None:
    assert names(index, "AT&T and 3M beat estimates; Procter & Gamble (P&G) lags") == [
        "AT&T",
        "3M",
        "Procter & Gamble",
        "Procter & Gamble",
    ]
    assert names(index, "Yahoo! shares jump") == ["Yahoo!"]
    assert names(index, "Infosys's margin and Infosys’ guidance") == ["Infosys", "Infosys"]
    assert names(index, "Infosystems is not Infosys-like") == ["Infosys"]


def test_longest_name_wins(index: MentionIndex) -> None:
    assert names(index, "State Bank of India raises rates") == ["State Bank of India"]
    assert names(index, "Bank of India raises rates") == ["Bank of India"]
    assert names(index, "Tech Mahindra wins deal") == ["Tech Mahindra"]
    assert names(index, "Mahindra launches SUV") == ["Mahindra & Mahindra"]
    assert names(index, "Kirloskar Oil Engines Q2 profit") == ["Kirloskar Oil Engines"]


def test_ordinary_words_are_candidates_until_context_agrees(index: MentionIndex) -> None:
    (target,) = index.find("Target cuts prices on toys")
    assert target.account == "Target" and not target.confident
    assert names(index, "Analysts missed their target again") == []
    both = index.find("Target Corporation said Target will hire 100,000")
    assert [m.confident for m in both] == [True, True]
    with_ticker = index.find("Target (NYSE: TGT) cuts prices")
    assert [(m.kind, m.confident) for m in with_ticker] == [
        (MentionKind.NAME, True),
        (MentionKind.TICKER, True),
    ]
    assert names(index, "Visit target.com for deals", confident_only=True) == ["Target"]


def test_exclude_terms_veto(index: MentionIndex) -> None:
    assert names(index, "Shell company used to launder money, says Shell") == []
    assert names(index, "Shell plc raises dividend") == ["Shell"]


def test_tickers(index: MentionIndex) -> None:
    assert names(index, "$NVDA rallies") == ["Nvidia"]
    assert names(index, "NVDA rallies") == ["Nvidia"]
    assert names(index, "<INFY> files results") == ["Infosys"]
    # a one-letter ticker counts only in an explicit form
    assert names(index, "T shares fall") == []
    assert names(index, "AT&T (NYSE: T) falls") == ["AT&T", "AT&T"]


def test_acronyms_match_only_in_capitals(index: MentionIndex) -> None:
    assert names(index, "SBI cuts lending rate") == ["State Bank of India"]
    assert names(index, "the sbi of things") == []


def test_names_in_capitals_are_strong_unless_the_text_shouts(index: MentionIndex) -> None:
    assert names(index, "SAIL posts record output", confident_only=True) == [
        "Steel Authority of India"
    ]
    assert names(index, "Boats sail into harbour", confident_only=True) == []
    (shouted,) = index.find("SAIL AWAY: HOLIDAY CRUISES SELL OUT")
    assert not shouted.confident


def test_a_group_company_is_only_a_candidate(index: MentionIndex) -> None:
    (sibling,) = index.find("Markets may stay weak: Vikas Khemani, HDFC Securities")
    assert sibling.account == "HDFC Bank" and not sibling.confident
    assert names(index, "HDFC Ltd raises home loan rates", confident_only=True) == ["HDFC Bank"]


def test_context_confirms_a_candidate(index: MentionIndex) -> None:
    assert names(index, "Reliance shares rise 3%", confident_only=True) == ["Reliance Industries"]
    assert names(index, "Titan Q2 net up 12%", confident_only=True) == ["Titan Company"]
    # listed beside a company named for sure
    assert names(index, "Infosys, Reliance, Cipla gain", confident_only=True) == [
        "Infosys",
        "Reliance Industries",
        "Cipla",
    ]
    assert names(index, "Reliance on imports grows", confident_only=True) == []


def test_offsets_point_into_the_original_text(index: MentionIndex) -> None:
    text = "İstanbul: Nvidia’s chips"
    (mention,) = index.find(text)
    assert text[mention.start : mention.end] == mention.text == "Nvidia"


def test_empty_index_finds_nothing() -> None:
    assert MentionIndex([]).find("Anything at all") == []


def test_fewer_false_alarms_than_keyword_alerts_on_sentfin(data_dir) -> None:  # type: ignore[no-untyped-def]
    """On real headlines the mention finder keeps the keyword alert's recall with fewer false
    positives (bench/eval/sentfin.py prints the whole table)."""
    import importlib.util

    from .conftest import REPO

    spec = importlib.util.spec_from_file_location("sentfin", REPO / "bench" / "eval" / "sentfin.py")
    assert spec and spec.loader
    sentfin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sentfin)
    root = data_dir / "sentfin"
    companies = sentfin.load_catalogue(root / "entity_list_comprehensive.csv")
    alias_to_symbols: dict[str, set[str]] = {}
    for symbol, aliases in companies.items():
        for alias in aliases:
            alias_to_symbols.setdefault(sentfin.normalise(alias), set()).add(symbol)
    capitals = {s: {a for a in al if a.isupper() and len(a) <= 3} for s, al in companies.items()}
    headlines = sentfin.load_headlines(root / "SEntFiN.csv", alias_to_symbols, capitals)
    index = MentionIndex([AccountNames(s, tuple(a)) for s, a in companies.items()])
    scoring = importlib.import_module("scoring")  # bench/eval, put on the path by sentfin
    baseline = scoring.keyword_alert(companies)
    ours = [({m.account for m in index.find(t)}, gold) for t, gold in headlines]
    theirs = [(baseline(t), gold) for t, gold in headlines]

    def precision_recall(pairs):  # type: ignore[no-untyped-def]
        tp = sum(len(p & g) for p, g in pairs)
        return tp / sum(len(p) for p, _ in pairs), tp / sum(len(g) for _, g in pairs)

    our_p, our_r = precision_recall(ours)
    base_p, base_r = precision_recall(theirs)
    assert our_p > base_p + 0.05
    assert our_r >= base_r - 0.01


def test_names_inside_longer_names_and_after_analysts_are_candidates(
    index: MentionIndex,
) -> None:
    (inside,) = index.find("The Reserve Bank of India holds rates")
    assert inside.account == "Bank of India" and not inside.confident
    (person,) = index.find("Sell Infosys with a target of Rs 900: Infosys Gaba")[1:]
    assert not person.confident
    # in Title Case every word is capitalised, so neither rule applies
    (title,) = index.find("Why Investors Love Infosys Right Now")
    assert title.confident


def test_the_words_around_a_candidate_are_read_as_cues() -> None:
    index = MentionIndex(
        [
            AccountNames("Apple Inc.", aliases=("Apple",)),
            AccountNames("Ford Motor Company", aliases=("Ford",)),
            AccountNames("Block, Inc.", aliases=("Block",)),
        ]
    )

    def cues(text: str) -> set[Cue]:
        (found,) = [m for m in index.find(text) if not m.confident]
        return set(found.cues)

    assert Cue.NAME_BEFORE in cues("Hotels in the Big Apple fill up")
    assert Cue.NAME_BEFORE in cues("Actor Harrison Ford signs on")
    assert Cue.NAME_BEFORE in cues("Tax firm H&R Block raises its forecast")
    assert Cue.NAME_BEFORE not in cues("Shares rose. Apple recalls laptops")
    assert Cue.VERB_AFTER in cues("Apple recalls laptops")
    assert Cue.ARTICLE_BEFORE in cues("a worm in the apple crate and the Apple")
    assert Cue.NAME_AFTER in cues("Apple Corps sues a streaming service")
    assert Cue.POSSESSIVE in cues("Apple's new laptop")


def test_a_long_text_with_many_candidates_is_read_whole() -> None:
    index = MentionIndex([AccountNames("Apple Inc.", aliases=("Apple",))])
    text = "x" * 50_000 + "!" + "Apple pie. " * 200
    found = index.find(text)
    assert len(found) == 200 and all(m.text == "Apple" for m in found)


def test_a_long_text_of_confident_names_is_read_whole() -> None:
    index = MentionIndex([AccountNames("Walmart Inc.", aliases=("Walmart",))])
    found = index.find("the Walmart Foo and other stores. " * 4000)
    # "Walmart Foo" could be a person in sentence case: every mention is weighed, none lost
    assert len(found) == 4000 and not any(m.confident for m in found)


def test_crm_names_give_the_short_forms_the_press_uses() -> None:
    from clipper.adapters.mentions_ac import short_names

    assert short_names("T-Mobile US") == ["T-Mobile"]
    assert short_names("AT&T Inc.") == ["AT&T"]
    assert short_names("Toys R Us") == []  # "Us" is no country code
    assert short_names("Comfort Systems USA") == ["Comfort Systems"]


def test_everyday_acronyms_are_tickers_only_beside_company_words() -> None:
    index = MentionIndex([AccountNames(name="U.S. Bancorp", tickers=("USB",))])
    (shares,) = index.find("USB shares rise after earnings beat")
    assert shares.confident and shares.why == "company words follow it"
    (cable,) = index.find("How to install iOS 7.1 over USB")
    assert not cable.confident
