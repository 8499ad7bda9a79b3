"""Looking after a running Clipper: the admin's daily feed-health report, retention, backups.

    run_daily_care()                       clipper run's "daily care" tick, every minute
      send_feed_health()                   once a day at alerts.feed_health.time (its zone)
        storage.daily_job_done(job, slot)  done for today's slot: nothing more
        feed_health() → logic.feedhealth.assess_feeds(storage rows, catalog lines, now)
        all well (and not send_when_healthy): recorded, nothing sent
        Slack: storage.record_daily_job(job, slot, messages)   one transaction with the
               outbox parts (a digest of kind feed_health per recipient), then the outbox
               delivers them as it does digests (retried, reconciled, sent once)
        else:  recorded, then <output_dir>/feed-health-<date>.md and one log line
      prune_daily()                        once a UTC day: prune() by the retention policy

``Clipper`` inherits it. Does not decide which feeds are unhealthy (``logic.feedhealth``) or
what is old (``logic.retention``); does not render for a terminal (the CLI does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .adapters.digest_out import write_feed_health
from .config import Config
from .logic.feedhealth import (
    FeedHealthPolicy,
    FeedHealthReport,
    assess_feeds,
    last_slot,
    report_markdown,
    slack_payload,
    slack_recipient_channel,
)
from .logic.retention import RetentionPolicy
from .outbox import DigestReport, Outbox
from .pipeline import Clock
from .ports import SlackApiType, StorageType
from .types import AdminMessage, BackupResult, PruneCounts, VacuumResult

log = logging.getLogger("clipper.care")

#: the daily jobs' names in ``daily_jobs``
FEED_HEALTH_JOB = "feed-health"
RETENTION_JOB = "retention"
#: retention runs on the first tick of each UTC day
RETENTION_AT = time(0, 0)


@dataclass(frozen=True, slots=True)
class FeedHealthRun:
    """What one ``send_feed_health`` call did."""

    #: the report, when it was due now (None: not due, or turned off)
    report: FeedHealthReport | None = None
    #: Slack recipients it was queued for
    queued: tuple[str, ...] = ()
    #: the Markdown file written (terminal mode)
    file: Path | None = None
    #: parts the outbox delivered at once, and one line per problem it met
    sent: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CareRun:
    """What one ``run_daily_care`` tick did (``None``: that job was not due)."""

    feed_health: FeedHealthRun | None = None
    pruned: PruneCounts | None = None


class Care:
    """Feed health, retention, backup and vacuum: part of the ``Clipper`` facade (a mixin).

    Does not render answers."""

    config: Config
    storage: StorageType
    clock: Clock
    slack: SlackApiType | None
    outbox: Outbox

    # ------------------------------------------------------------------ feed health

    def feed_health_policy(self) -> FeedHealthPolicy:
        settings = self.config.settings
        alerts = settings.alerts.feed_health
        return FeedHealthPolicy(
            stale_after=timedelta(days=alerts.stale_days),
            broken_after_errors=alerts.broken_after_errors,
            min_interval_s=settings.fetch.min_interval,
            default_interval_s=settings.fetch.default_interval,
            max_interval_s=settings.fetch.max_interval,
        )

    def feed_health(self) -> FeedHealthReport:
        """Assess every configured feed now (``logic.feedhealth``). Does not send anything and
        does not sync the catalog into storage (``sync_feeds`` does)."""
        origins = {s.url: s.origin for s in self.config.feed_sources()}
        return assess_feeds(
            self.storage.feed_health_rows(), origins, self.clock(), self.feed_health_policy()
        )

    def feed_health_recipients(self) -> tuple[str, ...]:
        """Who gets the report in Slack: ``alerts.admin``, else every rep with ``role: admin``
        (by email); none without Slack."""
        if self.slack is None:
            return ()
        admin = self.config.settings.alerts.admin
        if admin is not None:
            return (admin,)
        return tuple(r.email for r in self.config.reps if r.role == "admin")

    def send_feed_health(self) -> FeedHealthRun:
        """Send the day's feed-health report if it is due and not sent yet (a restart or a
        second process sends nothing more): to Slack through the outbox, else to a Markdown
        file and the log. Nothing when every feed is healthy unless
        ``alerts.feed_health.send_when_healthy``.

        Raises:
            StorageError: the database failed (nothing recorded) or the file cannot be written
                (the day is recorded: it is not written twice).
        """
        settings = self.config.settings.alerts.feed_health
        if not settings.enabled:
            return FeedHealthRun()
        now = self.clock()
        slot = last_slot(now, settings.time, settings.timezone)
        if self.storage.daily_job_done(FEED_HEALTH_JOB, slot):
            return FeedHealthRun()
        report = self.feed_health()
        quiet = report.healthy and not settings.send_when_healthy
        recipients = () if quiet else self.feed_health_recipients()
        if recipients:
            part = slack_payload(report)
            messages = [AdminMessage(r, slack_recipient_channel(r), (part,)) for r in recipients]
            if not self.storage.record_daily_job(FEED_HEALTH_JOB, slot, now, messages):
                return FeedHealthRun()
            log.info("feed health: %s; queued for %s", report.summary(), ", ".join(recipients))
            delivered = DigestReport()
            for recipient in recipients:
                self.outbox.deliver(rep=recipient, report=delivered)
            return FeedHealthRun(
                report, recipients, None, delivered.sent, tuple(delivered.problems)
            )
        if not self.storage.record_daily_job(FEED_HEALTH_JOB, slot, now):
            return FeedHealthRun()
        if quiet:
            return FeedHealthRun(report)
        folder = self.config.resolve(settings.output_dir)
        # named by the day it reports on (when the feeds were checked), in the report's zone:
        # a first start before the day's time sends the report due yesterday, but it says how
        # the feeds are today
        local_day = now.astimezone(ZoneInfo(settings.timezone))
        file = write_feed_health(folder, report_markdown(report), local_day)
        log.warning("feed health: %s; the report is in %s", report.summary(), file)
        return FeedHealthRun(report, (), file)

    # ------------------------------------------------------------------ retention

    def retention_policy(self) -> RetentionPolicy:
        retention = self.config.settings.retention
        return RetentionPolicy(retention.articles_days, retention.outbox_days)

    def prune(self, *, dry_run: bool = False) -> PruneCounts:
        """Delete what the retention policy says is old (``StorageType.prune``: touches and
        the articles they, feedback or undelivered messages refer to are kept). Does not
        shrink the file (``vacuum`` does)."""
        articles, outbox = self.retention_policy().cutoffs(self.clock())
        return self.storage.prune(articles, outbox, dry_run=dry_run)

    def prune_daily(self) -> PruneCounts | None:
        """``prune`` once a UTC day (recorded, so a restart does not repeat it); None when it
        ran today already."""
        now = self.clock()
        slot = last_slot(now, RETENTION_AT, "UTC")
        if self.storage.daily_job_done(RETENTION_JOB, slot):
            return None
        if not self.storage.record_daily_job(RETENTION_JOB, slot, now):
            return None
        counts = self.prune()
        log.info(
            "retention: pruned %d articles, %d matches, %d embeddings, %d delivered messages, "
            "%d webhook rows (%d old articles kept)",
            counts.articles,
            counts.matches,
            counts.embeddings,
            counts.digest_parts,
            counts.webhook_rows,
            counts.kept_articles,
        )
        return counts

    def run_daily_care(self) -> CareRun:
        """The daily jobs that are due: the feed-health report, then retention."""
        return CareRun(self.send_feed_health(), self.prune_daily())

    # ------------------------------------------------------------------ the file

    def backup(self, path: Path, *, force: bool = False) -> BackupResult:
        """Copy the database to ``path`` online (safe while ``clipper run`` writes), checked.
        Does not overwrite an existing file unless ``force``."""
        return self.storage.backup(path, force=force)

    def vacuum(self) -> VacuumResult:
        """Rebuild the database file without free space; raises ``StorageBusyError`` when
        another process keeps it busy."""
        return self.storage.vacuum()


__all__ = ["Care", "CareRun", "FeedHealthRun"]
