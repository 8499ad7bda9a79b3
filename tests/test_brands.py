"""Famous brands whose names are ordinary words: the failures issue 9 quoted, on the real model
and the real entity recogniser, through the facade a user's ``clipper explain`` calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.core import Clipper
from clipper.types import ArticleText

from .conftest import build, write_config

ACCOUNTS = [
    {
        "name": "Microsoft Corporation",
        "aliases": ["Microsoft"],
        "tickers": ["MSFT"],
        "description": "Enterprise software and cloud provider behind Windows and Azure.",
        "products": ["Windows", "Azure", "Xbox"],
    },
    {
        "name": "Meta Platforms",
        "aliases": ["Meta", "Facebook"],
        "description": "Social media company behind Facebook, Instagram and WhatsApp.",
    },
    {
        "name": "Oracle Corporation",
        "aliases": ["Oracle"],
        "description": "Database software and cloud infrastructure company.",
    },
    {
        "name": "Apple Inc.",
        "description": "Consumer electronics maker of the iPhone and the Mac.",
        "products": ["iPhone", "MacBook", "App Store"],
        "people": ["Tim Cook"],
    },
    {"name": "Walmart Inc.", "description": "Discount retailer of groceries and merchandise."},
    {
        "name": "Caterpillar Inc.",
        "description": "Maker of construction and mining equipment, engines and turbines.",
    },
    {"name": "Snowflake Inc.", "description": "Cloud data warehouse and data platform company."},
    {
        "name": "Ford Motor Company",
        "aliases": ["Ford"],
        "description": "Carmaker of pickups, SUVs and electric vehicles.",
    },
    {"name": "Shell plc", "aliases": ["Shell"], "description": "Oil and gas major."},
    {
        "name": "Delta Air Lines",
        "aliases": ["Delta"],
        "description": "US airline flying passengers and cargo from its Atlanta hub.",
    },
    {
        "name": "Crown Holdings, Inc.",
        "aliases": ["Crown"],
        "description": "Maker of metal beverage cans and packaging.",
    },
    # as an S&P 500 export writes them: the press says "T-Mobile", "Dow", "Block"
    {"name": "T-Mobile US", "description": "Wireless carrier."},
    {
        "name": "Dow Inc.",
        "tickers": ["DOW"],
        "description": "Chemicals maker of plastics, coatings and industrial intermediates.",
    },
    {"name": "Block, Inc.", "tickers": ["XYZ"], "description": "Payments: Square, Cash App."},
    {"name": "U.S. Bancorp", "tickers": ["USB"], "description": "Regional bank."},
]


@pytest.fixture(scope="module")
def clipper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clipper]:
    root: Path = tmp_path_factory.mktemp("brands")
    accounts = [{**a, "owner": "rep@example.com"} for a in ACCOUNTS]
    _config, built = build(write_config(root, accounts=accounts))
    with built:
        yield built


def matched(clipper: Clipper, title: str, text: str = "") -> list[str]:
    (result,) = clipper.match_articles([ArticleText("t", title, text)])
    return [m.account for m in result.matches]


@pytest.mark.parametrize(
    ("title", "account"),
    [
        ("Microsoft Phone: Bend, Fold, and Wear", "Microsoft Corporation"),
        ("Microsoft looks to 'Titanfall' to boost Xbox One", "Microsoft Corporation"),
        ("Facebook bans cryptocurrency adverts", "Meta Platforms"),
        ("Oracle buys Cerner for $28 billion", "Oracle Corporation"),
        ("Apple recalls MacBook Pro batteries over fire risk", "Apple Inc."),
        ("Walmart lays off 200 at headquarters", "Walmart Inc."),
    ],
)
def test_brand_mentions_are_matched(clipper: Clipper, title: str, account: str) -> None:
    assert matched(clipper, title) == [account]


@pytest.mark.parametrize(
    "title",
    [
        "A caterpillar in my apple",
        "Caterpillar invasion destroys cotton crops",
        "Snowflake, Arizona braces for a winter storm",
        "Why no two snowflakes are alike",
        "Harrison Ford signs on for a third season",
        "Farmers in the Mekong Delta fear rising seas",
        # a stock index and an everyday acronym
        "US stocks dip on Chinese trade figures; Dow slides 0.21%",
        "How to install iOS 7.1 over USB using iTunes",
    ],
)
def test_everyday_senses_and_other_names_are_not(clipper: Clipper, title: str) -> None:
    assert matched(clipper, title) == []


def test_reasons_say_why_in_words_and_explain_keeps_the_numbers(clipper: Clipper) -> None:
    (result,) = clipper.match_articles(
        [ArticleText("t", "Apple cuts prices", "Tim Cook said the iPhone 17 will cost less.")]
    )
    (match,) = result.matches
    assert match.reasons[0] == "Apple Inc. the company: mentions Tim Cook, iPhone"
    assert not any(char.isdigit() for char in match.reasons[0])
    assert result.notes and "similarity" in result.notes[0]
    (dropped,) = clipper.match_articles([ArticleText("t", "Caterpillar invasion destroys crops")])
    assert dropped.matches == ()
    assert '"caterpillar" here means an animal' in dropped.dropped[0]


def test_names_split_by_a_line_break_or_double_space_are_found(clipper: Clipper) -> None:
    assert matched(clipper, "Shares of Delta Air\nLines rose") == ["Delta Air Lines"]
    assert matched(clipper, "Ford  Motor Company recalls trucks") == ["Ford Motor Company"]


def test_crm_names_with_a_country_are_found_by_their_short_form(clipper: Clipper) -> None:
    assert matched(clipper, "How T-Mobile plans to attack AT&T and Verizon") == ["T-Mobile US"]


def test_the_account_itself_still_matches_beside_look_alikes(clipper: Clipper) -> None:
    text = "The packaging company has started production at a new beverage can facility."
    assert matched(clipper, "Crown opens $140 million can plant in Vietnam", text) == [
        "Crown Holdings, Inc."
    ]


def test_a_name_inside_a_hyphenated_word_is_not_the_company(clipper: Clipper) -> None:
    (result,) = clipper.match_articles(
        [ArticleText("t", "Shell-shocked investors pull $4 billion from junk bond funds")]
    )
    assert result.matches == ()
    assert result.dropped == ('Shell plc: "Shell" here is part of a hyphenated word',)
    assert matched(clipper, "Shell-backed startup wins offshore wind lease") == ["Shell plc"]


def test_the_company_behind_a_shared_name_still_matches(clipper: Clipper) -> None:
    assert matched(clipper, "Dow Inc. to cut 2,000 jobs as chemicals demand slows") == ["Dow Inc."]


@pytest.mark.parametrize(
    ("title", "text", "account"),
    [
        # the press names its accounts with their own sub-brands and beside other companies
        (
            "Dow Chemical to close Texas plant",
            "The chemicals maker will cut 300 jobs at its Freeport plastics site.",
            "Dow Inc.",
        ),
        (
            "Apple-Google search deal faces antitrust scrutiny",
            "The consumer electronics maker is paid billions to keep Google as its default.",
            "Apple Inc.",
        ),
        (
            "Exxon & Shell report higher quarterly profits",
            "The oil and gas majors benefited from higher refining margins.",
            "Shell plc",
        ),
        ("Ford-GM rivalry heats up in electric pickups", "", "Ford Motor Company"),
    ],
)
def test_sub_brands_and_pairs_of_companies_keep_the_account(
    clipper: Clipper, title: str, text: str, account: str
) -> None:
    assert account in matched(clipper, title, text)
