"""Digest ticks: compose due digests into the outbox, then let the outbox deliver them.

    for each rep:
        zone     = the rep's Slack time zone (an explicit step: users.info, cached)
        alerts   = urgent events on the rep's accounts → an "alert" digest now (not in quiet hours)
        if due and the matching it depends on has run (logic.digest.digest_readiness), or forced:
                   logic.compose.compose_digest(new matches) → parts → outbox   # one transaction
    for each rep with role manager (compose_team):
        slot     = logic.digest.last_due(their schedule on digest.team_day); none sent for it yet
                   (or forced) → the facade's TouchReport → logic.team.compose_team_digest → outbox
    deliver: outbox.Outbox (the worker)

Does not choose adapters (``make_clipper`` does), match articles, or post anything itself: the
content is decided in ``logic.compose`` and sent by ``outbox.Outbox``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, time, timedelta

from .config import Config, Rep
from .logic.compose import DigestRequest, compose_digest
from .logic.digest import (
    DigestCandidate,
    DigestPolicy,
    Readiness,
    RepSchedule,
    TouchStatus,
    digest_readiness,
    in_quiet_hours,
    is_urgent,
    last_due,
    next_due,
    parse_quiet_hours,
)
from .logic.memo import ArticleFacts
from .logic.notes import ShareNotes
from .logic.team import compose_team_digest
from .outbox import DigestReport, Outbox, QueuedDigest, SlackDirectory
from .ports import StorageType
from .types import ComposedDigest, DigestKind, RepSettings, Sink, TouchReport

__all__ = ["DigestReport", "Digests", "QueuedDigest", "rep_schedule", "share_notes"]

log = logging.getLogger(__name__)

#: reps composed in one transaction by ``Digests.compose_due``: fewer commits (and WAL
#: checkpoints) in a tick of thousands of reps, while the write lock is held for a fraction of
#: a second at a time (other writers wait up to ``busy_timeout``)
COMPOSE_BATCH = 50


def rep_schedule(
    config: Config,
    rep: Rep,
    slack_timezone: str | None = None,
    overrides: RepSettings | None = None,
) -> RepSchedule:
    """Return the rep's schedule: what the rep set with ``/clip settings``, else the config,
    else (time zone) Slack's profile, else the defaults."""
    defaults = config.settings.digest
    own = overrides or RepSettings()
    at = own.digest_time
    return RepSchedule(
        timezone=own.timezone or rep.timezone or slack_timezone or defaults.timezone,
        at=time.fromisoformat(at) if at else rep.digest.time or defaults.time,
        days=rep.digest.days or defaults.days,
        quiet=parse_quiet_hours(own.quiet_hours or rep.quiet_hours),
    )


def _always(composed: ComposedDigest) -> Callable[[list[DigestCandidate]], ComposedDigest]:
    """A composition that ignores the candidates (the team digest covers no match)."""

    def compose(_candidates: list[DigestCandidate]) -> ComposedDigest:
        return composed

    return compose


def share_notes(config: Config, rep: Rep) -> ShareNotes:
    """Return what writes the rep's ready-to-send notes: ``share.templates``, the first contact
    of each account (``accounts.yaml``), and the rep's name. Does not render a note."""
    templates = config.settings.share_templates()
    return ShareNotes(templates, rep.name or rep.email, config.first_contacts)


def _digest_policy(config: Config) -> DigestPolicy:
    settings = config.settings.digest
    return DigestPolicy(
        settings.max_items_per_account,
        settings.max_items,
        settings.max_industry_items,
        recency_half_life_hours=settings.recency_half_life_hours,
    )


