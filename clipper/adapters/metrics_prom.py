"""``MetricsType`` on prometheus-client: every ``clipper_`` series, in its own registry.

The outbox and feed gauges are read from storage when ``/metrics`` is scraped (one cheap query
each), never kept up to date by the code that changes them. Labels are enum values and fixed
names only. Contains no business logic; does not serve HTTP (``server`` does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from ..exceptions import ClipperError
from ..types import (
    DigestKind,
    FeedFailure,
    FetchStatus,
    MatchKind,
    OutboxGauges,
    PartOutcome,
    Sink,
    SlackRetry,
)

log = logging.getLogger(__name__)

#: seconds: a fetch-and-match tick is seconds to minutes; a digest tick well under one
TICK_BUCKETS = (0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
ACK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5)
EMBED_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class _ScrapeGauges(Collector):
    """Reads the outbox and feed numbers from storage at each scrape."""

    def __init__(self, read: Callable[[], OutboxGauges], clock: Callable[[], datetime]) -> None:
        self._read = read
        self._clock = clock

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # read at scrape time only, never at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            found = self._read()
        except ClipperError as exc:  # the database is down: /readyz says so; no gauges
            log.debug("no outbox gauges this scrape: %s", exc)
            return
        yield GaugeMetricFamily(
            "clipper_outbox_pending_parts",
            "Digest parts waiting to be delivered (pending or being sent)",
            value=found.pending_parts,
        )
        age = 0.0
        if found.oldest_pending_at is not None:
            age = max(0.0, (self._clock() - found.oldest_pending_at).total_seconds())
        yield GaugeMetricFamily(
            "clipper_outbox_oldest_pending_age_seconds",
            "Age of the oldest digest part still waiting (0 when none waits)",
            value=age,
        )
        yield GaugeMetricFamily(
            "clipper_feeds_disabled",
            "Feeds disabled (410 Gone, or too many failures in a row)",
            value=found.feeds_disabled,
        )


class PrometheusMetrics:
    """Every series ``docs/operations.md`` lists; ``watch`` adds the scrape-time gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.feeds = Counter(
            "clipper_feed_fetches",
            "Feed updates by result (ok, not_modified, rate_limited, error, disabled) and "
            "failure reason (none when it did not fail)",
            ["result", "reason"],
            registry=r,
        )
        self.articles = Counter(
            "clipper_articles_new", "New articles stored by fetch passes", registry=r
        )
        self.embedded_texts = Counter(
            "clipper_embedding_texts", "Texts the model embedded (cache misses)", registry=r
        )
        self.embedding_seconds = Histogram(
            "clipper_embedding_seconds",
            "Time the model took per batch of texts to embed",
            buckets=EMBED_BUCKETS,
            registry=r,
        )
        self.matches = Counter(
            "clipper_matches", "Matches stored, by kind (account, industry)", ["kind"], registry=r
        )
        self.digests_queued = Counter(
            "clipper_digests_queued",
            "Digests composed into the outbox, by kind (digest, alert, team)",
            ["kind"],
            registry=r,
        )
        self.digests_sent = Counter(
            "clipper_digests_sent",
            "Digests whose last part was delivered, by sink (slack, terminal)",
            ["sink"],
            registry=r,
        )
        self.parts = Counter(
            "clipper_digest_parts",
            "Digest part deliveries by sink and outcome (sent, held, failed, retry)",
            ["sink", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "clipper_slack_rate_limited", "Slack answers 429 (rate limited)", registry=r
        )
        self.retries = Counter(
            "clipper_slack_retries",
            "Slack calls tried again, by reason (rate_limited, uncertain, without_images, error)",
            ["reason"],
            registry=r,
        )
        self.clip = Counter(
            "clipper_clip_requests", "/clip commands received, by verb", ["verb"], registry=r
        )
        self.ack = Histogram(
            "clipper_slack_response_seconds",
            "Time to answer a Slack request (the acknowledgement)",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "clipper_http_requests",
            "HTTP requests by path and status",
            ["path", "status"],
            registry=r,
        )
        self.ticks = Histogram(
            "clipper_scheduler_tick_seconds",
            "Duration of each scheduler tick, by job",
            ["job"],
            buckets=TICK_BUCKETS,
            registry=r,
        )
        self.tick_failures = Counter(
            "clipper_scheduler_tick_failures",
            "Scheduler ticks that raised (logged; retried at the next tick), by job",
            ["job"],
            registry=r,
        )

    def watch(self, read: Callable[[], OutboxGauges], clock: Callable[[], datetime]) -> None:
        """Read the outbox and feed gauges through ``read`` at every scrape."""
        self.registry.register(_ScrapeGauges(read, clock))

    def feed_fetched(self, status: FetchStatus, reason: FeedFailure | None) -> None:
        self.feeds.labels(status.value, reason.value if reason is not None else "none").inc()

    def articles_stored(self, new: int) -> None:
        if new:
            self.articles.inc(new)

    def embedded(self, texts: int, seconds: float) -> None:
        self.embedded_texts.inc(texts)
        self.embedding_seconds.observe(seconds)

    def matched(self, kind: MatchKind, count: int) -> None:
        self.matches.labels(kind.value).inc(count)

    def digest_queued(self, kind: DigestKind) -> None:
        self.digests_queued.labels(kind.value).inc()

    def part_delivered(self, sink: Sink, outcome: PartOutcome, last: bool) -> None:
        self.parts.labels(sink.value, outcome.value).inc()
        if last and outcome is PartOutcome.SENT:
            self.digests_sent.labels(sink.value).inc()

    def slack_rate_limited(self) -> None:
        self.rate_limited.inc()

    def slack_retry(self, why: SlackRetry) -> None:
        self.retries.labels(why.value).inc()

    def clip_request(self, verb: str) -> None:
        self.clip.labels(verb).inc()

    def acknowledged(self, seconds: float) -> None:
        self.ack.observe(seconds)

    def http_request(self, path: str, status: str) -> None:
        self.requests.labels(path, status).inc()

    def tick(self, job: str, seconds: float, failed: bool) -> None:
        self.ticks.labels(job).observe(seconds)
        if failed:
            self.tick_failures.labels(job).inc()

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
