"""The managers' touch-coverage report (``clipper report touches``): its numbers as one frozen
record, what its chart shows, and the record as CSV, JSON and a self-contained HTML page.

    coverage_report(Coverage, policy, names, rep=None)  → CoverageReport (per rep, per account,
                                                          accounts by days since their last touch)
    chart_data(CoverageReport)                          → ChartData: what the chart plots
    report_json / report_csv / report_html              → the record in each format

Every number comes from ``logic.touches.coverage`` (the same numbers ``/clip report`` counts);
a rep's row is the sum of their accounts' rows. Does not read the ledger, the clock or files,
and does not draw the chart (``adapters.chart_mpl`` does).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .standing import ShareStats, Streak
from .touches import ONE_CONTACT, AccountCoverage, Coverage, Quarter, TouchPolicy
from .words import day_span, plural

#: the CSV header, and the keys of the JSON ``reps``, ``team`` and ``accounts`` objects
COLUMNS = (
    "row",
    "quarter",
    "rep",
    "name",
    "account",
    "accounts",
    "on_target_quarter",
    "on_target_year",
    "going_dark",
    "touches_quarter",
    "quarter_target",
    "touches_12_months",
    "year_target",
    "days_since_last_touch",
    "last_touch",
    "contacts_touched",
    "contacts_known",
    "single_contact",
)
#: an account's flag in the HTML page
DARK = "going dark"
#: the headers of the per-account flag columns (going dark; ``ONE_CONTACT``) in the table and
#: the HTML page
DARK_COLUMN, ONE_CONTACT_COLUMN = "going dark", "one contact"
#: the ``row`` column's values
TEAM, REP, ACCOUNT = "team", "rep", "account"


@dataclass(frozen=True, slots=True)
class RepLine:
    """A rep's book (the accounts they own) this quarter and over the trailing 12 months; the
    team line sums every account shown. Touches are those on the book, by anyone."""

    #: the rep's email ("team" for the team line)
    rep: str
    #: the rep's name in the reps file, if any
    name: str | None
    accounts: int
    #: accounts at their quarterly target this quarter
    on_target_quarter: int
    #: accounts at their yearly target over the trailing 12 months
    on_target_year: int
    #: accounts with no touch for ``going_dark_days`` or more (or never)
    going_dark: int
    touches_quarter: int
    #: the sum of the accounts' quarterly targets
    quarter_target: int
    touches_12_months: int
    #: the sum of the accounts' yearly targets
    year_target: int

    @property
    def label(self) -> str:
        """The rep's name, else their email."""
        return self.name or self.rep


@dataclass(frozen=True, slots=True)
class DaysBucket:
    """Accounts whose last touch is ``low`` to ``high`` days old (``high`` None: or older;
    both None: never touched)."""

    label: str
    low: int | None
    high: int | None
    accounts: int
    #: the accounts in it are going dark
    going_dark: bool


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Touch coverage for one quarter: per rep, per account, and accounts by days since their
    last touch. Numbers only; every renderer shows the same ones."""

    quarter: Quarter
    #: the quarter's first moment and its end (exclusive), UTC
    start: datetime
    end: datetime
    #: the end of the counted period: now for the current quarter, else the quarter's end
    as_of: datetime
    #: ``touches.timezone``: the zone the quarter's days are in
    timezone: str
    going_dark_days: int
    #: the rep the report is limited to (None: the whole team)
    rep: str | None
    #: every account shown, summed
    team: RepLine
    #: reps who own an account (or the one rep asked for), by email
    reps: tuple[RepLine, ...]
    #: by owner, then longest without a touch first
    accounts: tuple[AccountCoverage, ...]
    #: the accounts shown, by days since their last touch
    days: tuple[DaysBucket, ...]
    #: with ``rep`` only: their streak of quarters on target (``logic.standing``)
    streak: Streak | None = None
    #: with ``rep`` only: how their shares did
    shares: ShareStats | None = None

    @property
    def due_accounts(self) -> tuple[AccountCoverage, ...]:
        """The accounts shown that are below their quarterly target, longest without a touch
        first."""
        return tuple(a for a in self.accounts if a.due)

    @property
    def dark_accounts(self) -> tuple[AccountCoverage, ...]:
        """The accounts shown that are going dark, longest without a touch first."""
        return tuple(a for a in self.accounts if a.going_dark)

    @property
    def period(self) -> str:
        """``1 Oct – 31 Dec 2026`` in the report's zone."""
        zone = ZoneInfo(self.timezone)
        first = self.start.astimezone(zone).date()
        last = (self.end.astimezone(zone) - timedelta(days=1)).date()
        return day_span(first, last)

    @property
    def counted_to(self) -> str:
        """The last day counted (``2026-09-30`` for a quarter that has ended), in the zone."""
        last = self.as_of - timedelta(microseconds=1) if self.as_of >= self.end else self.as_of
        return _day(last, self.timezone)

    @property
    def title(self) -> str:
        """``Customer touches 2026Q4`` (and the rep, when limited to one)."""
        who = ""
        if self.rep is not None:
            who = f" · {self.reps[0].label}" if self.reps else f" · {self.rep}"
        return f"Customer touches {self.quarter.label}{who}"


