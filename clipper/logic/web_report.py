"""The manager's web page (``GET /report``): which filters a signed link may use, touches
over time, and the page itself as HTML.

    page_filters(scope, params)           → ReportFilters, or a Refusal (a rep link asked
                                            about another rep)
    touches_by_month(touches, as_of, zone) → touches per month over the trailing 12 months
    report_page(ReportPage)               → the page: filter form, chart, the report's tables
                                            (``coverage_report.report_sections_html``: the
                                            numbers the HTML file shows), touches over time,
                                            the accounts going dark
    message_page(title, text)             → a refusal or a bad request, as a short page
    SECURITY_HEADERS                      → the headers every answer carries (a strict CSP)

Every account, rep, contact and quarter string is HTML-escaped; the page needs no script (the
filters are a plain GET form that carries the link's signature on). Does not check signatures
(``logic.weblink`` does), read the ledger or draw the chart.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from ..types import Touch
from .coverage_report import (
    STYLE,
    CoverageReport,
    chart_data,
    report_meta_html,
    report_sections_html,
)
from .weblink import LinkScope
from .words import plural

#: the filter parameters of ``/report`` and ``/report/chart.png``
QUARTER, REP, ACCOUNT = "quarter", "rep", "account"
#: the page's path and its chart's
PAGE_PATH = "/report"
CHART_PATH = "/report/chart.png"
#: months shown in "touches over time"
MONTHS = 12
#: the longest filter value read (longer is a bad request, not a search)
MAX_FILTER = 300

_STYLE_EXTRA = (
    "form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:1rem 0}"
    "form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:#57606a}"
    "meter{width:12rem}"
)
PAGE_STYLE = STYLE + _STYLE_EXTRA
_STYLE_HASH = base64.b64encode(hashlib.sha256(PAGE_STYLE.encode("utf-8")).digest()).decode()
#: nothing runs, nothing loads from elsewhere: images and the form only from this server
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"style-src 'sha256-{_STYLE_HASH}'; "
    "img-src 'self'; "
    "form-action 'self'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
)


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """What the page is asked to show: a quarter label, a rep's email, an account's name
    (None: this quarter, every rep the link may see, every account)."""

    quarter: str | None = None
    rep: str | None = None
    account: str | None = None

    def params(self) -> dict[str, str]:
        """The filters as query parameters (the ones set)."""
        found = {QUARTER: self.quarter, REP: self.rep, ACCOUNT: self.account}
        return {k: v for k, v in found.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request the link does not allow (403), with the sentence shown."""

    message: str


@dataclass(frozen=True, slots=True)
class BadFilter:
    """A filter that cannot be read (400), with the sentence shown."""

    message: str


def page_filters(
    scope: LinkScope, params: Mapping[str, str]
) -> ReportFilters | Refusal | BadFilter:
    """Read the filters of a signed request. A rep's link is held to that rep: a ``rep``
    naming anyone else is refused (a tampered link), and no ``rep`` means theirs. Does not
    check that the quarter, rep or account exist (the facade does)."""
    values: dict[str, str | None] = {}
    for key in (QUARTER, REP, ACCOUNT):
        raw = params.get(key, "").strip()
        if len(raw) > MAX_FILTER:
            return BadFilter(f"the {key} filter is too long ({len(raw)} characters)")
        values[key] = raw or None
    asked = values[REP]
    rep = asked.lower() if asked else None
    if scope.rep is not None:
        if rep is not None and rep != scope.rep:
            return Refusal(
                "This link shows one rep's accounts only; it cannot show another rep's. "
                "Ask for a team link with /clip report."
            )
        rep = scope.rep
    return ReportFilters(values[QUARTER], rep, values[ACCOUNT])


@dataclass(frozen=True, slots=True)
class MonthCount:
    """Touches in one calendar month (in the policy's zone)."""

    #: ``2026-11``
    month: str
    touches: int


def touches_by_month(
    touches: Sequence[Touch], as_of: datetime, zone: str, months: int = MONTHS
) -> tuple[MonthCount, ...]:
    """Count ``touches`` per calendar month, the ``months`` months up to and including the one
    ``as_of`` is in (oldest first; empty months counted as 0). Voided touches and touches
    after ``as_of`` do not count. Does not filter by account or rep (the caller does)."""
    tz = ZoneInfo(zone)
    last = as_of.astimezone(tz)
    index = last.year * 12 + last.month - 1
    keys = [divmod(index - i, 12) for i in range(months - 1, -1, -1)]
    counts = {(y, m + 1): 0 for y, m in keys}
    for touch in touches:
        if touch.void is not None or touch.touched_at >= as_of:
            continue
        local = touch.touched_at.astimezone(tz)
        key = (local.year, local.month)
        if key in counts:
            counts[key] += 1
    return tuple(MonthCount(f"{y:04d}-{m:02d}", n) for (y, m), n in counts.items())


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a filter's drop-down: the value sent and the text shown."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class ReportPage:
    """Everything the page shows, already counted and limited to what the link may see."""

    report: CoverageReport
    filters: ReportFilters
    #: the signed link's own parameters (scope, expiry, signature), passed on by the form
    link: Mapping[str, str]
    timeline: tuple[MonthCount, ...]
    quarters: tuple[Choice, ...]
    #: the reps the link may choose (a rep link: theirs only)
    reps: tuple[Choice, ...]
    accounts: tuple[Choice, ...]
    #: the link is a rep's (no "every rep" choice)
    rep_scoped: bool
    #: when the link expires, already worded (``2026-12-01 09:00 UTC``)
    expires: str


