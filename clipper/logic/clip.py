"""The ``/clip`` slash command: parse and validate what a rep typed, and word the answers.

    /clip help | add TERM [to ACCOUNT] | remove TERM | list | accounts | news ACCOUNT
          news industries [INDUSTRY]
          preview TERM | digest | mute ACCOUNT|SOURCE [DAYS] | unmute [ACCOUNT|SOURCE]
          settings time HH:MM | settings tz ZONE | settings quiet HH:MM-HH:MM
          settings industries on|off
          touch ACCOUNT [with CONTACT] NOTE | report | me [QUARTER]
          review ACCOUNT [QUARTER] | useful ACCOUNT

Does not touch storage or Slack: the Slack app runs the parsed command.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..exceptions import CommandUsageError
from ..types import RepSetting
from .blockkit import escape_name
from .touches import parse_quarter
from .watch import parse_watch

MAX_INPUT = 2000
MAX_TERM = 100
#: an argument longer than this is no account's or source's name
MAX_NAME = 200
MAX_NOTE = 1000
MAX_MUTE_DAYS = 365
#: the largest id SQLite stores (a signed 64-bit integer)
MAX_ARTICLE_ID = 2**63 - 1
DEFAULT_MUTE_DAYS = 30

HELP = """*Clipper* — news on your accounts, in a digest each morning.
• `/clip add TERM [to ACCOUNT]` watch a term (phrases, "exact", AND/OR/NOT, ~semantic)
• `/clip remove TERM` · `/clip list` your watch terms
• `/clip accounts` your accounts and their touch status
• `/clip news ACCOUNT` what your digest left out, then the latest
• `/clip news industries [INDUSTRY]` the industry news your digest left out
• `/clip preview TERM` what a term would have caught
• `/clip digest` send my digest now
• `/clip mute ACCOUNT|SOURCE [DAYS]` · `/clip unmute [ACCOUNT|SOURCE]`
• `/clip settings time 08:00` · `settings tz Europe/Berlin` · `settings quiet 20:00-07:00`
• `/clip settings industries off|on` the "Your industries" section of your digest
• `/clip touch ACCOUNT [with CONTACT] NOTE` log a customer touch made elsewhere
• `/clip report` touch coverage (managers), with a signed link to its web page (reps: their own)
• `/clip me [2026Q3]` your own coverage, accounts due, streak of quarters on target, shares
• `/clip review ACCOUNT [2026Q4]` the account's quarterly review pack, in short
• `/clip useful ACCOUNT` the customer found your latest share with the account useful"""

VERBS = (
    "help",
    "add",
    "remove",
    "list",
    "accounts",
    "news",
    "preview",
    "digest",
    "mute",
    "unmute",
    "settings",
    "touch",
    "report",
    "me",
    "review",
    "useful",
)


@dataclass(frozen=True, slots=True)
class ClipCommand:
    verb: str
    #: the watch term, account, source or note, depending on the verb
    argument: str = ""
    #: "to ACCOUNT" for add; the account for touch
    account: str | None = None
    days: int | None = None
    #: settings: which one
    setting: RepSetting | None = None
    #: settings value, already validated
    value: str | None = None
    #: news: the industry news asked for ("" all the rep's industries; None: an account's news)
    industry: str | None = None


def _clean(text: str) -> str:
    return " ".join(text.split())


def _term(text: str) -> str:
    term = _clean(text)
    if not term:
        raise CommandUsageError("the term is empty: `/clip add TERM`, e.g. `/clip add cold chain`")
    if len(term) > MAX_TERM:
        raise CommandUsageError(f"the term is {len(term)} characters; at most {MAX_TERM}")
    parse_watch(term)  # raises CommandUsageError with the reason
    return term


def _not_a_name(typed: str) -> str:
    """Say that an argument is far too long to be an account's (or source's) name; does not
    quote it back."""
    return (
        f"that is not an account name ({len(typed.strip()):,} characters); "
        "`/clip accounts` lists yours"
    )


def parse_clip(text: str) -> ClipCommand:
    """Return the command in ``text``; empty or unknown input is ``help``.

    Raises:
        CommandUsageError: the command is known but its arguments are not valid.
    """
    if len(text) > MAX_INPUT:
        verb, _sep, rest = text.strip().partition(" ")
        if verb.lower() in ("news", "mute", "unmute") and rest.strip():
            raise CommandUsageError(_not_a_name(rest))
        raise CommandUsageError(
            f"that is {len(text):,} characters; /clip takes at most {MAX_INPUT:,}"
        )
    words = text.strip().split(maxsplit=1)
    if not words:
        return ClipCommand("help")
    verb, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if verb not in VERBS:
        return ClipCommand("help", argument=verb)
    if verb == "add":
        head, sep, account = rest.rpartition(" to ")
        if sep and head.strip() and account.strip():
            return ClipCommand("add", _term(head), account=_clean(account))
        return ClipCommand("add", _term(rest))
    if verb in ("remove", "preview"):
        return ClipCommand(verb, _term(rest))
    if verb == "news":
        if not rest.strip():
            raise CommandUsageError(
                "which account? `/clip news ACCOUNT` (or `/clip news industries`)"
            )
        if len(_clean(rest)) > MAX_NAME:
            raise CommandUsageError(_not_a_name(rest))
        text = _clean(rest)[:MAX_TERM]
        first, _sep, industry = text.partition(" ")
        if first.lower() in ("industries", "industry"):
            # the handler still tries an account of this exact name first ("Industry Partners")
            return ClipCommand("news", text, industry=industry)
        return ClipCommand("news", text)
    if verb == "mute":
        parts = rest.split()
        days = DEFAULT_MUTE_DAYS
        if parts and parts[-1].isdigit():
            days = int(parts.pop())
            if not 1 <= days <= MAX_MUTE_DAYS:
                raise CommandUsageError(f"mute for 1 to {MAX_MUTE_DAYS} days")
        target = _clean(" ".join(parts))
        if not target:
            raise CommandUsageError("mute what? `/clip mute ACCOUNT|SOURCE [DAYS]`")
        if len(target) > MAX_NAME:
            raise CommandUsageError(_not_a_name(target))
        return ClipCommand("mute", target[:MAX_TERM], days=days)
    if verb == "unmute":
        if len(_clean(rest)) > MAX_NAME:
            raise CommandUsageError(_not_a_name(rest))
        return ClipCommand("unmute", _clean(rest)[:MAX_TERM])
    if verb == "settings":
        return _settings(rest)
    if verb == "touch":
        text = _clean(rest)
        if not text:
            raise CommandUsageError("which account? `/clip touch ACCOUNT NOTE`")
        if len(text) > MAX_NOTE:
            raise CommandUsageError(f"the note is {len(text)} characters; at most {MAX_NOTE}")
        return ClipCommand("touch", text)
    if verb == "me":
        label = _clean(rest)
        if label:
            parse_quarter(label)  # raises CommandUsageError with an example
        return ClipCommand("me", label)
    if verb == "review":
        return _review(rest)
    if verb == "useful":
        if not rest.strip():
            raise CommandUsageError("which account? `/clip useful ACCOUNT`")
        return ClipCommand("useful", _clean(rest)[:MAX_TERM])
    return ClipCommand(verb)


def _review(rest: str) -> ClipCommand:
    """``/clip review ACCOUNT [QUARTER]``: the quarter (``2026Q4``) rides in ``value``."""
    words = _clean(rest).split()
    quarter = None
    if words and re.fullmatch(r"(?i)(FY)?\d{4}-?Q[1-4]", words[-1]) and len(words) > 1:
        quarter = words.pop()
    account = " ".join(words)
    if not account:
        raise CommandUsageError("which account? `/clip review ACCOUNT [2026Q4]`")
    return ClipCommand("review", account[:MAX_TERM], value=quarter)


def split_account(text: str, accounts: list[str]) -> tuple[str | None, str]:
    """Return (the account ``text`` starts with, the rest): the longest account name that
    begins it, case-insensitive, optionally followed by ":"; (None, text) when none does."""
    folded = text.casefold()
    for name in sorted(accounts, key=len, reverse=True):
        key = name.casefold()
        if folded.startswith(key) and (len(text) == len(key) or not text[len(key)].isalnum()):
            return name, text[len(key) :].lstrip(" :,-").strip()
    return None, text


def _settings(rest: str) -> ClipCommand:
    name, _sep, value = rest.strip().partition(" ")
    name, value = name.lower(), value.strip()
    usage = (
        "`/clip settings time 08:00`, `settings tz Europe/Berlin`, `settings quiet 20:00-07:00`, "
        "`settings industries off`"
    )
    if name == "time":
        try:
            at = time.fromisoformat(value)
        except ValueError:
            raise CommandUsageError(f"not a time: {value!r}; {usage}") from None
        return ClipCommand("settings", setting=RepSetting.DIGEST_TIME, value=at.strftime("%H:%M"))
    if name in ("tz", "timezone"):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandUsageError(f"unknown time zone {value!r} (e.g. Europe/Berlin)") from None
        return ClipCommand("settings", setting=RepSetting.TIMEZONE, value=value)
    if name == "quiet":
        try:
            start, end = (time.fromisoformat(p.strip()) for p in value.split("-"))
        except ValueError:
            raise CommandUsageError(f"quiet hours look like 20:00-07:00, not {value!r}") from None
        return ClipCommand(
            "settings", setting=RepSetting.QUIET_HOURS, value=f"{start:%H:%M}-{end:%H:%M}"
        )
    if name in ("industries", "industry"):
        switch = value.lower()
        if switch not in ("on", "off"):
            raise CommandUsageError(
                f"industry news is `on` or `off`, not {value!r}: `/clip settings industries off`"
            )
        return ClipCommand("settings", setting=RepSetting.INDUSTRIES, value=switch)
    raise CommandUsageError(f"which setting? {usage}")


def closest(name: str, choices: list[str]) -> str | None:
    """Return the choice ``name`` means (case-insensitive, exact or unique prefix), else None."""
    folded = {c.casefold(): c for c in choices}
    key = name.casefold()
    if key in folded:
        return folded[key]
    starting = [c for f, c in folded.items() if f.startswith(key)]
    return starting[0] if len(starting) == 1 else None


def suggestions(name: str, choices: list[str], *, plain: bool = False) -> str:
    """Return "Did you mean X or Y?" for an unknown name, or the list of choices: as Slack
    mrkdwn, each name escaped (``escape_name``: an account called ``<!channel> *Evil*`` pings
    nobody and bolds nothing), or with ``plain`` as text, names in quotes, not escaped (the
    caller escapes for where it is shown). Does not quote ``name`` back."""
    close = difflib.get_close_matches(name.casefold(), [c.casefold() for c in choices], n=3)
    by_fold = {c.casefold(): c for c in choices}

    def shown(choice: str, *, strong: bool) -> str:
        if plain:
            return f"'{choice}'"
        return f"*{escape_name(choice)}*" if strong else escape_name(choice)

    if close:
        return "Did you mean " + " or ".join(shown(by_fold[c], strong=True) for c in close) + "?"
    if choices:
        return "Your accounts: " + ", ".join(shown(c, strong=False) for c in sorted(choices)[:20])
    return "You own no accounts in Clipper yet."


@dataclass(frozen=True, slots=True)
class ButtonItem:
    """The digest item a button names."""

    account: str
    article_id: int


def parse_button_value(value: str) -> ButtonItem:
    """Return the account and article id a digest button's value carries.

    Raises:
        CommandUsageError: the value is not a digest button's, or its article id is not a
            positive whole number a database can hold. Does not check that either exists.
    """
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("account"), str):
        raise CommandUsageError("this button is from an older digest; use the newest")
    raw = data.get("article")
    number = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        number = int(raw)
    if number is None or not 1 <= number <= MAX_ARTICLE_ID:
        shown = json.dumps(raw)[:40]
        raise CommandUsageError(
            f"this button names {shown}, which is not an article id; "
            "use the buttons of your newest digest"
        )
    return ButtonItem(data["account"], number)


def parse_more_value(value: str) -> str:
    """Return the account a "Show N more" button's value names.

    Raises:
        CommandUsageError: the value is not a "Show more" button's (not JSON, no account, an
            empty or over-long name). Does not check the account exists or is the rep's.
    """
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        data = None
    account = data.get("more") if isinstance(data, dict) else None
    if not isinstance(account, str) or not account.strip() or len(account) > 500:
        raise CommandUsageError(
            "this *Show more* button is not one Clipper made; "
            "use `/clip news ACCOUNT` to see what your digest left out"
        )
    return account


#: the share window's contact select (its action id; its input block is "contact")
CONTACT_ACTION = "share_contact"
#: the "Customer found it useful" button under a logged share (its value: ``useful_value``)
USEFUL_ACTION = "share_useful"


def useful_value(touch_id: int) -> str:
    """Return the "Customer found it useful" button's value: the share's touch id."""
    return json.dumps({"useful": touch_id})


def parse_useful_value(value: str) -> int:
    """Return the share's touch id a "Customer found it useful" button's value names.

    Raises:
        CommandUsageError: the value is not such a button's (not JSON, no positive whole
            number). Does not check the share exists or is the rep's.
    """
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        data = None
    touch = data.get("useful") if isinstance(data, dict) else None
    if not isinstance(touch, int) or isinstance(touch, bool) or not 1 <= touch <= MAX_ARTICLE_ID:
        raise CommandUsageError(
            "this *Customer found it useful* button is not one Clipper made; "
            "`/clip useful ACCOUNT` marks your latest share with an account"
        )
    return touch


@dataclass(frozen=True, slots=True)
class ShareSubmission:
    """What a submitted share window carries: the item, the rep's note, the digest message."""

    item: ButtonItem
    note: str
    channel: str | None
    ts: str | None
    #: which of the account's contacts the window's select chose (its index; None: no select)
    contact: int | None = None