def _line(rep: str, name: str | None, book: Sequence[AccountCoverage]) -> RepLine:
    return RepLine(
        rep=rep,
        name=name,
        accounts=len(book),
        on_target_quarter=sum(1 for a in book if not a.due),
        on_target_year=sum(1 for a in book if a.on_target_year),
        going_dark=sum(1 for a in book if a.going_dark),
        touches_quarter=sum(a.this_quarter for a in book),
        quarter_target=sum(a.quarter_target for a in book),
        touches_12_months=sum(a.last_12_months for a in book),
        year_target=sum(a.year_target for a in book),
    )


def days_buckets(
    accounts: Sequence[AccountCoverage], going_dark_days: int
) -> tuple[DaysBucket, ...]:
    """Count accounts by days since their last touch: three even steps up to
    ``going_dark_days`` (90: 0-29, 30-59, 60-89), then going dark (90+) and never touched."""
    edges = sorted({0, *(math.ceil(going_dark_days * i / 3) for i in (1, 2)), going_dark_days})
    buckets = []
    for low, high in zip(edges, edges[1:], strict=False):
        if high <= low:
            continue
        count = sum(1 for a in accounts if a.days_since is not None and low <= a.days_since < high)
        buckets.append(DaysBucket(f"{low}-{high - 1} days", low, high - 1, count, False))
    dark = sum(1 for a in accounts if a.days_since is not None and a.days_since >= going_dark_days)
    buckets.append(DaysBucket(f"{going_dark_days}+ days", going_dark_days, None, dark, True))
    never = sum(1 for a in accounts if a.days_since is None)
    buckets.append(DaysBucket("never touched", None, None, never, True))
    return tuple(buckets)


def coverage_report(
    coverage: Coverage,
    policy: TouchPolicy,
    names: Mapping[str, str | None],
    *,
    rep: str | None = None,
) -> CoverageReport:
    """Return the report of ``coverage``: of every account, or only of ``rep``'s accounts.

    Args:
        names: each rep's email → their name (None: none given).
        rep: a rep's email (lower case), already checked to be one.
    """
    accounts = [a for a in coverage.accounts if rep is None or a.owner == rep]
    accounts.sort(
        key=lambda a: (
            a.owner is None,
            (a.owner or "").casefold(),
            -(a.days_since if a.days_since is not None else math.inf),
            a.account.casefold(),
        )
    )
    owners = sorted({a.owner for a in accounts if a.owner} | ({rep} if rep else set()))
    reps = tuple(
        _line(email, names.get(email), [a for a in accounts if a.owner == email])
        for email in owners
    )
    return CoverageReport(
        quarter=coverage.quarter,
        start=policy.quarter_start(coverage.quarter),
        end=policy.quarter_end(coverage.quarter),
        as_of=coverage.as_of,
        timezone=policy.timezone,
        going_dark_days=policy.going_dark_days,
        rep=rep,
        team=_line(TEAM, None, accounts),
        reps=reps,
        accounts=tuple(accounts),
        days=days_buckets(accounts, policy.going_dark_days),
    )