class Digests:
    """Composes due digests for the configured reps into the outbox, and hands delivery to it."""

    def __init__(
        self,
        config: Config,
        storage: StorageType,
        clock: Callable[[], datetime],
        outbox: Outbox,
        directory: SlackDirectory | None,
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.outbox = outbox
        #: Slack users and time zones; None without Slack (digests go to the terminal)
        self.directory = directory
        self.policy = _digest_policy(config)
        #: True in ``clipper run``: a due digest also waits for this process's next
        #: fetch-and-match pass (``pass_finished``)
        self.runs_passes = False
        self._pass_finished_at: datetime | None = None
        #: rep → when this process first found their first digest due
        self._first_due: dict[str, datetime] = {}
        #: (manager, weekly slot) → when this process first found that team digest due
        self._team_due: dict[tuple[str, datetime], datetime] = {}
        #: (rep, kind, due time) of each wait for matching already reported (``waiting_again``)
        self._waits: set[tuple[str, DigestKind, datetime]] = set()

    def reload(self, config: Config) -> None:
        """Compose the next ticks with ``config``; keeps what this process found due."""
        self.config = config
        self.policy = _digest_policy(config)

    def pass_finished(self, at: datetime) -> None:
        """Record that a fetch-and-match pass of this process finished at ``at``."""
        self._pass_finished_at = at

    def deliver(
        self, *, rep: str | None = None, report: DigestReport | None = None
    ) -> DigestReport:
        """Deliver every claimable part (``Outbox.deliver``); raises ``SlackAuthError`` when the
        token is refused."""
        return self.outbox.deliver(rep=rep, report=report)

    # ------------------------------------------------------------------ composing

    def _accounts_of(self, rep: Rep) -> list[str]:
        return [a.name for a in self.config.accounts_by_owner.get(rep.email, ())]

    def industries_of(self, rep: Rep) -> list[str]:
        """The industries of the rep's accounts, when their "Your industries" section is on
        (``/clip settings industries``, else ``industries:`` in reps.yaml); else none."""
        chosen = self.storage.rep_settings(rep.email).industries
        if not (rep.industries if chosen is None else chosen == "on"):
            return []
        owned = self.config.accounts_by_owner.get(rep.email, ())
        return sorted({a.industry for a in owned if a.industry})

    def _compose(
        self,
        rep: Rep,
        kind: DigestKind,
        now: datetime,
        next_at: datetime | None,
        *,
        preview: bool = False,
        keep_if_empty: bool = False,
        facts: ArticleFacts | None = None,
    ) -> Callable[[list[DigestCandidate]], ComposedDigest]:
        """Return the pure composition ``storage.create_digest`` runs under its write lock;
        ``facts`` is the tick's memo of what each article shows (shared by every rep)."""
        sink = Sink.SLACK if self.directory is not None and not preview else Sink.TERMINAL
        request = DigestRequest(
            rep.email,
            rep.name,
            kind,
            sink,
            now,
            next_at,
            keep_if_empty,
            notes=share_notes(self.config, rep) if sink is Sink.TERMINAL else None,
        )
        touches = self.touch_statuses(self._accounts_of(rep), now)

        def compose(candidates: list[DigestCandidate]) -> ComposedDigest:
            return compose_digest(request, candidates, touches, self.policy, facts)

        return compose

    def touch_statuses(self, accounts: Sequence[str], now: datetime) -> dict[str, TouchStatus]:
        """Return each account's touches this quarter (calendar or fiscal, ``touches:``)
        against its quarterly target (its ``touch_target``, else its tier's, else the
        default)."""
        policy = self.config.settings.touch_policy()
        start = policy.quarter_start(policy.quarter_of(now))
        known = self.config.accounts_by_name
        statuses = self.storage.touch_statuses(accounts, start, policy.quarterly_target())
        dark = policy.going_dark_days
        for name, status in statuses.items():
            account = known.get(name)
            # the digest's nudge also speaks to accounts going dark
            if account is not None:
                target = policy.quarterly_target(tier=account.tier, override=account.touch_target)
                statuses[name] = replace(status, target=target, going_dark_days=dark)
            else:
                statuses[name] = replace(status, going_dark_days=dark)
        return statuses

    def _has_urgent(self, rep: Rep, since: datetime, now: datetime) -> bool:
        """A read-only look before an alert takes the write lock (every rep, every tick)."""
        candidates = self.storage.digest_candidates(rep.email, self._accounts_of(rep), since, now)
        return any(is_urgent(c) for c in candidates)

    def compose_due(
        self, *, rep: str | None = None, force: bool = False, dry_run: bool = False
    ) -> DigestReport:
        """Queue every due digest (all of them with ``force``) and urgent alerts; count the
        matches of each digest composed that are older than the digest window.

        Every rep's Slack time zone is looked up first (the tick's only Slack calls, never
        made while holding the write lock); then the reps are composed ``COMPOSE_BATCH`` at a
        time, each batch one transaction (``storage.batch``): a tick stopped midway stores
        whole batches only, and the reps of a batch not stored are composed again next tick."""
        report = DigestReport()
        now = self.clock()
        since = now - timedelta(days=self.config.settings.digest.lookback_days)
        # an article matched for many reps: its lead, image and value are worked out once
        facts = ArticleFacts()
        people = [
            (person, accounts, self.slack_timezone(person))  # the one Slack call (cached)
            for person in self.config.reps
            if (rep is None or person.email == rep.lower())
            and (accounts := self._accounts_of(person))
        ]
        for start in range(0, len(people), COMPOSE_BATCH):
            queued: list[str] = []
            # a dry run writes nothing: no write lock
            with nullcontext() if dry_run else self.storage.batch("composing digests"):
                for person, accounts, zone in people[start : start + COMPOSE_BATCH]:
                    if self._compose_rep(
                        person, accounts, zone, now, since, facts, report, force, dry_run
                    ):
                        queued.append(person.email)
            for email in queued:  # stored: no longer waiting for a first digest
                self._first_due.pop(email, None)
        return report

    def _compose_rep(
        self,
        person: Rep,
        accounts: list[str],
        zone: str | None,
        now: datetime,
        since: datetime,
        facts: ArticleFacts,
        report: DigestReport,
        force: bool,
        dry_run: bool,
    ) -> bool:
        """Queue the rep's urgent alert and due digest into ``report`` (``compose_due``);
        return whether a digest was queued. Does not call Slack (``zone`` is looked up)."""
        schedule = self.schedule_of(person, zone)
        stored = self.storage.next_digest_at(person.email)
        due = force or stored is None or stored <= now
        if dry_run:
            if due:
                compose = self._compose(
                    person, DigestKind.DIGEST, now, None, preview=True, facts=facts
                )
                composed = compose(
                    self.storage.digest_candidates(
                        person.email,
                        accounts,
                        since,
                        now,
                        industries=self.industries_of(person),
                    )
                )
                report.previews += [payload for _text, payload in composed.parts]
                if not composed.parts:
                    report.skipped_empty.append(person.email)
                report.too_old += self.storage.older_matches(person.email, accounts, since, now)
            return False
        if not due and not in_quiet_hours(schedule, now) and self._has_urgent(person, since, now):
            digest_id = self.storage.create_digest(
                person.email,
                DigestKind.ALERT,
                now,
                now,
                accounts,
                since,
                self._compose(person, DigestKind.ALERT, now, None, facts=facts),
            )
            if digest_id is not None:
                report.queued.append(QueuedDigest(person.email, DigestKind.ALERT, digest_id))
        if not due:
            return False
        readiness = Readiness.SEND if force else self._readiness(person.email, stored, now)
        if readiness is Readiness.WAIT:
            # debug: the caller tells it, once, with the rep (cli.cycle)
            log.debug(
                "digest for %s is due but waits for matching in progress",
                person.email,
                extra={"rep": person.email},
            )
            report.waiting.append(person.email)
            self._note_wait(
                person.email, DigestKind.DIGEST, stored or self._first_due[person.email], report
            )
            return False
        report.too_old += self.storage.older_matches(person.email, accounts, since, now)
        due_at = now if force or stored is None else stored
        following = next_due(schedule, now)
        digest_id = self.storage.create_digest(
            person.email,
            DigestKind.DIGEST,
            due_at,
            now,
            accounts,
            since,
            self._compose(
                person,
                DigestKind.DIGEST,
                now,
                following,
                keep_if_empty=readiness is Readiness.SEND_IF_ANY,
                facts=facts,
            ),
            expected_next=None if force else stored,
            scheduled=not force,
            industries=self.industries_of(person),
        )
        if digest_id is None:
            report.skipped_empty.append(person.email)
            return False
        report.queued.append(QueuedDigest(person.email, DigestKind.DIGEST, digest_id))
        return True

    def compose_team(
        self,
        team_report: Callable[[], TouchReport],
        *,
        rep: str | None = None,
        force: bool = False,
        dry_run: bool = False,
        report: DigestReport | None = None,
    ) -> DigestReport:
        """Queue each manager's weekly team digest (``role: manager``) when its slot has come:
        ``digest.team_day`` at their digest time, in their time zone; the latest slot not yet
        sent (a new manager's first one goes out at once). ``force`` does not wait for matching
        in progress; it never sends a second one for the same week, and a dry run previews
        exactly what would be sent (a week's sent summary is named in ``report.team_sent``).

        ``team_report`` is the facade's ``touch_report``: the digest shows exactly the numbers
        ``/clip report`` shows. Does not count anything itself; it asks for the report only
        when a digest is due.
        """
        report = report if report is not None else DigestReport()
        now = self.clock()
        numbers: TouchReport | None = None
        for person in self.config.reps:
            if person.role != "manager" or (rep is not None and person.email != rep.lower()):
                continue
            schedule = replace(
                self.schedule_of(person, self.slack_timezone(person)),
                days=(self.config.settings.digest.team_day,),
            )
            due_at = last_due(schedule, now)
            last = self.storage.last_digest_due(person.email, DigestKind.TEAM)
            if last is not None and last >= due_at:
                # this week's was sent: --now does not send a second one, and a dry run
                # previews only what would be sent (it says so instead)
                if force:
                    report.team_sent.append(person.email)
                continue
            if not force and not dry_run:
                # the wait for matching counts from when this process found it due, so a
                # first summary for a slot days ago still waits for this process's first pass
                seen = max(due_at, self._team_due.setdefault((person.email, due_at), now))
                progress = replace(
                    self.storage.matching_progress(seen, now),
                    runs_passes=self.runs_passes,
                    pass_finished_at=self._pass_finished_at,
                )
                if digest_readiness(seen, now, progress, first=True) is Readiness.WAIT:
                    report.waiting.append(person.email)
                    self._note_wait(person.email, DigestKind.TEAM, due_at, report)
                    continue
            numbers = numbers or team_report()
            sink = Sink.SLACK if self.directory is not None and not dry_run else Sink.TERMINAL
            composed = compose_team_digest(numbers, person.name or person.email, sink, now)
            if dry_run:
                report.previews += [payload for _text, payload in composed.parts]
                continue
            digest_id = self.storage.create_digest(
                person.email, DigestKind.TEAM, due_at, now, [], now, _always(composed)
            )
            if digest_id is not None:
                report.queued.append(QueuedDigest(person.email, DigestKind.TEAM, digest_id))
        return report

    def _note_wait(
        self, email: str, kind: DigestKind, due_at: datetime, report: DigestReport
    ) -> None:
        """Add ``email`` to ``report.waiting_again`` when this digest (rep, kind and due time)
        was reported waiting before. Does not log."""
        if (email, kind, due_at) in self._waits:
            report.waiting_again.append(email)
        else:
            self._waits.add((email, kind, due_at))

    def _readiness(self, email: str, stored: datetime | None, now: datetime) -> Readiness:
        """Whether a due digest may be composed now: the matching it depends on has run."""
        due_at = stored if stored is not None else self._first_due.setdefault(email, now)
        progress = replace(
            self.storage.matching_progress(due_at, now),
            runs_passes=self.runs_passes,
            pass_finished_at=self._pass_finished_at,
        )
        return digest_readiness(due_at, now, progress, first=stored is None)

    def slack_timezone(self, rep: Rep) -> str | None:
        """Return the rep's time zone from Slack's profile when nothing else sets it.

        The one step that may call Slack (``users.lookupByEmail``, ``users.info``; cached):
        None without Slack, when the config or the rep's own setting names a zone, or when
        Slack does not say. Raises ``SlackAuthError`` when the token is refused.
        """
        if self.directory is None or rep.timezone is not None:
            return None
        if self.storage.rep_settings(rep.email).timezone:
            return None
        return self.directory.timezone(rep)

    def schedule_of(self, rep: Rep, slack_timezone: str | None = None) -> RepSchedule:
        """Return the rep's schedule from their settings, the config and ``slack_timezone``
        (from ``slack_timezone(rep)``). Reads the database; does not call Slack."""
        overrides = self.storage.rep_settings(rep.email)
        zone = None if overrides.timezone else slack_timezone
        return rep_schedule(self.config, rep, zone, overrides)
