"""Watch terms: phrases, exact quotes, boolean logic, semantic terms, and clear errors."""

from __future__ import annotations

import pytest

from clipper.exceptions import CommandUsageError
from clipper.logic.watch import parse_watch


def test_phrases_match_any_case_on_word_boundaries() -> None:
    term = parse_watch("cross-dock  hub")
    assert term.matches("Northwind opens Cross-Dock Hub in Rotterdam") == ["Cross-Dock Hub"]
    assert term.matches("a crossdock hub") is None
    assert parse_watch("AI").matches("said the chair") is None


def test_quoted_terms_are_exact() -> None:
    term = parse_watch('"Cold Chain"')
    assert term.matches("Bluefin Cold Chain raises") == ["Cold Chain"]
    assert term.matches("cold chain logistics") is None


def test_boolean_terms() -> None:
    term = parse_watch('robots AND (welding OR "laser cutting") AND NOT toys')
    assert term.matches("Robots take over welding lines") == ["Robots", "welding"]
    assert term.matches("robots for laser cutting") == ["robots", "laser cutting"]
    assert term.matches("robots for welding toys") is None
    assert term.matches("welding robots") == ["robots", "welding"]
    assert parse_watch("merger OR acquisition").matches("an acquisition and a merger") == [
        "merger",
        "acquisition",
    ]
    # lower-case "and" is a word, not an operator
    assert parse_watch("research and development").matches("research and development") == [
        "research and development"
    ]


def test_semantic_terms_are_left_to_the_matcher() -> None:
    term = parse_watch("~supply chain disruption")
    assert term.semantic == "supply chain disruption" and term.matches("anything") is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("   ", "cannot be empty"),
        ("~", "needs a phrase"),
        ('"unclosed', "unbalanced quotes"),
        ("robots AND", "ends where a term was expected"),
        ("OR robots", "needs a term on both sides"),
        ("(robots OR welding", r"missing '\)'"),
        ('""', "empty quotes"),
        ("x" * 201, "at most 200"),
    ],
)
def test_bad_terms_say_what_is_wrong(source: str, message: str) -> None:
    with pytest.raises(CommandUsageError, match=message):
        parse_watch(source)
