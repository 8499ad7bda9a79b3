"""Customer touches: quarters (calendar or fiscal), touch targets, and CRM activity exports
(Salesforce Tasks, HubSpot activities) read into ledger touches.

    quarter_of(instant, zone, start_month)   the quarter an instant falls in, in the ledger's zone
    quarter_start / quarter_end              a quarter's bounds as UTC instants
    parse_quarter("2026Q4")                  a label back into a ``Quarter``
    TouchPolicy                              targets per year and quarter (account > tier > default)
    read_touch_csv(text, ...)                export rows → ``NewTouch`` values, bad rows by line

Quarter labels: a fiscal year is labelled by the calendar year it ends in. With
``fiscal_year_start_month: 2`` the fiscal year from February 2026 to January 2027 is 2027, and
February-April 2026 is ``2027Q1``; with 1 (calendar quarters) 2026Q4 is October-December 2026.

Reads text and values, returns values and located problems. Does not read files, the clock or
the database: ``now`` and the known accounts and reps are arguments.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import html
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..exceptions import CommandUsageError
from ..types import NewTouch, Touch, TouchChannel
from .crm import name_key
from .touch_export import unguard_cell
from .urls import EMAIL
from .words import noun

_LABEL = re.compile(r"\s*(?:FY)?(\d{4})\s*-?\s*Q([1-4])\s*", re.IGNORECASE)


# ------------------------------------------------------------------------------------ quarters


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """A quarter of a (fiscal) year; ``year`` is the calendar year the fiscal year ends in."""

    year: int
    #: 1 to 4
    number: int

    @property
    def label(self) -> str:
        """``2026Q4``."""
        return f"{self.year}Q{self.number}"

    def __str__(self) -> str:
        return self.label

    def shifted(self, quarters: int) -> Quarter:
        """Return the quarter ``quarters`` later (earlier when negative)."""
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)


def _quoted(text: str) -> str:
    """Return what was typed, quoted back in at most 40 characters (a long one says its size)."""
    if len(text) <= 40:
        return repr(text)
    return f"{text[:30]!r}… ({len(text):,} characters)"


def parse_quarter(text: str) -> Quarter:
    """Return the quarter a label names: ``2026Q4`` (also ``2026-Q4``, ``FY2026Q4``, any case).

    Raises:
        CommandUsageError: not a quarter label, with an example.
    """
    found = _LABEL.fullmatch(text)
    if found is None:
        raise CommandUsageError(
            f"not a quarter: {_quoted(text)} (expected a label such as 2026Q4: the year the fiscal "
            "year ends in, then Q1 to Q4)"
        )
    return Quarter(int(found.group(1)), int(found.group(2)))


def _check_month(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise ValueError(f"a fiscal year starts in month 1 to 12, not {start_month}")


def quarter_of_day(day: date, start_month: int = 1) -> Quarter:
    """Return the quarter a calendar day falls in, for a fiscal year starting in
    ``start_month`` (1: calendar quarters). Does not know about time zones (``quarter_of``
    does)."""
    _check_month(start_month)
    months_in = (day.month - start_month) % 12
    year = day.year if start_month == 1 or day.month < start_month else day.year + 1
    return Quarter(year, months_in // 3 + 1)


def quarter_of(instant: datetime, zone: ZoneInfo | str = "UTC", start_month: int = 1) -> Quarter:
    """Return the quarter an aware instant falls in, by its date in ``zone`` (the same instant
    is in 2026Q4 in Berlin and still 2026Q3 in New York at midnight on 1 October)."""
    if instant.tzinfo is None:
        raise ValueError("quarter_of needs an aware datetime")
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return quarter_of_day(instant.astimezone(tz).date(), start_month)


def first_day(quarter: Quarter, start_month: int = 1) -> date:
    """Return the calendar day a quarter begins on."""
    _check_month(start_month)
    first_year = quarter.year if start_month == 1 else quarter.year - 1
    months = (start_month - 1) + 3 * (quarter.number - 1)
    return date(first_year + months // 12, months % 12 + 1, 1)


def quarter_start(quarter: Quarter, zone: ZoneInfo | str = "UTC", start_month: int = 1) -> datetime:
    """Return the UTC instant a quarter begins: midnight of its first day in ``zone``."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    local = datetime.combine(first_day(quarter, start_month), time(0), tzinfo=tz)
    return local.astimezone(UTC)


