"""Contacts at a customer account: which one a touch names (``/clip touch ACCOUNT with NAME
note``), with did-you-mean for a near miss.

Reads text and the account's contact names; does not read the config, the ledger or Slack.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from ..exceptions import CommandUsageError
from .blockkit import escape, escape_name

#: the word that introduces a contact after the account
WITH = "with"
#: how close a word must be to a contact's name to be a typo of it rather than note text
CLOSE = 0.75


def _ratio(written: str, name: str) -> float:
    return difflib.SequenceMatcher(None, written.casefold(), name.casefold()).ratio()


def _ends_word(text: str, length: int) -> bool:
    return len(text) == length or not text[length].isalnum()


def split_contact(text: str, contacts: Sequence[str], *, account: str) -> tuple[str | None, str]:
    """Return (the contact ``text`` names, the rest): ``text`` is what follows the account in
    ``/clip touch``. ``with NAME`` names a contact by their full name (the longest that fits),
    or by a first name only one of them has, in any case; (None, text) when ``text`` does not
    start with "with" or what follows is no contact's name nor close to one (it is note text:
    "with the whole team").

    Raises:
        CommandUsageError: "with" is followed by a near miss of a contact's name (with the
            names it may mean and every contact on file), or by a first name several share;
            the message is Slack mrkdwn, every name in it escaped (``escape_name``).
    """
    head, _sep, after = text.partition(" ")
    if head.casefold() != WITH or not contacts:
        return None, text
    after = after.strip()
    folded = after.casefold()
    for name in sorted(contacts, key=len, reverse=True):
        key = name.casefold()
        if folded.startswith(key) and _ends_word(after, len(key)):
            return name, after[len(key) :].lstrip(" :,-").strip()
    firsts: dict[str, list[str]] = {}
    for name in contacts:
        firsts.setdefault(name.split()[0].casefold(), []).append(name)
    first_word = after.split(" ", 1)[0]
    owners = firsts.get(first_word.casefold().rstrip(":,"), [])
    words = after.split()
    if len(owners) == 1:
        # "with Jo Prak": a typo of Jo Park's full name, not Jo and a note saying "Prak"
        typo = [
            " ".join(words[:n])
            for n in (2, 3)
            if len(words) >= n and _ratio(" ".join(words[:n]), owners[0]) >= CLOSE
        ]
        if not typo:
            return owners[0], after[len(first_word) :].lstrip(" :,-").strip()
    # (how close, what the rep wrote, the contact it is close to): full names against the
    # first 1-3 words, first names only one contact has against the first word
    near: list[tuple[float, str, str]] = []
    for n in (1, 2, 3):
        if len(words) >= n:
            attempt = " ".join(words[:n])
            for name in contacts:
                near.append((_ratio(attempt, name), attempt, name))
    if words:
        for first, names in firsts.items():
            if len(names) == 1 and words[0].casefold() != first:
                near.append((_ratio(words[0], first), words[0], names[0]))
    near = [n for n in near if n[0] >= CLOSE]
    if near and not (len(owners) > 1 and max(near)[1] == first_word):
        best = max(near)
        meant = sorted({n[2] for n in near if n[1] == best[1]}, key=contacts.index)
        raise CommandUsageError(
            f"{escape_name(account)} has no contact named {escape_name(repr(best[1]))}. "
            "Did you mean "
            + " or ".join(f"*{escape_name(m)}*" for m in meant)
            + "? Contacts on file: "
            + ", ".join(escape_name(c) for c in contacts[:20])
        )
    if len(owners) > 1:
        raise CommandUsageError(
            f"which {escape_name(first_word)}? {escape_name(account)} has "
            + " and ".join(f"*{escape_name(n)}*" for n in owners)
            + f": `/clip touch {escape(account)} with FULL NAME note`"
        )
    return None, text
