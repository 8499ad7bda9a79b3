"""``make_clipper``: the only place concrete adapters are chosen and injected (storage, fetching,
parsing, extraction, Slack, clock, monotonic clock, sleep).

Does not do anything itself: it builds a ``Clipper`` (``clipper.core``) and returns it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import assert_never

from .adapters.extract_text import MainTextExtractor
from .adapters.fetch_http import FetchLimits, HttpRetriever, WebhookPoster
from .adapters.mentions_ac import MentionIndex
from .adapters.parse_feed import FeedParser
from .adapters.slack_web import SlackWebApi
from .adapters.storage import Storage
from .config import Config
from .core import Clipper
from .logic.delivery import DeliveryPolicy
from .pipeline import Clock, SourceAdapters
from .ports import (
    DigestWriterType,
    EmbedderType,
    EntityRecognizerType,
    ExtractorType,
    LinkSecretType,
    MetricsType,
    ParserType,
    RetrieverType,
    SlackApiType,
    StorageType,
    WebhookSenderType,
)
from .types import SourceType, StoreKind


def utc_now() -> datetime:
    return datetime.now(UTC)


def make_clipper(
    config: Config,
    *,
    _storage: StorageType | None = None,
    _retriever: RetrieverType | None = None,
    _parser: ParserType | None = None,
    _sources: Mapping[str, SourceAdapters] | None = None,
    _extractor: ExtractorType | None = None,
    _clock: Clock | None = None,
    _embedder: EmbedderType | None = None,
    _recognizer: EntityRecognizerType | None = None,
    _writer: DigestWriterType | None = None,
    _slack: SlackApiType | None = None,
    _sleep: Callable[[float], None] | None = None,
    _monotonic: Callable[[], float] | None = None,
    _delivery: DeliveryPolicy | None = None,
    _webhook_sender: WebhookSenderType | None = None,
    _link_secret: LinkSecretType | None = None,
    observe: bool = False,
) -> Clipper:
    """Build a Clipper from validated config; the underscored arguments replace adapters.

    ``_sources`` adds source types (or replaces one) in the registry below. ``observe`` counts
    what the process does for ``/metrics`` (prometheus-client, imported only then: ``run`` and
    ``serve``); otherwise nothing is counted.

    Raises:
        ConfigError: the database URL names an unsupported store.
        StorageError: the database cannot be opened or migrated.
    """
    if _storage is None:
        database = config.database
        match database.kind:
            case StoreKind.SQLITE:
                storage = Storage(database.path)
            case unknown:  # a new StoreKind needs its adapter here
                assert_never(unknown)
        storage.migrate()
        _storage = storage
    fetch = config.settings.fetch
    if _retriever is None:
        _retriever = HttpRetriever(
            FetchLimits(
                user_agent=fetch.user_agent,
                connect_timeout=fetch.connect_timeout,
                read_timeout=fetch.read_timeout,
                total_timeout=fetch.total_timeout,
                concurrency=fetch.concurrency,
                per_host_concurrency=fetch.per_host_concurrency,
                max_body_size=fetch.max_body_size,
                max_redirects=fetch.max_redirects,
                allow_private_networks=fetch.allow_private_networks,
            )
        )
    parser = _parser or FeedParser()
    # the source-type registry: a new kind of source (SEC filings, a JSON news API) is one
    # adapter and one line here (and its name in types.SourceType, for catalogs to use)
    sources: dict[str, SourceAdapters] = {SourceType.FEED: SourceAdapters(_retriever, parser)}
    sources.update(_sources or {})
    return Clipper(
        config,
        storage=_storage,
        retriever=_retriever,
        parser=parser,
        sources=sources,
        extractor=_extractor or MainTextExtractor(fetch.max_body_size),
        clock=_clock or utc_now,
        embedder=_embedder,
        make_finder=MentionIndex,
        recognizer=_recognizer,
        writer=_writer,
        slack=_slack
        or (
            SlackWebApi(config.slack_bot_token, config.slack_api_base_url)
            if config.slack_bot_token
            else None
        ),
        sleep=_sleep or time.sleep,
        monotonic=_monotonic or time.monotonic,
        delivery=_delivery,
        webhook_sender=_webhook_sender
        or (
            WebhookPoster(fetch.allow_private_networks)
            if config.settings.touches.webhook is not None
            else None
        ),
        link_secret=_link_secret,  # None: CLIPPER_WEB_SECRET, else web.secret_file
        metrics=_metrics(_storage, _clock or utc_now) if observe else None,
    )


def _metrics(storage: StorageType, clock: Clock) -> MetricsType:
    """Return the Prometheus metrics, with the outbox and feed gauges read from ``storage``."""
    from .adapters.metrics_prom import PrometheusMetrics  # ~70 ms: only where it is served

    metrics = PrometheusMetrics()
    metrics.watch(storage.outbox_gauges, clock)
    return metrics


__all__ = ["make_clipper", "utc_now"]