def quarter_end(quarter: Quarter, zone: ZoneInfo | str = "UTC", start_month: int = 1) -> datetime:
    """Return the UTC instant a quarter ends (exclusive): the next quarter's start."""
    return quarter_start(quarter.shifted(1), zone, start_month)


# -------------------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class TouchPolicy:
    """How many touches an account needs, and how quarters are counted
    (``touches:`` in the settings file). Does not know which accounts exist."""

    #: touches per account per year, unless its tier or the account says otherwise
    target_per_year: int = 4
    #: (tier, touches per year)
    tier_targets: tuple[tuple[str, int], ...] = ()
    #: 1: calendar quarters; else the month the fiscal year starts in
    fiscal_year_start_month: int = 1
    #: an account with no touch for this many days is going dark
    going_dark_days: int = 90
    #: the IANA zone whose calendar days decide quarters and dates without a time
    timezone: str = "UTC"

    def yearly_target(self, *, tier: str | None = None, override: int | None = None) -> int:
        """Return an account's touches per year: its own ``touch_target``, else its tier's,
        else ``target_per_year``."""
        if override is not None:
            return override
        tiers = dict(self.tier_targets)
        if tier is not None and tier in tiers:
            return tiers[tier]
        return self.target_per_year

    def quarterly_target(self, *, tier: str | None = None, override: int | None = None) -> int:
        """Return an account's touches per quarter: a quarter of its yearly target, rounded up
        (4 a year: 1; 6 a year: 2; 0: none needed)."""
        return math.ceil(self.yearly_target(tier=tier, override=override) / 4)

    def quarter_of(self, instant: datetime) -> Quarter:
        return quarter_of(instant, self.timezone, self.fiscal_year_start_month)

    def quarter_start(self, quarter: Quarter) -> datetime:
        return quarter_start(quarter, self.timezone, self.fiscal_year_start_month)

    def quarter_end(self, quarter: Quarter) -> datetime:
        return quarter_end(quarter, self.timezone, self.fiscal_year_start_month)


# --------------------------------------------------------------------------- CRM activity exports

