"""Which contact ``/clip touch ACCOUNT with NAME note`` names (pure)."""

from __future__ import annotations

import pytest

from clipper.exceptions import CommandUsageError
from clipper.logic.contacts import split_contact

CONTACTS = ["Jo Park", "Ann Lee", "Lee Moreno", "Lee Chan"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("with Jo Park renewal call", ("Jo Park", "renewal call")),
        ("WITH jo park: lunch", ("Jo Park", "lunch")),
        ("with Ann about the QBR", ("Ann Lee", "about the QBR")),  # a first name only she has
        ("with Lee Chan", ("Lee Chan", "")),
        ("with the whole buying committee", (None, "with the whole buying committee")),
        ("called about renewal", (None, "called about renewal")),
        ("without a reply", (None, "without a reply")),
    ],
)
def test_a_contact_is_named_by_full_name_or_a_first_name_only_they_have(
    text: str, expected: tuple[str | None, str]
) -> None:
    assert split_contact(text, CONTACTS, account="Acme") == expected


def test_no_contacts_on_file_leaves_with_in_the_note() -> None:
    assert split_contact("with Jo Park", [], account="Acme") == (None, "with Jo Park")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("with Jo Prak lunch", "Acme has no contact named 'Jo Prak'. Did you mean *Jo Park*?"),
        ("with Anne re pricing", "Acme has no contact named 'Anne'. Did you mean *Ann Lee*?"),
        ("with Lee lunch", "which Lee? Acme has *Lee Moreno* and *Lee Chan*"),
    ],
)
def test_a_near_miss_or_a_shared_first_name_is_asked_about(text: str, message: str) -> None:
    with pytest.raises(CommandUsageError) as info:
        split_contact(text, CONTACTS, account="Acme")
    assert message in str(info.value)