def limited_to_accounts(report: CoverageReport, names: Collection[str]) -> CoverageReport:
    """Return ``report`` with only the accounts named (the rep and team lines and the days
    buckets counted again from them); reps left with no account shown are dropped, except the
    one a one-rep report is for. Does not check the names."""
    accounts = tuple(a for a in report.accounts if a.account in names)
    reps = tuple(
        _line(r.rep, r.name, [a for a in accounts if a.owner == r.rep])
        for r in report.reps
        if r.rep == report.rep or any(a.owner == r.rep for a in accounts)
    )
    return replace(
        report,
        team=_line(TEAM, None, accounts),
        reps=reps,
        accounts=accounts,
        days=days_buckets(accounts, report.going_dark_days),
    )


# -------------------------------------------------------------------------------------- chart


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the report's chart plots: touches per rep against their target, and accounts by
    days since their last touch. ``adapters.chart_mpl`` draws it and reads the drawn bars
    back into another ``ChartData`` (``Chart.plotted``)."""

    title: str
    #: one bar per rep (their name, else email)
    reps: tuple[str, ...]
    touches: tuple[int, ...]
    targets: tuple[int, ...]
    #: one bar per bucket (``DaysBucket.label``)
    buckets: tuple[str, ...]
    bucket_accounts: tuple[int, ...]
    #: per bucket: drawn as going dark
    bucket_dark: tuple[bool, ...]
    #: per rep, "3 of 5 accounts on target" under the bar
    notes: tuple[str, ...] = ()

    def numbers(self) -> dict[str, Any]:
        """The plotted numbers as JSON values (what the PNG carries in its metadata)."""
        return {
            "title": self.title,
            "reps": [
                {"rep": r, "touches_quarter": t, "quarter_target": g}
                for r, t, g in zip(self.reps, self.touches, self.targets, strict=True)
            ],
            "days_since_last_touch": [
                {"bucket": b, "accounts": n}
                for b, n in zip(self.buckets, self.bucket_accounts, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart: the PNG, and the numbers read back from what was drawn."""

    png: bytes
    plotted: ChartData


def chart_data(report: CoverageReport) -> ChartData:
    """Return what the report's chart shows, titled with the quarter."""
    return ChartData(
        title=f"{report.title} · {report.period} · counted to {report.counted_to}",
        reps=tuple(r.label for r in report.reps),
        touches=tuple(r.touches_quarter for r in report.reps),
        targets=tuple(r.quarter_target for r in report.reps),
        buckets=tuple(b.label for b in report.days),
        bucket_accounts=tuple(b.accounts for b in report.days),
        bucket_dark=tuple(b.going_dark for b in report.days),
        notes=tuple(f"{r.on_target_quarter} of {r.accounts} on target" for r in report.reps),
    )


# ------------------------------------------------------------------------------------ formats


def _day(instant: datetime | None, zone: str) -> str:
    return "" if instant is None else instant.astimezone(ZoneInfo(zone)).date().isoformat()


def _rep_record(line: RepLine, row: str) -> dict[str, Any]:
    return {
        "row": row,
        "rep": line.rep if row != TEAM else None,
        "name": line.name,
        "accounts": line.accounts,
        "on_target_quarter": line.on_target_quarter,
        "on_target_year": line.on_target_year,
        "going_dark": line.going_dark,
        "touches_quarter": line.touches_quarter,
        "quarter_target": line.quarter_target,
        "touches_12_months": line.touches_12_months,
        "year_target": line.year_target,
    }


def _account_record(account: AccountCoverage) -> dict[str, Any]:
    return {
        "row": ACCOUNT,
        "account": account.account,
        "rep": account.owner,
        "on_target_quarter": not account.due,
        "on_target_year": account.on_target_year,
        "going_dark": account.going_dark,
        "touches_quarter": account.this_quarter,
        "quarter_target": account.quarter_target,
        "touches_12_months": account.last_12_months,
        "year_target": account.year_target,
        "days_since_last_touch": account.days_since,
        "last_touch": account.last_touch_at.isoformat() if account.last_touch_at else None,
        "contacts_touched": account.contacts_touched,
        "contacts_known": account.contacts_known,
        "single_contact": account.single_contact,
    }


