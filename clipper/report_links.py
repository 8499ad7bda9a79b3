"""The manager's web page's use cases: making a signed link, checking one that comes back, and
the page's record (the coverage report limited to what the link may see, touches per month,
the filter choices) or its chart.

``Clipper`` inherits it (it extends ``touch_ledger.TouchLedger``, whose report it shows), so
``/clip report``, ``clipper report link`` and the web server get the same links and numbers.
Does not sign or render anything itself (``logic.weblink`` and ``logic.web_report`` do) and
does not serve HTTP (``webreport``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .exceptions import CommandUsageError
from .logic.coverage_report import CoverageReport, limited_to_accounts
from .logic.crm import name_key
from .logic.touches import YEAR, account_keys
from .logic.web_report import (
    PAGE_PATH,
    BadFilter,
    Choice,
    Refusal,
    ReportFilters,
    ReportPage,
    page_filters,
    touches_by_month,
)
from .logic.weblink import (
    EXPIRES,
    SCOPE,
    SIGNATURE,
    LinkCheck,
    LinkScope,
    check_link,
    expiry,
    link_query,
    local_base_url,
)
from .ports import LinkSecretType
from .touch_ledger import TouchLedger

#: quarters offered in the page's quarter filter (this one and the ones before it)
QUARTER_CHOICES = 8


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A signed link to the web page: its URL, who it is for and when it stops working."""

    url: str
    scope: LinkScope
    expires_at: datetime
    #: ``web.base_url`` is unset and this process serves no page: the address is a guess
    #: (``web.listen``'s, else ``slack.port``'s, on 127.0.0.1) that ``clipper report link`` warns of
    assumed: bool = False

    @property
    def expires_text(self) -> str:
        """``2026-12-01 09:00 UTC``."""
        return f"{self.expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class ReportLinks(TouchLedger):
    """The web page part of the ``Clipper`` facade (a mixin over the touch ledger: ``Clipper``
    provides ``link_secret``). Does not render answers."""

    link_secret: LinkSecretType
    #: where this process serves the page (``serve_report_at``); None: it serves none
    served_at: tuple[str, int] | None = None

    def serve_report_at(self, host: str, port: int) -> None:
        """Record that this process now serves the page on ``host`` and ``port`` (the port
        the server got, also for ``--port 0``), so the links it makes (``/clip report``) point
        there when ``web.base_url`` is unset. Does not start or check any server."""
        self.served_at = (host, port)

    def report_base_url(self, port: int | None = None) -> str:
        """The address links point at: ``web.base_url``; else the page this process serves
        (``serve_report_at``: ``clipper serve --host/--port``, ``clipper run``); else where
        ``clipper run`` would serve it: ``web.listen`` without Slack, else ``slack.host`` and
        ``slack.port`` (an explicit ``port`` wins over both). Does not check that anything
        answers there."""
        web = self.config.settings.web
        if web.base_url is not None:
            return web.base_url
        if port is not None:
            return local_base_url("127.0.0.1", port)
        if self.served_at is not None:
            return local_base_url(*self.served_at)
        listen = web.listen_address()
        if listen is not None and not self.config.slack_app_ready:
            return local_base_url(*listen)
        slack = self.config.settings.slack
        return local_base_url(slack.host, slack.port)

    def report_link(
        self, *, rep: str | None = None, ttl_hours: float | None = None, port: int | None = None
    ) -> ReportLink:
        """Make a signed link to the web page: the whole team's (``rep`` None), or one rep's
        accounts only. It works for ``ttl_hours`` (default ``web.link_ttl_hours``). Does not
        check who asks (``/clip report`` gives a rep their own link only).

        Raises:
            CommandUsageError: ``rep`` is no rep's email; ``ttl_hours`` is not positive or
                over a year.
            ConfigError: the secret file cannot be read or made.
        """
        hours = ttl_hours if ttl_hours is not None else self.config.settings.web.link_ttl_hours
        if not 0 < hours <= 8784:
            raise CommandUsageError(
                f"a link's lifetime must be over 0 and at most 8784 hours, not {hours:g}"
            )
        scope = LinkScope.team()
        if rep is not None:
            email = rep.strip().lower()
            if all(r.email != email for r in self.config.reps):
                raise CommandUsageError(
                    f"unknown rep {rep!r} (not in {self.config.resolve(self.config.settings.reps)})"
                )
            scope = LinkScope(email)
        expires = expiry(self.clock(), timedelta(hours=hours))
        query = link_query(self.link_secret.secret(), scope, expires)
        assumed = (
            self.config.settings.web.base_url is None and port is None and self.served_at is None
        )
        return ReportLink(
            f"{self.report_base_url(port)}{PAGE_PATH}?{query}",
            scope,
            datetime.fromtimestamp(expires, UTC),
            assumed=assumed,
        )

    def check_report_link(self, params: Mapping[str, str]) -> LinkCheck:
        """Check a request's signed parameters against the secret and the clock.

        Raises:
            ConfigError: the secret file cannot be read or made.
        """
        return check_link(self.link_secret.secret(), params, self.clock())

    def _page_report(
        self, scope: LinkScope, params: Mapping[str, str]
    ) -> tuple[CoverageReport, CoverageReport, ReportFilters] | Refusal | BadFilter:
        """The report the filters ask for, before and after the account filter."""
        filters = page_filters(scope, params)
        if isinstance(filters, Refusal | BadFilter):
            return filters
        if scope.rep is not None and all(r.email != scope.rep for r in self.config.reps):
            # signed before the rep left reps.yaml: never a list of the other reps instead
            return Refusal("This link's rep is no longer in Clipper; ask for a new link.")
        if filters.rep is not None and all(r.email != filters.rep for r in self.config.reps):
            # the form lists the reps: no file path, no list of every rep, only what was asked
            return BadFilter(f"unknown rep {filters.rep!r}; choose one from the list")
        try:
            report = self.touch_coverage_report(quarter=filters.quarter, rep=filters.rep)
        except CommandUsageError as exc:  # the quarter: not a label, or not begun
            return BadFilter(str(exc))
        if filters.quarter is not None:  # as the page names it ("2026q3" is 2026Q3)
            filters = ReportFilters(report.quarter.label, filters.rep, filters.account)
        if filters.account is None:
            return report, report, filters
        shown = {a.account for a in report.accounts}
        name = account_keys([(a, ()) for a in shown]).get(name_key(filters.account))
        if name is None:
            # a rep's link never says whether another rep's account exists
            return BadFilter(f"no account named {filters.account!r} in this report")
        limited = limited_to_accounts(report, {name})
        return report, limited, ReportFilters(filters.quarter, filters.rep, name)

    def report_page(
        self, scope: LinkScope, params: Mapping[str, str], expires_at: datetime
    ) -> ReportPage | Refusal | BadFilter:
        """Return what the web page shows for a valid link's scope and the request's filters:
        the coverage report (a rep's link: their accounts only), touches per month over the
        trailing 12 months on the accounts shown, and the filter choices. An unknown quarter,
        rep or account is a ``BadFilter``; a rep link asking for another rep a ``Refusal``.
        Does not check the signature (``check_report_link``) or render HTML.
        """
        found = self._page_report(scope, params)
        if isinstance(found, Refusal | BadFilter):
            return found
        full, report, filters = found
        policy = self.touch_policy()
        names = {a.account for a in report.accounts}
        touches = [
            t
            for t in self.storage.touches(since=report.as_of - YEAR - timedelta(days=31))
            if t.account in names
        ]
        current = policy.quarter_of(self.clock())
        quarters = [current.shifted(-i) for i in range(QUARTER_CHOICES)]
        if report.quarter not in quarters:
            quarters.append(report.quarter)
        if scope.rep is not None:
            reps = [r for r in self.config.reps if r.email == scope.rep]
        else:
            owners = {a.owner for a in self.config.accounts if a.owner}
            reps = [r for r in self.config.reps if r.email in owners or r.email == filters.rep]
        return ReportPage(
            report=report,
            filters=filters,
            link={k: params[k] for k in (SCOPE, EXPIRES, SIGNATURE) if k in params},
            timeline=touches_by_month(touches, report.as_of, policy.timezone),
            quarters=tuple(Choice(q.label, q.label) for q in quarters),
            reps=tuple(Choice(r.email, r.name or r.email) for r in reps),
            accounts=tuple(
                Choice(n, n) for n in sorted({a.account for a in full.accounts}, key=str.casefold)
            ),
            rep_scoped=scope.rep is not None,
            expires=f"{expires_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        )

    def report_page_chart(
        self, scope: LinkScope, params: Mapping[str, str]
    ) -> bytes | Refusal | BadFilter:
        """Return the web page's chart (PNG) for a valid link's scope and the filters: the
        same report the page shows, drawn by ``touch_coverage_chart``. Does not check the
        signature."""
        found = self._page_report(scope, params)
        if isinstance(found, Refusal | BadFilter):
            return found
        return self.touch_coverage_chart(found[1]).png


__all__ = ["ReportLink", "ReportLinks"]