#: Salesforce Task export (Data Loader / Workbench / SOQL) header (lower case) → field
SALESFORCE_COLUMNS: dict[str, str] = {
    "subject": "subject",
    "activitydate": "date",
    "account.name": "account",
    "owner.email": "rep",
    "type": "kind",
    "description": "note",
    "id": "id",
    "who.name": "contact",
    "who.email": "contact",
    "tasksubtype": "kind",
    "clipper_key__c": "clipper_key",
}
#: HubSpot activity (engagement) export header (lower case) → field
HUBSPOT_COLUMNS: dict[str, str] = {
    "activity date": "date",
    # the note properties by their internal names (``clipper touches export --format hubspot``)
    "hs_timestamp": "date",
    "hs_note_body": "note",
    "activity type": "kind",
    "engagement type": "kind",
    "associated company": "account",
    "associated companies": "account",
    "company name": "account",
    "activity assigned to": "rep",
    "assigned to": "rep",
    "activity owner": "rep",
    "owner email": "rep",
    "hubspot owner email": "rep",
    "subject": "subject",
    "call title": "subject",
    "meeting name": "subject",
    "email subject": "subject",
    "task title": "subject",
    "body": "note",
    "body preview": "note",
    "call notes": "note",
    "meeting description": "note",
    "email body": "note",
    "note body": "note",
    "notes": "note",
    "record id": "id",
    "activity id": "id",
    "engagement id": "id",
    "associated contact": "contact",
    "associated contacts": "contact",
    "clipper key": "clipper_key",
}
#: the fields a row must have, and how each dialect's main header for it reads
REQUIRED = ("date", "account", "rep")
_HEADERS = {
    TouchChannel.SALESFORCE: {
        "date": "ActivityDate",
        "account": "Account.Name",
        "rep": "Owner.Email",
    },
    TouchChannel.HUBSPOT: {
        "date": "Activity date",
        "account": "Associated Company",
        "rep": "Activity assigned to",
    },
}
_US_DATE = re.compile(
    r"\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*"
)
_TAG = re.compile(r"<[^>]{0,2000}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CRM_NAMES = {TouchChannel.SALESFORCE: "Salesforce", TouchChannel.HUBSPOT: "HubSpot"}
#: longest note, subject and contact kept (the rest is cut with "…")
MAX_NOTE = 4000
MAX_FIELD = 300


@dataclass(frozen=True, slots=True)
class TouchRows:
    """Touches read from a CRM export, and every row that was skipped, by line."""

    #: which CRM the header says it is (None: neither, and nothing was read)
    dialect: TouchChannel | None
    touches: tuple[NewTouch, ...] = ()
    #: ``FILE:LINE: COLUMN: reason; row skipped`` (line 1: the file itself)
    problems: tuple[str, ...] = ()
    #: rows that were read, good and bad (blank lines aside)
    rows: int = 0


def detect_dialect(header: Sequence[str]) -> TouchChannel | None:
    """Return which CRM export a header row is (None: neither): Salesforce when it has
    ``ActivityDate``, ``Account.Name`` or ``Owner.Email``, HubSpot when it has ``Activity
    date``, ``hs_timestamp``, ``Associated Company`` or ``Activity assigned to``."""
    names = {h.strip().lstrip("\ufeff").lower() for h in header}
    if names & {"activitydate", "account.name", "owner.email"}:
        return TouchChannel.SALESFORCE
    if names & {
        "activity date",
        "hs_timestamp",
        "associated company",
        "associated companies",
        "activity assigned to",
    }:
        return TouchChannel.HUBSPOT
    return None


def parse_when(value: str, zone: ZoneInfo) -> tuple[datetime, bool]:
    """Return a CRM date or time as a UTC instant, and whether it was a date without a time.

    Accepts ISO dates and times (``2026-10-14``, ``2026-10-14 15:30``,
    ``2026-10-14T15:30:00.000+0000``) and US dates (``10/14/2026``, ``10/14/2026 3:30 PM``). A
    time without an offset is in ``zone``; a date without a time is noon in ``zone``, so it
    stays on its day in any nearby zone.

    Raises:
        ValueError: none of those forms, with the forms accepted.
    """
    text = value.strip()
    parsed: datetime | None = None
    date_only = False
    try:
        parsed = datetime.fromisoformat(text)
        date_only = len(text) <= 10
    except ValueError:
        found = _US_DATE.fullmatch(text)
        if found:
            month, day, year, hour, minute, second, half = found.groups()
            try:
                h = int(hour or 12)
                if half:
                    if not 1 <= h <= 12:
                        raise ValueError("hour")
                    h = h % 12 + (12 if half.lower() == "pm" else 0)
                parsed = datetime(
                    int(year), int(month), int(day), h, int(minute or 0), int(second or 0)
                )
                date_only = hour is None
            except ValueError:
                parsed = None
    if parsed is None:
        raise ValueError(
            f"not a date: {value!r} (expected YYYY-MM-DD, an ISO date and time, or MM/DD/YYYY)"
        )
    if date_only:
        parsed = parsed.replace(hour=12)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC), date_only