def report_json(report: CoverageReport) -> dict[str, Any]:
    """The report as one JSON object (keys in ``docs/cli.md``); account flags are booleans."""
    return {
        "quarter": report.quarter.label,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "as_of": report.as_of.isoformat(),
        "timezone": report.timezone,
        "going_dark_days": report.going_dark_days,
        "rep": report.rep,
        "team": _rep_record(report.team, TEAM),
        "reps": [_rep_record(r, REP) for r in report.reps],
        "accounts": [_account_record(a) for a in report.accounts],
        "days_since_last_touch": [
            {
                "bucket": b.label,
                "from": b.low,
                "to": b.high,
                "accounts": b.accounts,
                "going_dark": b.going_dark,
            }
            for b in report.days
        ],
        **_standing_json(report),
    }


def _standing_json(report: CoverageReport) -> dict[str, Any]:
    """The ``streak`` and ``shares`` keys of a one-rep report (none for the team)."""
    found: dict[str, Any] = {}
    if report.streak is not None:
        found["streak"] = {
            "quarters": report.streak.quarters,
            "running": report.streak.running,
            "history": [
                {"quarter": q.quarter.label, "accounts": q.accounts, "on_target": q.on_target}
                for q in report.streak.history
            ],
        }
    if report.shares is not None:
        found["shares"] = {
            "shared_quarter": report.shares.shared_quarter,
            "shared_12_months": report.shares.shared_12_months,
            "accounts_reached_12_months": report.shares.accounts_reached_12_months,
            "other_touches_quarter": report.shares.other_touches_quarter,
            "marked_not_relevant_quarter": report.shares.marked_not_relevant_quarter,
            "marked_not_this_company_quarter": report.shares.marked_not_this_company_quarter,
            "useful_quarter": report.shares.useful_quarter,
            "useful_12_months": report.shares.useful_12_months,
        }
    return found


def streak_text(streak: Streak) -> str:
    """Word a streak: "3 quarters in a row on target (2026Q4 still running: 2 of 3
    accounts)". Plain text; does not escape."""
    count = f"{streak.quarters} quarter{'s' if streak.quarters != 1 else ''} in a row on target"
    if streak.quarters == 0:
        count = "no quarter on target yet" if len(streak.history) <= 1 else "0 quarters on target"
    head = streak.current
    if streak.running and not head.met:
        return (
            f"{count} ({head.quarter.label} still running: {head.on_target} of "
            f"{head.accounts} account{'s' if head.accounts != 1 else ''} on target)"
        )
    return count


def shares_text(shares: ShareStats) -> str:
    """Word how a rep's shares did: "2 shared, 1 marked useful this quarter (...)". Plain
    text; does not escape."""
    return (
        f"{shares.shared_quarter} shared, {shares.useful_quarter} marked useful this quarter "
        f"({shares.shared_12_months} shared, {shares.useful_12_months} marked useful in 12 "
        f"months, to {shares.accounts_reached_12_months} account"
        f"{'s' if shares.accounts_reached_12_months != 1 else ''}); "
        f"{shares.other_touches_quarter} other touch"
        f"{'es' if shares.other_touches_quarter != 1 else ''} logged; "
        f"{shares.marked_not_relevant_quarter} item"
        f"{'s' if shares.marked_not_relevant_quarter != 1 else ''} marked not relevant and "
        f"{shares.marked_not_this_company_quarter} not this company"
    )


#: a cell starting with one of these is a formula to a spreadsheet
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    # a hostile account name ("=HYPERLINK(...)") stays text in Excel and Sheets
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA) else text


def report_csv(report: CoverageReport) -> str:
    """The report as CSV (``COLUMNS``): the team row, one row per rep, one per account. An
    account's flags are 1 or 0, so a rep's row is the sum of their accounts' rows; text that
    a spreadsheet would run as a formula starts with ``'``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    records = [_rep_record(report.team, TEAM), *(_rep_record(r, REP) for r in report.reps)]
    for account in report.accounts:
        record = _account_record(account)
        record["accounts"] = 1
        records.append(record)
    for record in records:
        record["quarter"] = report.quarter.label
        writer.writerow([_cell(record.get(column)) for column in COLUMNS])
    return buffer.getvalue()


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_DARK_CLASS = ' class="dark"'


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], cls: str = "") -> str:
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{_esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = (f"<td{_DARK_CLASS if c == DARK else ''}>{_esc(c)}</td>" for c in row)
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #d0d7de}td:nth-child(n+2){font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto}.dark{color:#b42318;font-weight:600}p.meta{color:#57606a}
"""