def chart_url(page: ReportPage) -> str:
    """The chart route for the same link and filters (relative to the server)."""
    return f"{CHART_PATH}?{urlencode({**page.link, **page.filters.params()})}"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _select(
    name: str, label: str, choices: Sequence[Choice], chosen: str | None, every: str
) -> str:
    options = [f'<option value="">{_esc(every)}</option>'] if every else []
    for choice in choices:
        picked = " selected" if chosen is not None and choice.value == chosen else ""
        options.append(
            f'<option value="{_esc(choice.value)}"{picked}>{_esc(choice.label)}</option>'
        )
    return (
        f'<label>{_esc(label)}<select name="{_esc(name)}" id="filter-{_esc(name)}">'
        + "".join(options)
        + "</select></label>"
    )


def _form(page: ReportPage) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{_esc(k)}" value="{_esc(v)}">' for k, v in page.link.items()
    )
    current = page.filters.quarter or page.report.quarter.label
    parts = [
        f'<form class="filters" method="get" action="{PAGE_PATH}">',
        hidden,
        _select(QUARTER, "quarter", page.quarters, current, ""),
        _select(REP, "rep", page.reps, page.filters.rep, "" if page.rep_scoped else "every rep"),
        _select(ACCOUNT, "account", page.accounts, page.filters.account, "every account"),
        '<button type="submit" id="apply">Show</button>',
        "</form>",
    ]
    return "".join(parts)


def _timeline(timeline: Sequence[MonthCount]) -> str:
    top = max((m.touches for m in timeline), default=0)
    rows = "".join(
        f"<tr><td>{_esc(m.month)}</td><td>{m.touches}</td>"
        f'<td><meter min="0" max="{max(top, 1)}" value="{m.touches}">{m.touches}</meter></td></tr>'
        for m in timeline
    )
    return (
        '<table class="timeline"><thead><tr><th>month</th><th>touches</th><th></th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _dark(report: CoverageReport) -> str:
    dark = report.dark_accounts
    if not dark:
        return '<p class="none-dark">No account is going dark.</p>'
    items = "".join(
        f"<li><strong>{_esc(a.account)}</strong> ({_esc(a.owner or 'no owner')}): "
        + (
            "never touched"
            if a.days_since is None
            else f"{plural(a.days_since, 'day')} since last touch"
        )
        + "</li>"
        for a in dark
    )
    return f'<ul class="dark-accounts">{items}</ul>'


def report_page(page: ReportPage) -> str:
    """The web page: the filter form, the chart (an image from the chart route), the report's
    tables, touches per month and the accounts going dark. Every string from the ledger, the
    config or the request is escaped. Does not embed a script."""
    report = page.report
    alt = chart_data(report).title
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{_esc(report.title)}</title><style>{PAGE_STYLE}</style></head><body>",
        f"<h1>{_esc(report.title)}</h1>",
        report_meta_html(report),
        f'<p class="meta">Read-only; this link expires {_esc(page.expires)}.</p>',
        _form(page),
        f'<p><img id="chart" alt="{_esc(alt)}" src="{_esc(chart_url(page))}"></p>',
        *report_sections_html(report),
        f"<h2>Touches over time</h2>{_timeline(page.timeline)}",
        f"<h2>Accounts going dark</h2>"
        f'<p class="meta">No touch for {plural(report.going_dark_days, "day")} or more.</p>'
        f"{_dark(report)}",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def message_page(title: str, text: str) -> str:
    """A short page for a refused or bad request (both strings escaped)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{PAGE_STYLE}</style></head><body>"
        f'<h1>{_esc(title)}</h1><p class="message">{_esc(text)}</p></body></html>\n'
    )


__all__ = [
    "ACCOUNT",
    "CHART_PATH",
    "CONTENT_SECURITY_POLICY",
    "MONTHS",
    "PAGE_PATH",
    "QUARTER",
    "REP",
    "SECURITY_HEADERS",
    "BadFilter",
    "Choice",
    "MonthCount",
    "Refusal",
    "ReportFilters",
    "ReportPage",
    "chart_url",
    "message_page",
    "page_filters",
    "report_page",
    "touches_by_month",
]
