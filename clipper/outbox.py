"""The digest outbox worker: deliver queued parts to the terminal or to Slack DMs.

    for each claimable part (earlier parts of its digest all sent), under a lease:
        terminal: print it and write var/digests/<rep>/...md
        slack:    user by email (cached) → DM (cached) → reconcile if claimed before → post,
                  paced per DM, 429 Retry-After honoured, bounded attempts, outcome per part

Parts carry a key (digest id and part number) in Slack message metadata, so a part whose outcome
is unknown (crash, dropped connection) is looked up in the DM's history before it is sent again.
A part is posted only under a lease renewed right before the post and kept renewed while waiting
(Retry-After, backoff): a deliverer that finds another one holding the part gives it up unposted,
so two deliverers never both post it, however long a wait lasts. Every number comes from one
``DeliveryPolicy``; time comes from the injected clock, monotonic clock and sleep.

Does not compose digests (``digests.Digests`` and ``logic.compose`` do) or choose adapters.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import Rep
from .exceptions import (
    DeliveryError,
    SlackAuthError,
    SlackRateLimitedError,
    SlackRejectedError,
    SlackScopeError,
    SlackUncertainError,
    SlackUserNotFoundError,
)
from .logic.blockkit import without_images
from .logic.delivery import DeliveryPolicy
from .logic.feedhealth import is_slack_user_id
from .logic.words import plural
from .ports import DigestWriterType, MetricsType, NoMetrics, SlackApiType, StorageType
from .types import DigestKind, DigestPart, PartOutcome, PartState, Sink, SlackRetry

log = logging.getLogger(__name__)


class QueuedDigest(NamedTuple):
    """A digest a tick put in the outbox."""

    rep: str
    kind: DigestKind
    digest_id: int


@dataclass
class DigestReport:
    """What one tick did, for the CLI and tests."""

    #: every digest put in the outbox: (rep, kind, digest id)
    queued: list[QueuedDigest] = field(default_factory=list)
    #: reps whose due digest had nothing to say (their schedule still advanced)
    skipped_empty: list[str] = field(default_factory=list)
    #: reps whose due digest waits for matching still in progress (tried again next tick)
    waiting: list[str] = field(default_factory=list)
    #: those of ``waiting`` an earlier tick of this process reported waiting already, for the
    #: same due time (``clipper run`` tells a wait once, not every tick)
    waiting_again: list[str] = field(default_factory=list)
    #: parts delivered in this run
    sent: int = 0
    #: parts left for a later run (or refused by Slack)
    pending: int = 0
    #: one line per rep or part that needs a person's attention
    problems: list[str] = field(default_factory=list)
    #: the composed payloads of a dry run (nothing queued)
    previews: list[str] = field(default_factory=list)
    #: undelivered matches of the reps composed for that were published before the digest
    #: window (``digest.lookback_days``) and so left out
    too_old: int = 0
    #: managers whose team summary for this week was sent already: not sent again, and so not
    #: previewed by a dry run either
    team_sent: list[str] = field(default_factory=list)


class Outcome(enum.Enum):
    """How one delivery attempt of a part ended, for this run's report."""

    SENT = enum.auto()
    #: the rep's own problem (unknown email, missing scope): their parts wait, others go on
    HELD = enum.auto()
    #: another deliverer holds the part now and will record it
    LOST = enum.auto()
    #: not sent in this run; a later run tries again
    PENDING = enum.auto()
    #: Slack refused the part's content: never sent
    FAILED = enum.auto()