#: the report page's style sheet (the HTML file's and the web page's)
STYLE = _STYLE


def _fraction(have: int, want: int) -> str:
    return f"{have}/{want}"


def report_html(report: CoverageReport, chart_png: bytes | None) -> str:
    """The report as one self-contained HTML page: the chart as a ``data:`` PNG, the rep,
    account and days-since tables. Every name is HTML-escaped. Does not load anything."""
    image = ""
    if chart_png is not None:
        data = base64.b64encode(chart_png).decode("ascii")
        alt = _esc(chart_data(report).title)
        image = f'<p><img alt="{alt}" src="data:image/png;base64,{data}"></p>'
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(report.title)}</h1>",
        report_meta_html(report),
        image,
        *report_sections_html(report),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def report_meta_html(report: CoverageReport) -> str:
    """The line under the title: the period, the zone, the day counted to and the going-dark
    threshold (escaped)."""
    return (
        f'<p class="meta">{_esc(report.period)} ({_esc(report.timezone)}), counted to '
        f"{_esc(report.counted_to)}; an account goes dark after "
        f"{plural(report.going_dark_days, 'day')} without a touch.</p>"
    )


def report_sections_html(report: CoverageReport) -> list[str]:
    """The report's HTML sections (per rep, per account, accounts by days since their last
    touch, the streak and shares of a one-rep report), every name escaped: what the HTML file
    and the web page both show. Does not include the chart or the page around them."""
    zone = report.timezone
    reps = [
        (
            r.label,
            r.rep,
            r.accounts,
            _fraction(r.on_target_quarter, r.accounts),
            _fraction(r.touches_quarter, r.quarter_target),
            _fraction(r.touches_12_months, r.year_target),
            r.going_dark,
        )
        for r in (*report.reps, report.team)
    ]
    accounts = [
        (
            a.account,
            a.owner or "(no owner)",
            _fraction(a.this_quarter, a.quarter_target),
            _fraction(a.last_12_months, a.year_target),
            "never" if a.days_since is None else a.days_since,
            _day(a.last_touch_at, zone),
            _fraction(a.contacts_touched, a.contacts_known),
            DARK if a.going_dark else "",
            ONE_CONTACT if a.single_contact else "",
        )
        for a in report.accounts
    ]
    days = [(b.label, b.accounts) for b in report.days]
    return [
        "<h2>Per rep</h2>",
        _table(
            (
                "rep",
                "email",
                "accounts",
                "on target this quarter",
                "touches this quarter / target",
                "touches 12 months / target",
                "going dark",
            ),
            [(*r[:1], "" if r[1] == TEAM else r[1], *r[2:]) for r in reps],
            "reps",
        ),
        "<h2>Per account</h2>",
        _table(
            (
                "account",
                "owner",
                "this quarter / target",
                "12 months / target",
                "days since last touch",
                "last touch",
                "contacts touched / known",
                DARK_COLUMN,
                ONE_CONTACT_COLUMN,
            ),
            accounts,
            "accounts",
        ),
        "<h2>Accounts by days since their last touch</h2>",
        _table(("days since last touch", "accounts"), days, "days"),
        *(
            [f'<h2>Streak</h2><p class="streak">{_esc(streak_text(report.streak))}</p>']
            if report.streak is not None
            else []
        ),
        *(
            [f'<h2>Shares</h2><p class="shares">{_esc(shares_text(report.shares))}</p>']
            if report.shares is not None
            else []
        ),
    ]


__all__ = [
    "ACCOUNT",
    "COLUMNS",
    "DARK_COLUMN",
    "ONE_CONTACT_COLUMN",
    "REP",
    "TEAM",
    "Chart",
    "ChartData",
    "CoverageReport",
    "DaysBucket",
    "STYLE",
    "RepLine",
    "chart_data",
    "coverage_report",
    "days_buckets",
    "limited_to_accounts",
    "report_csv",
    "report_html",
    "report_json",
    "report_meta_html",
    "report_sections_html",
    "shares_text",
    "streak_text",
]
