"""The customer-touch ledger's use cases: importing CRM activity exports, listing touches and
deleting one (a recorded void, never an erase).

``Clipper`` inherits it (``class Clipper(RepActions, AccountImports, TouchLedger)``), so the
CLI, the Slack app and a web page get the same frozen records. Does not decide which rows are
good or what a quarter is (``logic.touches`` does) and does not render anything.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path

from .config import Config, Rep
from .exceptions import CommandUsageError
from .logic.clip import suggestions
from .logic.coverage_report import Chart, CoverageReport, chart_data, coverage_report
from .logic.crm import name_key
from .logic.standing import MAX_STREAK_QUARTERS, quarter_streak, share_stats
from .logic.touch_export import export_csv
from .logic.touches import (
    YEAR,
    Coverage,
    CoverageAccount,
    TouchPolicy,
    account_keys,
    coverage,
    parse_quarter,
    parse_since,
    read_touch_csv,
)
from .pipeline import Clock
from .ports import ChartRendererType, StorageType
from .types import Touch, TouchChannel


@dataclass(frozen=True, slots=True)
class TouchImport:
    """What ``import_touches`` did with one export."""

    source: Path
    #: which CRM the header says it is (None: neither; nothing was read)
    dialect: TouchChannel | None
    #: rows read, good and bad (blank lines aside)
    rows: int
    #: good rows: each is in the ledger now
    good: int
    #: good rows that were new to the ledger
    added: int
    #: ``FILE:LINE: COLUMN: reason; row skipped``, one per bad row (line 1: the whole file)
    problems: tuple[str, ...] = ()

    @property
    def duplicates(self) -> int:
        """Good rows the ledger had already (an earlier import, or the same row twice)."""
        return self.good - self.added


@dataclass(frozen=True, slots=True)
class TouchExport:
    """What ``export_touches`` wrote: the CRM, how many touches, and the CSV text."""

    crm: TouchChannel
    touches: int
    csv: str


@dataclass(frozen=True, slots=True)
class TouchDeleted:
    """A touch after ``delete_touch``: voided now, or voided before (``already``)."""

    touch: Touch
    already: bool


class TouchLedger:
    """The touch-ledger part of the ``Clipper`` facade (a mixin: ``Clipper`` provides the
    attributes below). Does not render answers."""

    config: Config
    storage: StorageType
    clock: Clock
    charts: ChartRendererType

    def touch_policy(self) -> TouchPolicy:
        """The configured touch targets, quarters and going-dark threshold."""
        return self.config.settings.touch_policy()

    def touch_coverage(self, quarter: str | None = None) -> Coverage:
        """Return every configured account's and rep's touch coverage for a quarter (``2026Q4``;
        default: this one) and the 12 months up to its end or now. Voided touches do not count.

        Raises:
            CommandUsageError: ``quarter`` is not a quarter label.
        """
        policy = self.touch_policy()
        now = self.clock()
        chosen = parse_quarter(quarter) if quarter is not None else policy.quarter_of(now)
        as_of = min(now, policy.quarter_end(chosen))
        since = min(policy.quarter_start(chosen), as_of - YEAR)
        return coverage(
            [
                CoverageAccount(a.name, a.owner, a.tier, a.touch_target, len(a.contacts))
                for a in self.config.accounts
            ],
            self.storage.touches(since=since),
            policy,
            now,
            quarter=chosen,
        )

    def touch_coverage_report(
        self, *, quarter: str | None = None, rep: str | None = None
    ) -> CoverageReport:
        """Return the managers' coverage report for a quarter (``2026Q4``; default: this one):
        per rep, per account and accounts by days since their last touch, from
        ``touch_coverage`` (the numbers ``/clip report`` counts); only ``rep``'s accounts when
        given. Does not render it.

        Raises:
            CommandUsageError: ``quarter`` is not a quarter label or has not begun; ``rep`` is
                no rep's email (with the closest ones).
        """
        policy = self.touch_policy()
        if quarter is not None:
            asked = parse_quarter(quarter)
            current = policy.quarter_of(self.clock())
            if asked > current:
                raise CommandUsageError(
                    f"quarter {asked} has not begun (this quarter is {current}; "
                    + (
                        "quarters are fiscal: touches.fiscal_year_start_month is "
                        f"{policy.fiscal_year_start_month}, and a fiscal year is labelled by "
                        "the calendar year it ends in)"
                        if policy.fiscal_year_start_month != 1
                        else "quarters are calendar quarters)"
                    )
                )
        found = self.touch_coverage(quarter)
        email = self._report_rep(rep, [r.rep for r in found.reps]) if rep is not None else None
        names = {r.email: r.name for r in self.config.reps}
        report = coverage_report(found, policy, names, rep=email)
        if email is None:
            return report
        return self._with_standing(report, found, policy, email)

    def _with_standing(
        self, report: CoverageReport, found: Coverage, policy: TouchPolicy, email: str
    ) -> CoverageReport:
        """Add a rep's streak of quarters on target and their share numbers (shared, marked
        useful) to their report (``logic.standing``: what counts as on target and as useful)."""
        now = self.clock()
        book = [
            CoverageAccount(name=a.name, owner=a.owner, tier=a.tier, touch_target=a.touch_target)
            for a in self.config.accounts
            if a.owner == email
        ]
        names = {a.name for a in book}
        earliest = policy.quarter_start(found.quarter.shifted(-MAX_STREAK_QUARTERS))
        on_book = [t for t in self.storage.touches(since=earliest) if t.account in names]
        streak = quarter_streak(book, on_book, policy, now, quarter=found.quarter)
        start = policy.quarter_start(found.quarter)
        year_start = found.as_of - YEAR
        shares = share_stats(
            email,
            self.storage.touches(rep=email, since=min(start, year_start)),
            self.storage.feedback_counts(email, start, policy.quarter_end(found.quarter)),
            quarter_start=start,
            year_start=year_start,
            as_of=found.as_of,
            useful={(m.account, m.article_id) for m in self.storage.useful_marks(email)},
        )
        return replace(report, streak=streak, shares=shares)

    def rep_standing(self, rep: Rep, *, quarter: str | None = None) -> CoverageReport:
        """Return what ``/clip me`` shows a rep: their coverage (this quarter and the trailing
        12 months against target), their accounts (the due and going-dark ones flagged), their
        streak of quarters on target and how their shares did; the same record as
        ``clipper report touches --rep``. Does not render it.

        Raises:
            CommandUsageError: ``quarter`` is not a quarter label or has not begun.
        """
        return self.touch_coverage_report(quarter=quarter, rep=rep.email)

    def touch_coverage_chart(self, report: CoverageReport) -> Chart:
        """Draw the report's chart (a PNG): touches per rep against target, and accounts by
        days since their last touch; with the numbers read back from what was drawn."""
        return self.charts.coverage_chart(chart_data(report))

    def _report_rep(self, rep: str, in_ledger: list[str]) -> str:
        wanted = rep.strip().lower()
        known = sorted({r.email for r in self.config.reps} | set(in_ledger))
        if wanted in known:
            return wanted
        # emails share their domain: only the ones about as close as the closest are offered
        scores = {k: difflib.SequenceMatcher(None, wanted, k).ratio() for k in known}
        best = max(scores.values(), default=0.0)
        close = [k for k in known if scores[k] >= max(0.6, best - 0.05)]
        hint = (
            "Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
            if close
            else "Reps: " + ", ".join(known[:20])
            if known
            else "No reps are configured."
        )
        raise CommandUsageError(
            f"unknown rep {rep!r} (not in {self.config.resolve(self.config.settings.reps)} "
            f"nor in the ledger). {hint}"
        )

    def import_touches(self, csv_path: Path) -> TouchImport:
        """Read a Salesforce Task or HubSpot activity export and add its good rows to the
        ledger; bad rows (unknown account or rep, no or a future date) are reported by line.
        A row already in the ledger (same CRM record id, or the same content) adds nothing,
        also when it was deleted since. Does not write the accounts file.

        Raises:
            CommandUsageError: the file cannot be read, or is not UTF-8 text (the line named).
        """
        try:
            text = csv_path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            line = csv_path.read_bytes()[: exc.start].count(b"\n") + 1
            raise CommandUsageError(
                f"{csv_path}:{line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}); "
                "export the file as UTF-8 CSV"
            ) from None
        except OSError as exc:
            raise CommandUsageError(f"{csv_path}: cannot read: {exc}") from exc
        reps: dict[str, str] = {r.email: r.email for r in self.config.reps}
        for rep in self.config.reps:
            if rep.name:
                reps.setdefault(rep.name.casefold(), rep.email)
        policy = self.touch_policy()
        now = self.clock()
        rows = read_touch_csv(
            text,
            source=str(csv_path),
            accounts=account_keys([(a.name, a.aliases) for a in self.config.accounts]),
            reps=reps,
            zone=policy.timezone,
            now=now,
        )
        added = self.storage.add_touches(rows.touches, now) if rows.touches else 0
        return TouchImport(
            csv_path, rows.dialect, rows.rows, len(rows.touches), added, rows.problems
        )

    def list_touches(
        self,
        *,
        account: str | None = None,
        rep: str | None = None,
        since: str | None = None,
        include_voided: bool = False,
    ) -> tuple[Touch, ...]:
        """Return ledger touches, oldest first: of one account (its name or an alias), one rep
        (email), since a date or quarter (``2026Q4``); deleted ones only with
        ``include_voided``.

        Raises:
            CommandUsageError: an unknown account or rep, or an unreadable date.
        """
        name = self._account_named(account) if account is not None else None
        email = self._rep_named(rep) if rep is not None else None
        start = parse_since(since, self.touch_policy()) if since is not None else None
        return self.storage.touches(
            account=name, rep=email, since=start, include_voided=include_voided
        )

    def delete_touch(self, touch_id: int, *, by: str, reason: str | None = None) -> TouchDeleted:
        """Void a touch: it stays in the ledger with who deleted it, when and why, and no longer
        counts anywhere (coverage, digests, the share check). Deleting it again changes
        nothing.

        Raises:
            CommandUsageError: no touch has this id.
        """
        before = self.storage.touch(touch_id)
        if before is None:
            raise CommandUsageError(f"no touch has the id {touch_id} ('clipper touches list')")
        if before.void is not None:
            return TouchDeleted(before, True)
        now = self.clock()
        after = self.storage.void_touch(touch_id, by, now, reason or None)
        assert after is not None and after.void is not None  # touches are never erased
        # another process may have voided it in between: its void is kept
        return TouchDeleted(after, after.void.at != now)

    def export_touches(self, crm: TouchChannel, *, since: str | None = None) -> TouchExport:
        """Return the ledger's live touches (since a date or quarter, ``2026Q4``) as a
        Salesforce Task or HubSpot activity import CSV, oldest first; importing it again with
        ``import_touches`` adds nothing. Does not write a file or leave a mark on the touches.

        Raises:
            CommandUsageError: an unreadable ``since``.
        """
        policy = self.touch_policy()
        start = parse_since(since, policy) if since is not None else None
        found = self.storage.touches(since=start)
        return TouchExport(crm, len(found), export_csv(found, crm, policy.timezone))

    def _account_named(self, name: str) -> str:
        keys = account_keys([(a.name, a.aliases) for a in self.config.accounts])
        found = keys.get(name_key(name))
        if found is not None:
            return found
        if self.storage.touches(account=name, include_voided=True):
            return name  # an account since removed from the accounts file
        raise CommandUsageError(
            f"unknown account {name!r}. "
            + suggestions(name, [a.name for a in self.config.accounts], plain=True)
        )

    def _rep_named(self, email: str) -> str:
        wanted = email.strip().lower()
        if any(r.email == wanted for r in self.config.reps):
            return wanted
        if self.storage.touches(rep=wanted, include_voided=True):
            return wanted  # a rep since removed from the reps file
        raise CommandUsageError(
            f"unknown rep {email!r} (not in {self.config.resolve(self.config.settings.reps)})"
        )


__all__ = ["TouchDeleted", "TouchExport", "TouchImport", "TouchLedger"]