class SlackDirectory:
    """Who a rep is in Slack and who a Slack user is: user id, DM channel and time zone by
    email, and email by user id; the one Slack user cache of the process (the Slack app's
    ``slackclip.SlackUsers`` asks it too).

    What Slack says of a rep is cached in storage (``slack_users``: one row per email, so at
    most one per rep or admin; the profile email of a Slack user who is no rep is never
    stored). A user Slack does not know is not asked about again for
    ``DeliveryPolicy.unknown_rep_hold`` (kept in memory, only while the hold lasts).
    Every method may call Slack (``users.lookupByEmail``, ``users.info``,
    ``conversations.open``; ``email_of`` through the caller's ``ask``); none decides what to
    send.
    """

    def __init__(
        self,
        storage: StorageType,
        slack: SlackApiType,
        reps: Sequence[Rep],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy,
    ) -> None:
        self.storage = storage
        self.slack = slack
        self.reps = reps
        self.clock = clock
        self.policy = policy
        #: email → when Slack last said it has no such user (asked again after a hold)
        self._unknown: dict[str, datetime] = {}

    def recently_unknown(self, email: str) -> bool:
        """Slack said within the hold that no user has this email (or user id)."""
        when = self._unknown.get(email)
        return when is not None and self.clock() - when < self.policy.unknown_rep_hold

    def _mark_unknown(self, key: str) -> None:
        """Remember that Slack does not know ``key`` (email or user id); entries past the hold
        are dropped here, so the map holds only what was refused within it."""
        now = self.clock()
        hold = self.policy.unknown_rep_hold
        self._unknown = {k: t for k, t in self._unknown.items() if now - t < hold}
        self._unknown[key] = now

    def email_of(self, user_id: str, ask: Callable[[str], str | None]) -> str | None:
        """Return the email of the Slack user ``user_id``: cached, else what ``ask`` says
        (the Slack app's ``users.info``, with its own 429 retry; cached when it is a configured
        rep's); None when the profile shows none. Does not say whether they are a rep.

        Raises:
            SlackUserNotFoundError: Slack has no such user (now or within the hold).
            DeliveryError: whatever else ``ask`` raises.
        """
        cached = self.storage.email_of_slack_user(user_id)
        if cached is not None:
            return cached
        if self.recently_unknown(user_id):
            raise SlackUserNotFoundError("user_not_found")
        try:
            email = ask(user_id)
        except SlackUserNotFoundError:
            self._mark_unknown(user_id)
            raise
        if email is not None and any(r.email == email for r in self.reps):
            self.storage.put_slack_user(email, user_id, None, self.clock())
        return email

    def timezone(self, rep: Rep) -> str | None:
        """Return the rep's time zone from Slack (``users.info``, cached) when the config has
        none; None when Slack does not say or the rep is unknown there.

        Raises:
            SlackAuthError: Slack refused the bot token.
        """
        if rep.timezone is not None:
            return None
        cached = self.storage.slack_timezone(rep.email)
        if self.recently_unknown(rep.email):
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
                self._mark_unknown(rep.email)
            log.info("no Slack time zone for %s (%s); using the default", rep.email, exc)
            return None
        self.storage.put_slack_user(rep.email, user, None, self.clock(), timezone=zone)
        return zone if zone and _known_zone(zone) else None

    def channel(self, email: str) -> str:
        """Return the DM channel with the rep (opened and cached on first use)."""
        cached = self.storage.slack_user(email)
        if cached is None and self.recently_unknown(email):
            raise SlackUserNotFoundError(f"users.lookupByEmail: no Slack user has {email}")
        if cached is not None and cached[1]:
            return cached[1]
        configured = next((r.slack_id for r in self.reps if r.email == email), None)
        if configured is None and is_slack_user_id(email):
            configured = email  # an admin named by Slack user id (``alerts.admin``)
        try:
            user = configured or (cached[0] if cached else None) or self.slack.lookup_user(email)
        except SlackUserNotFoundError:
            self._mark_unknown(email)
            raise
        self.storage.put_slack_user(email, user, None, self.clock())
        channel = self.slack.open_dm(user)
        self.storage.put_slack_user(email, user, channel, self.clock())
        return channel


