"""Digest ticks and delivery: compose due digests into the outbox, then deliver the outbox.

    for each rep:
        alerts   = urgent events on the rep's accounts → an "alert" digest now (not in quiet hours)
        if due and the matching it depends on has run (logic.digest.digest_readiness), or forced:
                   digest = build_digest(new matches) → parts → outbox   # one transaction
    deliver:
        for each claimable part (earlier parts of its digest all sent):
            terminal: print it and write var/digests/<rep>/...md
            slack:    user by email (cached) → DM (cached) → reconcile if claimed before → post,
                      paced per DM, 429 Retry-After honoured, bounded attempts, outcome per part

Parts carry a key (digest id and part number) in Slack message metadata, so a part whose outcome
is unknown (crash, dropped connection) is looked up in the DM's history before it is sent again.
A part is posted only under a lease renewed right before the post and kept renewed while waiting
(Retry-After, backoff): a deliverer that finds another one holding the part gives it up unposted,
so two deliverers never both post it, however long a wait lasts.
Does not choose adapters (``make_clipper`` does) and does not match articles.
"""

from __future__ import annotations

import json
import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import Config, Rep
from .exceptions import (
    DeliveryError,
    SlackAuthError,
    SlackRateLimitedError,
    SlackScopeError,
    SlackUncertainError,
    SlackUserNotFoundError,
)
from .logic.blockkit import render_markdown, render_slack
from .logic.digest import (
    DigestCandidate,
    DigestPolicy,
    Readiness,
    RepSchedule,
    TouchStatus,
    build_digest,
    digest_readiness,
    in_quiet_hours,
    is_urgent,
    next_due,
    parse_quiet_hours,
    quarter_began,
)
from .ports import DigestWriterType, SlackApiType, StorageType
from .types import ComposedDigest, DigestPart, RepSettings

log = logging.getLogger(__name__)
#: how long a claimed part is ours before another run may take it over; renewed right before
#: each post and every third of it while waiting (longer than a Slack request's timeout)
PART_LEASE_S = 300.0
#: parts claimed at a time (each is leased for PART_LEASE_S while the batch is delivered)
CLAIM_BATCH = 50
#: a rep Slack does not know is tried again after this long
UNKNOWN_REP_HOLD = timedelta(hours=6)


@dataclass
class DigestReport:
    """What one tick did, for the CLI and tests."""

    queued: list[tuple[str, str, int]] = field(default_factory=list)  # (rep, kind, parts)
    skipped_empty: list[str] = field(default_factory=list)
    #: reps whose due digest waits for matching still in progress (tried again next tick)
    waiting: list[str] = field(default_factory=list)
    sent: int = 0
    pending: int = 0
    problems: list[str] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)


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