def _clean(value: str, limit: int, *, markup: bool = False) -> str:
    """Return CRM text as plain text: tags removed and entities decoded when ``markup`` (HubSpot
    bodies are HTML), control characters dropped, cut to ``limit`` characters."""
    if markup and "<" in value:
        value = re.sub(r"[ \t]+", " ", html.unescape(_TAG.sub(" ", value)))
    value = _CONTROL.sub("", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def touch_key(channel: TouchChannel, record_id: str | None, parts: Sequence[str]) -> str:
    """Return the stable key a CRM row is merged by: the CRM's own record id when the export
    has one, else a hash of what the row says (rep, account, time, type, subject, note)."""
    if record_id:
        return f"{channel.value}:{record_id}"
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{channel.value}:row:{digest}"


def _rep_of(raw: str, reps: Mapping[str, str]) -> str | None:
    """Return the rep an owner cell names: an email anywhere in it ("Dana Lee (dana@x.com)"),
    else a rep's name; None when neither is a known rep."""
    found = EMAIL.search(raw)
    if found:
        return reps.get(found.group(0).strip("()<>[],;").lower())
    return reps.get(raw.strip().casefold())


def read_touch_csv(
    text: str,
    *,
    source: str,
    accounts: Mapping[str, str],
    reps: Mapping[str, str],
    zone: ZoneInfo | str,
    now: datetime,
) -> TouchRows:
    """Return the touches of a Salesforce Task or HubSpot activity export (detected from the
    header), with each bad row reported by its first line, column and reason. Good rows are
    kept.

    Args:
        accounts: ``logic.crm.name_key`` of every account name and alias → the account's name.
        reps: every rep's email, and every rep's case-folded name, → the rep's email.
        zone: the zone of times without an offset, and of dates without a time.
        now: rows dated after it (after today, for a date without a time) are bad rows: an open
            task is not a touch yet.
    """
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    first_line = text.split("\n", 1)[0]
    # the header decides the separator (Excel writes ";" in some locales): CSV sniffing
    # guesses wrong on headers with spaces and notes with commas
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return TouchRows(None, problems=(f"{source}:1: empty file",))
    except csv.Error as exc:
        return TouchRows(None, problems=(f"{source}:1: not a CSV file: {exc}",))
    crm = detect_dialect(header)
    if crm is None:
        return TouchRows(
            None,
            problems=(
                f"{source}:1: not a Salesforce Task export (Subject, ActivityDate, Account.Name, "
                "Owner.Email, Type, Description) or a HubSpot activity export (Activity date, "
                "Activity type, Associated Company, Activity assigned to, Subject, Body); "
                f"found: {', '.join(header)}",
            ),
        )
    table = SALESFORCE_COLUMNS if crm is TouchChannel.SALESFORCE else HUBSPOT_COLUMNS
    names = [h.strip().lstrip("\ufeff") for h in header]
    fields = [table.get(n.lower()) for n in names]
    missing = [_HEADERS[crm][f] for f in REQUIRED if f not in fields]
    if missing:
        return TouchRows(
            crm,
            problems=(
                f"{source}:1: {_CRM_NAMES[crm]}"
                f" export without the {noun(len(missing), 'column')} {', '.join(missing)}; found: "
                f"{', '.join(names)}",
            ),
        )
    label = {f: n for n, f in reversed(list(zip(names, fields, strict=True))) if f}
    touches: list[NewTouch] = []
    problems: list[str] = []
    rows = 0
    end = 1
    while True:
        line = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{source}:{line}: unreadable CSV ({exc}); rest of the file skipped")
            break
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        values: dict[str, str] = {}
        for field_name, cell in zip(fields, row, strict=False):
            if field_name and cell.strip() and field_name not in values:
                # a formula guard ("'=...") that ``clipper touches export`` wrote comes off
                values[field_name] = unguard_cell(cell.strip())
        read = _row_touch(values, crm, accounts, reps, tz, now, origin=f"{source}:{line}")
        if isinstance(read, _BadRow):
            problems.append(f"{source}:{line}: {label[read.field]}: {read.reason}; row skipped")
        else:
            touches.extend(read)
    return TouchRows(crm, tuple(touches), tuple(problems), rows)


@dataclass(frozen=True, slots=True)
class _BadRow:
    """Why a row is skipped: the field at fault and the reason."""

    field: str
    reason: str


def _row_touch(
    values: Mapping[str, str],
    crm: TouchChannel,
    accounts: Mapping[str, str],
    reps: Mapping[str, str],
    tz: ZoneInfo,
    now: datetime,
    *,
    origin: str,
) -> tuple[NewTouch, ...] | _BadRow:
    """Return one export row's touches (one per account it names: HubSpot may associate
    several companies), or the field that makes it a bad row and why."""
    raw_date = values.get("date", "")
    if not raw_date:
        return _BadRow("date", "missing")
    try:
        touched_at, date_only = parse_when(raw_date, tz)
    except ValueError as exc:
        return _BadRow("date", str(exc))
    if (
        (touched_at.astimezone(tz).date() > now.astimezone(tz).date())
        if date_only
        else (touched_at > now)
    ):
        return _BadRow("date", f"{raw_date} is in the future (an open task is not a touch yet)")
    raw_account = values.get("account", "")
    if not raw_account:
        return _BadRow("account", "missing")
    named = [raw_account]
    if accounts.get(name_key(raw_account)) is None and ";" in raw_account:
        # HubSpot lists several associated companies in one cell, separated by ";"
        named = [part.strip() for part in raw_account.split(";") if part.strip()]
    found: list[str] = []
    for name in named:
        account = accounts.get(name_key(name))
        if account is None:
            return _BadRow("account", f"unknown account {name!r}{_did_you_mean(name, accounts)}")
        found.append(account)
    found = list(dict.fromkeys(found))
    raw_rep = values.get("rep", "")
    if not raw_rep:
        return _BadRow("rep", "missing")
    rep = _rep_of(raw_rep, reps)
    if rep is None:
        return _BadRow(
            "rep", f"{raw_rep!r} is not a rep in the reps file (add the rep, or use their email)"
        )
    markup = crm is TouchChannel.HUBSPOT
    note = _clean(values.get("note", ""), MAX_NOTE, markup=markup) or None
    subject = _clean(values.get("subject", ""), MAX_FIELD, markup=markup) or None
    kind = _clean(values.get("kind", ""), MAX_FIELD) or None
    contact = _clean(values.get("contact", ""), MAX_FIELD) or None
    record_id = _clean(values.get("id", ""), MAX_FIELD) or None
    # a row ``clipper touches export`` wrote carries its ledger key: it merges with its touch
    exported = _clean(values.get("clipper_key", ""), MAX_FIELD) or None
    touches = []
    for account in found:
        key = exported or touch_key(
            crm,
            record_id,
            [rep, account, touched_at.isoformat(), kind or "", subject or "", note or ""],
        )
        if (exported or record_id) and len(found) > 1:
            key += f"#{name_key(account)}"  # one CRM activity, one touch per company
        touches.append(
            NewTouch(
                rep=rep,
                account=account,
                touched_at=touched_at,
                channel=crm,
                key=key,
                contact=contact,
                note=note,
                subject=subject,
                kind=kind,
                origin=origin,
            )
        )
    return tuple(touches)


def _did_you_mean(name: str, accounts: Mapping[str, str]) -> str:
    known = sorted(set(accounts.values()))
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return " (not in the accounts file)"


def account_keys(accounts: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """Return ``name_key`` of each account's name and aliases → its name (a name wins over an
    alias another account has)."""
    keys: dict[str, str] = {}
    for name, aliases in accounts:
        for alias in aliases:
            keys.setdefault(name_key(alias), name)
    for name, _aliases in accounts:
        keys[name_key(name)] = name
    return keys


def days_since(last: datetime | None, now: datetime) -> int | None:
    """Return whole days from ``last`` to ``now`` (never negative); None when never."""
    if last is None:
        return None
    return max(0, (now - last) // timedelta(days=1))


def parse_since(text: str, policy: TouchPolicy) -> datetime:
    """Return the instant ``--since`` names: a quarter label (its first moment), a date
    (midnight in the ledger's zone) or an ISO time (in the ledger's zone without an offset).

    Raises:
        CommandUsageError: none of those, with examples.
    """
    value = text.strip()
    if _LABEL.fullmatch(value):
        return policy.quarter_start(parse_quarter(value))
    tz = ZoneInfo(policy.timezone)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandUsageError(
            f"not a date: {text!r} (expected YYYY-MM-DD, an ISO date and time, or a quarter "
            "such as 2026Q4)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


# ------------------------------------------------------------------------------------ coverage

#: the trailing window of yearly coverage
YEAR = timedelta(days=365)
#: the warning on an account whose recent touches all went to one of its several contacts
ONE_CONTACT = "only one contact touched in 12 months"


def single_contact(contacts: Sequence[str | None], known: int) -> bool:
    """Whether touches (the contacts they named, None: none) all went to one contact while the
    account has more on file: at least two touches named one, every one named the same person
    (case-insensitive), and ``known`` is 2 or more. Touches naming nobody are left out, as
    unknown. Does not pick the touches' window (the caller passes the trailing 12 months)."""
    named = [c.casefold() for c in contacts if c]
    return known >= 2 and len(named) >= 2 and len(set(named)) == 1


@dataclass(frozen=True, slots=True)
class CoverageAccount:
    """What coverage needs to know of an account (from the accounts file)."""

    name: str
    owner: str | None = None
    tier: str | None = None
    #: its own touches per year (``touch_target``), over its tier's
    touch_target: int | None = None
    #: the contacts on file for it (``contacts:``)
    contacts: int = 0


@dataclass(frozen=True, slots=True)
class AccountCoverage:
    """One account's touches against its targets, as of ``as_of``."""

    account: str
    owner: str | None
    quarter: Quarter
    #: touches in ``quarter`` (up to ``as_of``), and the account's quarterly target
    this_quarter: int
    quarter_target: int
    #: touches in the 365 days up to ``as_of``, and the account's yearly target
    last_12_months: int
    year_target: int
    last_touch_at: datetime | None
    #: whole days since the last touch (None: never touched)
    days_since: int | None
    #: no touch for ``going_dark_days`` or more (or never)
    going_dark: bool
    #: distinct contacts touched in the trailing 12 months (touches naming one)
    contacts_touched: int = 0
    #: the contacts on file for the account
    contacts_known: int = 0
    #: ``ONE_CONTACT``: two or more touches in the trailing 12 months named a contact, all of
    #: them the same one, and the account has more contacts on file
    single_contact: bool = False

    @property
    def due(self) -> bool:
        """Under its quarterly target this quarter."""
        return self.this_quarter < self.quarter_target

    @property
    def on_target_year(self) -> bool:
        return self.last_12_months >= self.year_target


@dataclass(frozen=True, slots=True)
class RepCoverage:
    """One rep's book: the accounts they own, and the touches they made themselves."""

    rep: str
    #: accounts the rep owns
    accounts: int
    #: of those, at their quarterly target this quarter
    on_target_quarter: int
    #: of those, at their yearly target over the trailing 12 months
    on_target_year: int
    #: of those, going dark
    going_dark: int
    #: touches the rep made this quarter, and in the trailing 12 months (any account)
    touches_quarter: int
    touches_12_months: int


@dataclass(frozen=True, slots=True)
class Coverage:
    """Touch coverage of every account and every rep for one quarter and the 12 months before
    ``as_of``."""

    quarter: Quarter
    #: the end of the counted period: now for the current quarter, else the quarter's end
    as_of: datetime
    accounts: tuple[AccountCoverage, ...]
    #: sorted by rep email; accounts without an owner are in no rep's book
    reps: tuple[RepCoverage, ...]


def coverage(
    accounts: Sequence[CoverageAccount],
    touches: Sequence[Touch],
    policy: TouchPolicy,
    now: datetime,
    *,
    quarter: Quarter | None = None,
) -> Coverage:
    """Return each account's and each rep's coverage for ``quarter`` (default: the one ``now``
    is in) and the 12 months up to its end (or ``now``, whichever is first).

    ``touches`` must hold every live touch from 365 days before that point (voided ones left
    out by the caller); later ones are ignored. Touches on accounts not in ``accounts`` count
    for the rep who made them only. Does not read the ledger.
    """
    current = policy.quarter_of(now)
    chosen = quarter or current
    start = policy.quarter_start(chosen)
    as_of = min(now, policy.quarter_end(chosen))
    year_start = as_of - YEAR
    # a quarter's end belongs to the next quarter; "now" itself is counted
    counted = [t for t in touches if t.touched_at < as_of or t.touched_at == now == as_of]
    by_account: dict[str, list[Touch]] = {}
    for touch in counted:
        by_account.setdefault(touch.account, []).append(touch)
    rows: list[AccountCoverage] = []
    for account in accounts:
        mine = by_account.get(account.name, [])
        last = max((t.touched_at for t in mine), default=None)
        days = days_since(last, as_of)
        rows.append(
            AccountCoverage(
                account=account.name,
                owner=account.owner,
                quarter=chosen,
                this_quarter=sum(1 for t in mine if t.touched_at >= start),
                quarter_target=policy.quarterly_target(
                    tier=account.tier, override=account.touch_target
                ),
                last_12_months=sum(1 for t in mine if t.touched_at >= year_start),
                year_target=policy.yearly_target(tier=account.tier, override=account.touch_target),
                last_touch_at=last,
                days_since=days,
                going_dark=days is None or days >= policy.going_dark_days,
                contacts_touched=len(
                    {t.contact.casefold() for t in mine if t.contact and t.touched_at >= year_start}
                ),
                contacts_known=account.contacts,
                single_contact=single_contact(
                    [t.contact for t in mine if t.touched_at >= year_start], account.contacts
                ),
            )
        )
    owners = sorted({a.owner for a in accounts if a.owner} | {t.rep for t in counted})
    reps = []
    for rep in owners:
        book = [r for r in rows if r.owner == rep]
        made = [t for t in counted if t.rep == rep]
        reps.append(
            RepCoverage(
                rep=rep,
                accounts=len(book),
                on_target_quarter=sum(1 for r in book if not r.due),
                on_target_year=sum(1 for r in book if r.on_target_year),
                going_dark=sum(1 for r in book if r.going_dark),
                touches_quarter=sum(1 for t in made if t.touched_at >= start),
                touches_12_months=sum(1 for t in made if t.touched_at >= year_start),
            )
        )
    return Coverage(chosen, as_of, tuple(rows), tuple(reps))
