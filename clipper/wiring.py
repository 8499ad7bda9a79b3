"""``make_clipper``: the only place concrete adapters are chosen and injected (storage, fetching,
parsing, extraction, Slack, clock, monotonic clock, sleep).

Does not do anything itself: it builds a ``Clipper`` (``clipper.core``) and returns it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, assert_never

from .adapters.extract_text import MainTextExtractor
from .adapters.mentions_ac import MentionIndex
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
from .types import CachingInfo, FeedLink, ParsedFeed, RetrievedFeed, SourceType, StoreKind

if TYPE_CHECKING:
    from .config.settings import FetchSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


def _proxy_set(environ: Mapping[str, str]) -> bool:
    """True when the environment names a proxy (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
    any case), which the retriever reads and checks when it is built."""
    names = ("http_proxy", "https_proxy", "all_proxy")
    return any(value and name.lower() in names for name, value in environ.items())


class _LazyHttpRetriever:
    """``RetrieverType``: ``fetch_http.HttpRetriever`` built (httpx imported) on first use, so a
    command that never fetches (``explain``, ``match``, ``report``) does not pay for it.

    Does not change what is fetched or how: every call goes to the one ``HttpRetriever``.
    """

    def __init__(self, fetch: FetchSettings) -> None:
        self._fetch = fetch
        self._built: RetrieverType | None = None
        self._lock = threading.Lock()
        if _proxy_set(os.environ):
            # built now: a proxy it cannot use (SOCKS without socksio) is a ConfigError in
            # every command alike, as docs/cli.md says, not only in those that fetch
            self._retriever()

    def _retriever(self) -> RetrieverType:
        with self._lock:
            if self._built is None:
                from .adapters.fetch_http import FetchLimits, HttpRetriever

                fetch = self._fetch
                self._built = HttpRetriever(
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
            return self._built

    def retrieve(self, url: str, caching: CachingInfo, user_agent: str | None) -> RetrievedFeed:
        return self._retriever().retrieve(url, caching, user_agent)

    def get_page(self, url: str, user_agent: str | None) -> RetrievedFeed:
        return self._retriever().get_page(url, user_agent)

    def refusal(self, url: str) -> str | None:
        return self._retriever().refusal(url)

    def close(self) -> None:
        """Close the retriever if one was built; does not build one to close it."""
        with self._lock:
            built, self._built = self._built, None
        if built is not None:
            built.close()


class _LazyFeedParser:
    """``ParserType``: ``parse_feed.FeedParser`` built (the feed and HTML parsers imported) on
    first use. Does not parse differently: every call goes to the one ``FeedParser``."""

    def __init__(self) -> None:
        self._built: ParserType | None = None

    def _parser(self) -> ParserType:
        if self._built is None:  # a second one built by a racing thread is the same parser
            from .adapters.parse_feed import FeedParser

            self._built = FeedParser()
        return self._built

    def parse(self, retrieved: RetrievedFeed) -> ParsedFeed:
        return self._parser().parse(retrieved)

    def find_feed_links(self, page: bytes, base_url: str) -> list[FeedLink]:
        return self._parser().find_feed_links(page, base_url)


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
        _retriever = _LazyHttpRetriever(fetch)
    parser = _parser or _LazyFeedParser()
    # the source-type registry: a new kind of source (SEC filings, a JSON news API) is one
    # adapter and one line here (and its name in types.SourceType, for catalogs to use)
    sources: dict[str, SourceAdapters] = {SourceType.FEED: SourceAdapters(_retriever, parser)}
    sources.update(_sources or {})
    metrics = _metrics(_storage, _clock or utc_now) if observe else None
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
        slack=_slack or _slack_web(config, metrics),
        sleep=_sleep or time.sleep,
        monotonic=_monotonic or time.monotonic,
        delivery=_delivery,
        webhook_sender=_webhook_sender or _webhook_poster(config),
        link_secret=_link_secret,  # None: CLIPPER_WEB_SECRET, else web.secret_file
        metrics=metrics,
    )


def _metrics(storage: StorageType, clock: Clock) -> MetricsType:
    """Return the Prometheus metrics, with the outbox and feed gauges read from ``storage``."""
    from .adapters.metrics_prom import PrometheusMetrics  # ~70 ms: only where it is served

    metrics = PrometheusMetrics()
    metrics.watch(storage.outbox_gauges, clock)
    return metrics


def _slack_web(config: Config, metrics: MetricsType | None = None) -> SlackApiType | None:
    """Return the Slack Web API adapter (slack-sdk imported here) when a bot token is set;
    every 429 it meets is counted in ``metrics``."""
    if not config.slack_bot_token:
        return None
    from .adapters.slack_web import SlackWebApi

    return SlackWebApi(
        config.slack_bot_token,
        config.slack_api_base_url,
        on_rate_limited=metrics.slack_rate_limited if metrics is not None else None,
    )


def _webhook_poster(config: Config) -> WebhookSenderType | None:
    """Return the touch webhook's poster (httpx imported here) when a webhook is configured."""
    if config.settings.touches.webhook is None:
        return None
    from .adapters.fetch_http import WebhookPoster

    return WebhookPoster(config.settings.fetch.allow_private_networks)


__all__ = ["make_clipper", "utc_now"]