class Digests:
    """Composes and delivers digests for the configured reps."""

    def __init__(
        self,
        config: Config,
        storage: StorageType,
        clock: Callable[[], datetime],
        writer: DigestWriterType,
        slack: SlackApiType | None,
        *,
        owner: str,
        sleep: Callable[[float], None] = _time.sleep,
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.writer = writer
        self.slack = slack
        self.owner = owner
        self.sleep = sleep
        settings = config.settings.digest
        self.policy = DigestPolicy(settings.max_items_per_account, settings.max_items)
        self._last_post: dict[str, float] = {}
        self._last_any_post = -1e9
        #: email → when Slack last said it has no such user (asked again after a hold)
        self._unknown: dict[str, datetime] = {}
        #: True in ``clipper run``: a due digest also waits for this process's next
        #: fetch-and-match pass (``pass_finished``)
        self.runs_passes = False
        self._pass_finished_at: datetime | None = None
        #: rep → when this process first found their first digest due
        self._first_due: dict[str, datetime] = {}

    def pass_finished(self, at: datetime) -> None:
        """Record that a fetch-and-match pass of this process finished at ``at``."""
        self._pass_finished_at = at

    # ------------------------------------------------------------------ composing

    def _accounts_of(self, rep: Rep) -> list[str]:
        return [a.name for a in self.config.accounts_by_owner.get(rep.email, ())]

    def _compose(
        self,
        rep: Rep,
        kind: str,
        now: datetime,
        next_at: datetime | None,
        *,
        preview: bool = False,
        keep_if_empty: bool = False,
    ) -> Callable[[list[DigestCandidate]], ComposedDigest]:
        sink = "slack" if self.slack is not None and not preview else "terminal"
        accounts = self._accounts_of(rep)
        touches = self.touch_statuses(accounts, now)

        def compose(candidates: list[DigestCandidate]) -> ComposedDigest:
            if kind == "alert":
                candidates = [c for c in candidates if is_urgent(c)]
            digest = build_digest(
                rep.email, rep.name, candidates, touches, self.policy, now, kind=kind
            )
            shown = {(i.article_id, i.account) for s in digest.sections for i in s.items}
            shown |= {
                (other, i.account) for s in digest.sections for i in s.items for other in i.also_ids
            }
            covered = tuple(
                (aid, account, (aid, account) in shown) for aid, account in digest.covered
            )
            if kind == "alert":
                # an alert covers only what it shows; the rest waits for the digest
                covered = tuple(c for c in covered if c[2])
            if digest.is_empty():
                # matching still pending: leave the schedule, the matches may come next tick
                return ComposedDigest((), (), sink, None if keep_if_empty else next_at)
            if sink == "slack":
                parts = tuple(
                    (m.text, json.dumps(list(m.blocks), ensure_ascii=False))
                    for m in render_slack(digest)
                )
            else:
                parts = ((f"{digest.kind} for {rep.email}", render_markdown(digest)),)
            return ComposedDigest(parts, covered, sink, next_at)

        return compose

    def touch_statuses(self, accounts: Sequence[str], now: datetime) -> dict[str, TouchStatus]:
        """Return each account's touches this calendar quarter against the target."""
        return self.storage.touch_statuses(
            accounts, quarter_began(now), self.config.settings.digest.touches_per_quarter
        )

    def _has_urgent(self, rep: Rep, since: datetime, now: datetime) -> bool:
        """A read-only look before an alert takes the write lock (every rep, every tick)."""
        candidates = self.storage.digest_candidates(rep.email, self._accounts_of(rep), since, now)
        return any(is_urgent(c) for c in candidates)

    def compose_due(
        self, *, rep: str | None = None, force: bool = False, dry_run: bool = False
    ) -> DigestReport:
        """Queue every due digest (all of them with ``force``) and urgent alerts."""
        report = DigestReport()
        now = self.clock()
        since = now - timedelta(days=self.config.settings.digest.lookback_days)
        for person in self.config.reps:
            if rep is not None and person.email != rep.lower():
                continue
            accounts = self._accounts_of(person)
            if not accounts:
                continue
            schedule = self.schedule_of(person)
            stored = self.storage.next_digest_at(person.email)
            due = force or stored is None or stored <= now
            if dry_run:
                if due:
                    compose = self._compose(person, "digest", now, None, preview=True)
                    composed = compose(
                        self.storage.digest_candidates(person.email, accounts, since, now)
                    )
                    report.previews += [payload for _text, payload in composed.parts]
                continue
            if (
                not due
                and not in_quiet_hours(schedule, now)
                and self._has_urgent(person, since, now)
            ):
                digest_id = self.storage.create_digest(
                    person.email,
                    "alert",
                    now,
                    now,
                    accounts,
                    since,
                    self._compose(person, "alert", now, None),
                )
                if digest_id is not None:
                    report.queued.append((person.email, "alert", digest_id))
            if not due:
                continue
            readiness = Readiness.SEND if force else self._readiness(person.email, stored, now)
            if readiness is Readiness.WAIT:
                log.info("digest for %s is due but waits for matching in progress", person.email)
                report.waiting.append(person.email)
                continue
            due_at = now if force or stored is None else stored
            following = next_due(schedule, now)
            digest_id = self.storage.create_digest(
                person.email,
                "digest",
                due_at,
                now,
                accounts,
                since,
                self._compose(
                    person,
                    "digest",
                    now,
                    following,
                    keep_if_empty=readiness is Readiness.SEND_IF_ANY,
                ),
                expected_next=None if force else stored,
                scheduled=not force,
            )
            if digest_id is None:
                report.skipped_empty.append(person.email)
            else:
                self._first_due.pop(person.email, None)
                report.queued.append((person.email, "digest", digest_id))
        return report

    def _readiness(self, email: str, stored: datetime | None, now: datetime) -> Readiness:
        """Whether a due digest may be composed now: the matching it depends on has run."""
        due_at = stored if stored is not None else self._first_due.setdefault(email, now)
        progress = replace(
            self.storage.matching_progress(due_at, now),
            runs_passes=self.runs_passes,
            pass_finished_at=self._pass_finished_at,
        )
        return digest_readiness(due_at, now, progress, first=stored is None)

    def schedule_of(self, rep: Rep) -> RepSchedule:
        overrides = self.storage.rep_settings(rep.email)
        zone = None if overrides.timezone else self._slack_timezone(rep)
        return rep_schedule(self.config, rep, zone, overrides)

    def _slack_timezone(self, rep: Rep) -> str | None:
        """Return the rep's time zone from Slack (``users.info``, cached) when the config has
        none; None when Slack is not configured or does not say."""
        if rep.timezone is not None or self.slack is None:
            return None
        cached = self.storage.slack_timezone(rep.email)
        if self._recently_unknown(rep.email):
            return None
        if cached:
            return cached if _known_zone(cached) else None
        try:
            known = self.storage.slack_user(rep.email)
            user = (
                rep.slack_id or (known[0] if known else None) or self.slack.lookup_user(rep.email)
            )
            zone = self.slack.user_timezone(user)
        except SlackAuthError:
            raise
        except DeliveryError as exc:
            if isinstance(exc, SlackUserNotFoundError):
                self._unknown[rep.email] = self.clock()
            log.info("no Slack time zone for %s (%s); using the default", rep.email, exc)
            return None
        self.storage.put_slack_user(rep.email, user, None, self.clock(), timezone=zone)
        return zone if zone and _known_zone(zone) else None

    # ------------------------------------------------------------------ delivering

    def deliver(
        self, *, rep: str | None = None, report: DigestReport | None = None
    ) -> DigestReport:
        """Deliver every claimable part; raises ``SlackAuthError`` when the token is refused."""
        report = report or DigestReport()
        held: set[str] = set()
        while True:
            now = self.clock()
            parts = self.storage.claim_parts(now, self.owner, PART_LEASE_S, CLAIM_BATCH, rep=rep)
            parts = [p for p in parts if p.rep not in held]
            if not parts:
                break
            progressed = False
            for part in parts:
                outcome = self._deliver_part(part, now, report)
                if outcome == "sent":
                    report.sent += 1
                    progressed = True
                elif outcome == "held":
                    held.add(part.rep)
                elif outcome == "lost":
                    pass  # another deliverer holds it now and will record it
                else:
                    report.pending += 1
            if not progressed:
                break
        return report

    def _deliver_part(self, part: DigestPart, claimed_at: datetime, report: DigestReport) -> str:
        if part.sink == "terminal":
            if not self._renew(part):
                return "lost"
            self.writer.write(part.rep, part.digest_id, part.part, part.payload, self.clock())
            self.storage.finish_part(
                part.digest_id, part.part, self.owner, self.clock(), state="sent", attempts=1
            )
            return "sent"
        assert self.slack is not None
        settings = self.config.settings.slack
        channel = part.channel
        for _attempt in range(settings.max_attempts):
            if channel:
                break
            try:
                channel = self._channel_of(part.rep)
            except SlackAuthError:
                self.storage.release_part(part.digest_id, part.part, self.owner)
                raise
            except (SlackUserNotFoundError, SlackScopeError) as exc:
                # the rep's own problem: hold their parts, serve everyone else
                report.problems.append(f"{part.rep}: {exc}")
                log.warning("digest for %s held: %s", part.rep, exc)
                self.storage.release_part(part.digest_id, part.part, self.owner)
                self.storage.hold_rep_parts(part.rep, str(exc), self.clock() + UNKNOWN_REP_HOLD)
                return "held"
            except SlackRateLimitedError as exc:
                if exc.retry_after > settings.max_retry_wait_s:
                    break
                if not self._wait(part, exc.retry_after):
                    return "lost"
            except DeliveryError as exc:  # 5xx, a dropped connection: try again shortly
                log.warning("finding %s's DM failed: %s", part.rep, exc)
                if not self._wait(part, 1.0):
                    return "lost"
        if not channel:
            report.problems.append(f"{part.rep}: could not open the DM; will retry")
            retry_at = self.clock() + timedelta(minutes=5)
            self._finish(part, "pending", part.attempts, None, None, "DM not opened", retry_at)
            return "pending"
        return self._post(part, channel, claimed_at, report)

    def _recently_unknown(self, email: str) -> bool:
        when = self._unknown.get(email)
        return when is not None and self.clock() - when < UNKNOWN_REP_HOLD

    def _channel_of(self, email: str) -> str:
        assert self.slack is not None
        cached = self.storage.slack_user(email)
        if cached is None and self._recently_unknown(email):
            raise SlackUserNotFoundError(f"users.lookupByEmail: no Slack user has {email}")
        if cached is not None and cached[1]:
            return cached[1]
        configured = next((r.slack_id for r in self.config.reps if r.email == email), None)
        try:
            user = configured or (cached[0] if cached else None) or self.slack.lookup_user(email)
        except SlackUserNotFoundError:
            self._unknown[email] = self.clock()
            raise
        self.storage.put_slack_user(email, user, None, self.clock())
        channel = self.slack.open_dm(user)
        self.storage.put_slack_user(email, user, channel, self.clock())
        return channel

    def _pace(self, channel: str) -> None:
        """Wait for the DM's pace (one post per ``pace_s``) and the workspace's
        (``workspace_rate`` posts per second across all DMs)."""
        settings = self.config.settings.slack
        now = _time.monotonic()
        wait = max(
            settings.pace_s - (now - self._last_post.get(channel, -1e9)),
            1.0 / settings.workspace_rate - (now - self._last_any_post),
        )
        if wait > 0:
            self.sleep(wait)
        self._last_any_post = _time.monotonic()

    def _post(
        self, part: DigestPart, channel: str, claimed_at: datetime, report: DigestReport
    ) -> str:
        assert self.slack is not None
        settings = self.config.settings.slack
        key = f"{part.digest_id}:{part.part}"
        attempts = part.attempts
        blocks: list[dict[str, Any]] = json.loads(part.payload)
        uncertain = part.first_claimed_at is not None and part.first_claimed_at < claimed_at
        error = ""
        for attempt in range(settings.max_attempts):
            if uncertain:
                found = self._reconcile(channel, key, part.first_claimed_at or claimed_at)
                if found is not None:
                    self._finish(part, "sent", attempts, channel, found, None)
                    return "sent"
            self._pace(channel)
            if not self._renew(part):
                return "lost"  # checked right before the post: the lease outlasts the request
            attempts += 1
            try:
                ts = self.slack.post(channel, part.text, blocks, key)
            except SlackRateLimitedError as exc:
                self._last_post[channel] = _time.monotonic()
                error = str(exc)
                if exc.retry_after > settings.max_retry_wait_s:
                    break
                if not self._wait(part, exc.retry_after):
                    return "lost"
                continue
            except SlackUncertainError as exc:
                self._last_post[channel] = _time.monotonic()
                error = str(exc)
                uncertain = True
                if not self._wait(part, min(2.0**attempt, 8.0)):
                    return "lost"
                continue
            except SlackAuthError:
                self._finish(part, "sending", attempts, channel, None, "token refused")
                raise
            except SlackScopeError as exc:
                report.problems.append(f"{part.rep}: {exc}")
                self._finish(part, "pending", attempts, channel, None, str(exc))
                self.storage.hold_rep_parts(part.rep, str(exc), self.clock() + UNKNOWN_REP_HOLD)
                return "held"
            except DeliveryError as exc:
                self._last_post[channel] = _time.monotonic()
                error = str(exc)
                if "invalid_blocks" in error or "msg_blocks_too_long" in error:
                    report.problems.append(f"{part.rep}: part {part.part} refused: {error}")
                    self._finish(part, "failed", attempts, channel, None, error)
                    return "failed"
                if not self._wait(part, min(2.0**attempt, 8.0)):
                    return "lost"
                continue
            self._last_post[channel] = _time.monotonic()
            self._finish(part, "sent", attempts, channel, ts, None)
            return "sent"
        retry_at = self.clock() + timedelta(seconds=min(60 * 2 ** min(attempts, 6), 3600))
        report.problems.append(f"{part.rep}: part {part.part} not sent yet: {error}")
        self._finish(part, "pending", attempts, channel, None, error, retry_at)
        return "pending"

    def _renew(self, part: DigestPart) -> bool:
        """Extend our lease on ``part``; False (logged) when another deliverer holds it now.

        Does not post, and does not record an outcome: the holder does.
        """
        kept = self.storage.renew_part(
            part.digest_id, part.part, self.owner, self.clock(), PART_LEASE_S
        )
        if not kept:
            log.info(
                "digest %s part %s: another deliverer holds it now; giving it up unposted",
                part.digest_id,
                part.part,
            )
        return kept

    def _wait(self, part: DigestPart, seconds: float) -> bool:
        """Sleep ``seconds`` keeping the lease on ``part`` (renewed every third of it); False as
        soon as another deliverer holds it. Does not shorten the wait."""
        step = max(PART_LEASE_S / 3, 0.05)
        left = seconds
        while left > 0:
            if not self._renew(part):
                return False
            chunk = min(step, left)
            self.sleep(chunk)
            left -= chunk
        return self._renew(part)

    def _reconcile(self, channel: str, key: str, since: datetime) -> str | None:
        """Return the ts of an earlier post of this part, if Slack has it."""
        assert self.slack is not None
        try:
            return self.slack.find_posted(channel, key, since)
        except SlackScopeError as exc:
            log.warning(
                "cannot check whether a digest part was already posted (%s); sending it again "
                "may duplicate it: grant im:history to avoid this",
                exc,
            )
        except (SlackUncertainError, SlackRateLimitedError, DeliveryError) as exc:
            log.warning("could not check the DM history (%s); sending again", exc)
        return None

    def _finish(
        self,
        part: DigestPart,
        state: str,
        attempts: int,
        channel: str | None,
        ts: str | None,
        error: str | None,
        retry_at: datetime | None = None,
    ) -> None:
        kept = self.storage.finish_part(
            part.digest_id,
            part.part,
            self.owner,
            self.clock(),
            state=state,
            attempts=attempts,
            channel=channel,
            slack_ts=ts,
            error=error,
            next_attempt_at=retry_at,
        )
        if not kept:
            log.warning("lost the lease on digest %s part %s", part.digest_id, part.part)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