class Outbox:
    """Delivers the outbox's parts; one per process, shared by every tick."""

    def __init__(
        self,
        storage: StorageType,
        writer: DigestWriterType,
        slack: SlackApiType | None,
        directory: SlackDirectory | None,
        *,
        owner: str,
        policy: DeliveryPolicy,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
        sleep: Callable[[float], None],
        stopping: threading.Event | None = None,
        metrics: MetricsType | None = None,
    ) -> None:
        self.storage = storage
        self.metrics: MetricsType = metrics or NoMetrics()
        #: once set, no part is started: a post already sent is recorded, the rest are left
        #: pending (claimable at once by the next start, which checks Slack before posting)
        self.stopping = stopping or threading.Event()
        self.writer = writer
        self.slack = slack
        self.directory = directory
        self.owner = owner
        self.policy = policy
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self._last_post: dict[str, float] = {}
        self._last_any_post = -1e9
        #: (digest id, part) of each ``chat.postMessage`` in flight now (``posting_now``)
        self._posting: set[tuple[int, int]] = set()
        self._posting_lock = threading.Lock()
        #: whether the Slack parts a process without Slack leaves were told (once)
        self._told_slack_waits = False

    def posting_now(self) -> frozenset[tuple[int, int]]:
        """Return the (digest id, part) of each post in flight now: their claims are kept at a
        stop past its grace (whether Slack got them is unknown). Does not wait for them."""
        with self._posting_lock:
            return frozenset(self._posting)

    def deliver(
        self, *, rep: str | None = None, report: DigestReport | None = None
    ) -> DigestReport:
        """Deliver every claimable part; raises ``SlackAuthError`` when the token is refused."""
        report = report or DigestReport()
        held: set[str] = set()
        while not self.stopping.is_set():
            now = self.clock()
            parts = self.storage.claim_parts(
                now,
                self.owner,
                self.policy.part_lease_s,
                self.policy.claim_batch,
                rep=rep,
                # without Slack, parts queued for Slack wait for a process that has it
                terminal_only=self.directory is None,
            )
            parts = [p for p in parts if p.rep not in held]
            if not parts:
                break
            progressed = False
            for index, part in enumerate(parts):
                if self.stopping.is_set():
                    for left in parts[index:]:
                        self._leave_pending(left, left.channel, left.attempts)
                    report.pending += len(parts) - index
                    log.info(
                        "stopping: %s left pending",
                        plural(len(parts) - index, "claimed digest part"),
                    )
                    break
                outcome = self._deliver_part(part, now, report)
                self._count(part, outcome)
                if outcome is Outcome.SENT:
                    report.sent += 1
                    progressed = True
                elif outcome is Outcome.HELD:
                    held.add(part.rep)
                elif outcome is Outcome.LOST:
                    pass  # another deliverer holds it now and will record it
                else:
                    report.pending += 1
            if not progressed:
                break
        if self.directory is None and not self._told_slack_waits:
            waiting = self.storage.outbox_gauges().slack_parts
            if waiting:
                self._told_slack_waits = True  # once a process: they wait for a Slack process
                log.warning(
                    "%s queued for Slack %s: this process has no Slack (SLACK_BOT_TOKEN); "
                    "a `clipper run` with Slack delivers them",
                    plural(waiting, "digest part"),
                    "waits" if waiting == 1 else "wait",
                )
        return report

    def _count(self, part: DigestPart, outcome: Outcome) -> None:
        """Count a part's outcome and log a sent digest (the last part) once, with its context."""
        counted = _PART_OUTCOMES.get(outcome)
        if counted is None:
            return
        last = part.part >= part.parts
        self.metrics.part_delivered(part.sink, counted, last)
        if counted is PartOutcome.SENT and last:
            log.info(
                "digest %s sent to %s (%d part%s)",
                part.digest_id,
                part.rep,
                part.parts,
                "" if part.parts == 1 else "s",
                extra={"rep": part.rep, "digest": part.digest_id, "sink": part.sink.value},
            )

    def _deliver_part(
        self, part: DigestPart, claimed_at: datetime, report: DigestReport
    ) -> Outcome:
        if part.sink is Sink.TERMINAL:
            if not self._renew(part):
                return Outcome.LOST
            self.writer.write(part.rep, part.digest_id, part.part, part.payload, self.clock())
            self.storage.finish_part(
                part.digest_id,
                part.part,
                self.owner,
                self.clock(),
                state=PartState.SENT,
                attempts=1,
            )
            return Outcome.SENT
        assert self.directory is not None
        policy = self.policy
        channel = part.channel
        failure: DeliveryError | None = None
        tries = 0
        for _attempt in range(policy.max_attempts):
            tries = _attempt + 1
            if channel:
                break
            try:
                channel = self.directory.channel(part.rep)
            except SlackAuthError:
                self.storage.release_part(part.digest_id, part.part, self.owner)
                raise
            except (SlackUserNotFoundError, SlackScopeError) as exc:
                # the rep's own problem: hold their parts, serve everyone else
                report.problems.append(f"{part.rep}: {exc}")
                log.warning(
                    "digest for %s held: %s",
                    part.rep,
                    exc,
                    extra={"rep": part.rep, "digest": part.digest_id},
                )
                self.storage.release_part(part.digest_id, part.part, self.owner)
                self.storage.hold_rep_parts(
                    part.rep, str(exc), self.clock() + policy.unknown_rep_hold
                )
                return Outcome.HELD
            except SlackRateLimitedError as exc:
                if exc.retry_after > policy.max_retry_wait_s:
                    break
                self.metrics.slack_retry(SlackRetry.RATE_LIMITED)
                if not self._wait(part, exc.retry_after):
                    return Outcome.LOST
            except DeliveryError as exc:  # 5xx, a dropped connection: try again shortly
                # each try at -vv; the failure once, below, when no try found the DM
                log.debug("finding %s's DM failed: %s", part.rep, exc, extra={"rep": part.rep})
                failure = exc
                if _attempt + 1 == policy.max_attempts:
                    break
                self.metrics.slack_retry(SlackRetry.ERROR)
                if not self._wait(part, policy.dm_failure_wait_s):
                    return Outcome.LOST
        if not channel:
            if failure is not None:
                log.warning(
                    "finding %s's DM failed (%s): %s",
                    part.rep,
                    plural(tries, "try", "tries"),
                    failure,
                    extra={"rep": part.rep, "digest": part.digest_id},
                )
            report.problems.append(f"{part.rep}: could not open the DM; will retry")
            retry_at = self.clock() + policy.dm_retry
            self._finish(
                part, PartState.PENDING, part.attempts, None, None, "DM not opened", retry_at
            )
            return Outcome.PENDING
        return self._post(part, channel, claimed_at, report)

    def _pace(self, channel: str) -> None:
        """Wait for the DM's pace (one post per ``pace_s``) and the workspace's
        (``workspace_rate`` posts per second across all DMs)."""
        now = self.monotonic()
        wait = self.policy.pace_wait_s(
            now - self._last_post.get(channel, -1e9), now - self._last_any_post
        )
        if wait > 0:
            self.sleep(wait)
        self._last_any_post = self.monotonic()

    def _post(
        self, part: DigestPart, channel: str, claimed_at: datetime, report: DigestReport
    ) -> Outcome:
        assert self.slack is not None
        policy = self.policy
        key = f"{part.digest_id}:{part.part}"
        attempts = part.attempts
        blocks: list[dict[str, Any]] = json.loads(part.payload)
        uncertain = part.first_claimed_at is not None and part.first_claimed_at < claimed_at
        error = ""
        for attempt in range(policy.max_attempts):
            if self.stopping.is_set():
                self._leave_pending(part, channel, attempts)
                return Outcome.PENDING
            if uncertain:
                found = self._reconcile(channel, key, part.first_claimed_at or claimed_at)
                if found is not None:
                    self._finish(part, PartState.SENT, attempts, channel, found, None)
                    return Outcome.SENT
            self._pace(channel)
            if self.stopping.is_set():  # the pace may have been cut short by the stop
                self._leave_pending(part, channel, attempts)
                return Outcome.PENDING
            if not self._renew(part):
                return Outcome.LOST  # checked right before the post: the lease outlasts it
            attempts += 1
            try:
                ts = self._post_once(part, channel, blocks, key)
            except SlackRateLimitedError as exc:
                self._last_post[channel] = self.monotonic()
                error = str(exc)
                if exc.retry_after > policy.max_retry_wait_s:
                    break
                self.metrics.slack_retry(SlackRetry.RATE_LIMITED)
                if not self._wait(part, exc.retry_after):
                    return Outcome.LOST
                continue
            except SlackUncertainError as exc:
                self._last_post[channel] = self.monotonic()
                error = str(exc)
                uncertain = True
                self.metrics.slack_retry(SlackRetry.UNCERTAIN)
                if not self._wait(part, policy.backoff_s(attempt)):
                    return Outcome.LOST
                continue
            except SlackAuthError:
                self._finish(part, PartState.SENDING, attempts, channel, None, "token refused")
                raise
            except SlackScopeError as exc:
                report.problems.append(f"{part.rep}: {exc}")
                self._finish(part, PartState.PENDING, attempts, channel, None, str(exc))
                self.storage.hold_rep_parts(
                    part.rep, str(exc), self.clock() + policy.unknown_rep_hold
                )
                return Outcome.HELD
            except SlackRejectedError as exc:
                self._last_post[channel] = self.monotonic()
                error = str(exc)
                plain = without_images(blocks)
                if plain is not None:
                    # Slack refuses the whole message when one feed image cannot be downloaded:
                    # the digest matters more than its pictures (a refusal posted nothing)
                    log.warning(
                        "%s: part %s refused (%s); sending it without images",
                        part.rep,
                        part.part,
                        error,
                    )
                    blocks = plain
                    self.metrics.slack_retry(SlackRetry.WITHOUT_IMAGES)
                    continue
                report.problems.append(f"{part.rep}: part {part.part} refused: {error}")
                self._finish(part, PartState.FAILED, attempts, channel, None, error)
                return Outcome.FAILED
            except DeliveryError as exc:
                self._last_post[channel] = self.monotonic()
                error = str(exc)
                self.metrics.slack_retry(SlackRetry.ERROR)
                if not self._wait(part, policy.backoff_s(attempt)):
                    return Outcome.LOST
                continue
            self._last_post[channel] = self.monotonic()
            self._finish(part, PartState.SENT, attempts, channel, ts, None)
            return Outcome.SENT
        retry_at = self.clock() + policy.retry_later(attempts)
        report.problems.append(f"{part.rep}: part {part.part} not sent yet: {error}")
        self._finish(part, PartState.PENDING, attempts, channel, None, error, retry_at)
        return Outcome.PENDING

    def _post_once(
        self, part: DigestPart, channel: str, blocks: list[dict[str, Any]], key: str
    ) -> str:
        """One ``chat.postMessage``, known to ``posting_now`` while it is in flight. Does not
        retry or record the outcome."""
        assert self.slack is not None
        with self._posting_lock:
            self._posting.add((part.digest_id, part.part))
        try:
            return self.slack.post(channel, part.text, blocks, key)
        finally:
            with self._posting_lock:
                self._posting.discard((part.digest_id, part.part))

    def _renew(self, part: DigestPart) -> bool:
        """Extend our lease on ``part``; False (logged) when another deliverer holds it now.

        Does not post, and does not record an outcome: the holder does.
        """
        kept = self.storage.renew_part(
            part.digest_id, part.part, self.owner, self.clock(), self.policy.part_lease_s
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
        step = self.policy.lease_step_s()
        left = seconds
        while left > 0:
            if self.stopping.is_set():  # released, not finished: the next start checks Slack
                self.storage.release_part(part.digest_id, part.part, self.owner)
                return False
            if not self._renew(part):
                return False
            chunk = min(step, left)
            self.sleep(chunk)
            left -= chunk
        return self._renew(part)

    def _leave_pending(self, part: DigestPart, channel: str | None, attempts: int) -> None:
        """Record a claimed part as pending and claimable at once, not posted in this run (the
        process is stopping). Does not post."""
        self._finish(part, PartState.PENDING, attempts, channel, None, None)

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
        state: PartState,
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


#: the outcomes ``/metrics`` counts (a part another deliverer took is theirs to count)
_PART_OUTCOMES = {
    Outcome.SENT: PartOutcome.SENT,
    Outcome.HELD: PartOutcome.HELD,
    Outcome.FAILED: PartOutcome.FAILED,
    Outcome.PENDING: PartOutcome.RETRY,
}


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