def parse_share_submission(view: Mapping[str, Any]) -> ShareSubmission:
    """Return the item, note and digest message of a submitted share window.

    Raises:
        CommandUsageError: the window's hidden data does not name an account and an article id
            (a window Clipper did not open). Does not check that either exists or is the rep's.
    """
    metadata = view.get("private_metadata")
    try:
        item = parse_button_value(metadata if isinstance(metadata, str) else "")
    except CommandUsageError:
        raise CommandUsageError(
            "this share window does not say which article it is for, so nothing was logged; "
            "click *Share with customer* in your digest again"
        ) from None
    data = json.loads(str(metadata))
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}
    # the note block is "note", or "note_N" once the contact select re-wrote it for contact N
    note: Any = next((v for k, v in values.items() if k == "note" or k.startswith("note_")), None)
    for key in ("note", "value"):
        note = note.get(key) if isinstance(note, dict) else None
    return ShareSubmission(
        item,
        note if isinstance(note, str) else "",
        data.get("channel") if isinstance(data.get("channel"), str) else None,
        data.get("ts") if isinstance(data.get("ts"), str) else None,
        selected_contact(values),
    )


def selected_contact(values: Mapping[str, Any]) -> int | None:
    """Return the contact index a share window's ``contact`` select holds (its
    ``view.state.values``); None when there is no select or its value is not an index. Does
    not check the index is in range."""
    chosen: Any = values.get("contact")
    for key in (CONTACT_ACTION, "selected_option", "value"):
        chosen = chosen.get(key) if isinstance(chosen, dict) else None
    if isinstance(chosen, str) and chosen.isascii() and chosen.isdigit() and len(chosen) <= 3:
        return int(chosen)
    return None
