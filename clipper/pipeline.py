"""One update run: claim due feeds, fetch and parse them in a thread pool, store from one thread.

    feeds  = storage.claim_feeds(now, due_only)            # leased, Retry-After honoured
    pool(feeds, 2 x concurrency ahead of the writer) | retrieve (conditional GET, politely)
        | parse bytes | normalise                          # the body is dropped once parsed
    for each result, in the calling thread (the only writer):
        known   = storage.known_articles(feed, identities)
        entries = logic.dedupe.decide_entries(...)            # new / updated / silent
        state   = logic.feedstate.decide_success | decide_failure
        storage.apply_feed_update(state, entries)             # one short transaction
    pages = storage.claim_pages(...)                          # feeds marked full_text
    pool.map(pages) | get_page | extract | storage.finish_page

Each feed is read by the retriever and parser registered for its source type
(``SourceAdapters`` per ``FeedForUpdate.source_type``; ``clipper.wiring.make_clipper`` builds the
registry); everything after parsing is the same for every type.

Does not decide anything itself: the pure functions in ``clipper.logic`` do. One bad feed never
stops the run: its failure becomes its result and its stored state.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from .exceptions import ClipperError, ExtractError, FeedError, FetchError, ParseError
from .logic.dedupe import EntryPolicy, decide_entries, identity_of
from .logic.feedstate import decide_failure, decide_success, failure_reason
from .logic.leases import lease_owner
from .logic.schedule import PollPolicy
from .logic.urls import redact_url
from .ports import ExtractorType, RetrieverType, SourceParserType, StorageType
from .types import (
    ArticleIdentity,
    FeedForUpdate,
    FetchStatus,
    PageToExtract,
    ParsedFeed,
    RetrievedFeed,
    Stage,
    UpdateResult,
    UpdateSummary,
)

log = logging.getLogger("clipper.pipeline")

Clock = Callable[[], datetime]
#: how long a claimed feed or page stays ours before another worker may take it
LEASE_S = 15 * 60.0
#: extraction attempts before an article moves on without its page text
MAX_EXTRACT_ATTEMPTS = 3
EXTRACT_RETRY = timedelta(minutes=30)


def worker_id() -> str:
    """Return a lease owner name unique to this process (``logic.leases.lease_owner``)."""
    return lease_owner(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])


def pid_runs(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (one owned by another user
    counts). Does not say which program it is."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True  # unknown: treated as running, so its claims only wait for their expiry
    return True


@dataclass(frozen=True, slots=True)
class SourceAdapters:
    """What reads one source type: its retriever gets bytes, its parser makes entries of them.

    Does not dedupe, schedule or store: the pipeline does that the same way for every type.
    """

    retriever: RetrieverType
    parser: SourceParserType


@dataclass(frozen=True)
class _Fetched:
    feed: FeedForUpdate
    retrieved: RetrievedFeed | None = None
    parsed: ParsedFeed | None = None
    error: FeedError | None = None
    #: identity of each parsed entry, computed in the pool thread to spare the writer
    identities: tuple[ArticleIdentity, ...] = ()


class Pipeline:
    """Runs update passes over the ports it is given. Does not choose adapters."""

    def __init__(
        self,
        *,
        storage: StorageType,
        retriever: RetrieverType,
        sources: Mapping[str, SourceAdapters],
        extractor: ExtractorType,
        poll_policy: PollPolicy,
        entry_policy: EntryPolicy,
        concurrency: int,
        clock: Clock,
        owner: str | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.storage = storage
        #: fetches article pages (feeds marked full_text), whatever their feed's type
        self.retriever = retriever
        #: the adapters per source type, keyed by ``SourceType`` value
        self.sources = dict(sources)
        self.extractor = extractor
        self.poll_policy = poll_policy
        self.entry_policy = entry_policy
        self.concurrency = concurrency
        self.clock = clock
        self.owner = owner or worker_id()
        #: once set, a pass starts no more fetches: those not started are released unfetched
        self.stopping = stopping or threading.Event()

    # ------------------------------------------------------------------ feeds

    def update_feeds(
        self,
        *,
        due_only: bool = True,
        limit: int = 100_000,
        on_start: Callable[[int], None] | None = None,
        on_result: Callable[[UpdateResult], None] | None = None,
        extract_pages: bool = True,
    ) -> UpdateSummary:
        """Fetch every due feed (all enabled ones unless ``due_only``) and store what is new.

        Once ``stopping`` is set, fetches already running finish and are stored; the feeds not
        started yet are released (due at the next start) and no pages are extracted.
        """
        if self.stopping.is_set():
            return UpdateSummary((), 0, 0)
        feeds = self.storage.claim_feeds(
            self.clock(), self.owner, LEASE_S, due_only=due_only, limit=limit
        )
        if on_start is not None:
            on_start(len(feeds))
        results: list[UpdateResult] = []
        pending_ids = {f.id for f in feeds}
        waiting = iter(feeds)
        # feeds fetched and parsed ahead of the writer: enough to keep every thread busy, few
        # enough that memory holds a window of parsed documents, not the whole pass's
        window = 2 * max(1, self.concurrency)
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="fetch") as pool:
                running: set[Future[_Fetched]] = set()
                cancelled = False
                while True:
                    if not cancelled:  # stopping: no more feeds are started
                        for feed in itertools.islice(waiting, window - len(running)):
                            running.add(pool.submit(self._fetch_and_parse, feed))
                    if not running:
                        break
                    if self.stopping.is_set() and not cancelled:
                        cancelled = True
                        running = {f for f in running if not f.cancel()}
                        log.info(
                            "stopping: %d feed fetch(es) still running, %d released unstarted",
                            len(running),
                            len(feeds) - len(results) - len(running),
                        )
                        continue
                    done, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                    for future in done:
                        fetched = future.result()
                        result = self._store(fetched)
                        pending_ids.discard(fetched.feed.id)
                        results.append(result)
                        if on_result is not None:
                            on_result(result)
        finally:
            for feed_id in pending_ids:
                self.storage.release_feed(feed_id, self.owner)
        extracted = failed = 0
        if extract_pages and not self.stopping.is_set():
            extracted, failed = self.extract_pages()
        return UpdateSummary(tuple(results), extracted, failed, released=len(pending_ids))

    def _fetch_and_parse(self, feed: FeedForUpdate) -> _Fetched:
        """Runs in a pool thread: network and parsing only, never storage."""
        source = self.sources.get(feed.source_type)
        if source is None:
            known = ", ".join(sorted(self.sources))
            message = f"no adapters are registered for source type {feed.source_type!r} ({known})"
            return _Fetched(feed, error=FetchError(feed.url, message))
        try:
            retrieved = source.retriever.retrieve(feed.url, feed.caching, feed.user_agent)
        except FeedError as exc:
            return _Fetched(feed, error=exc)
        if retrieved.content is None:
            return _Fetched(feed, retrieved)
        try:
            parsed = source.parser.parse(retrieved)
        except ParseError as exc:
            return _Fetched(feed, retrieved, error=exc)
        except Exception as exc:  # a bug triggered by one hostile feed must not stop the rest
            log.exception("unexpected error parsing %s", redact_url(feed.url))
            error = ParseError(feed.url, f"unexpected error while parsing: {exc!r}")
            return _Fetched(feed, retrieved, error=error)
        # the writer needs the response's headers, not its bytes: they are dropped here
        headers_only = dataclasses.replace(retrieved, content=b"")
        return _Fetched(
            feed, headers_only, parsed, None, tuple(identity_of(e) for e in parsed.entries)
        )

    def _store(self, fetched: _Fetched) -> UpdateResult:
        """Runs in the calling thread, the only one that writes."""
        feed = fetched.feed
        now = self.clock()
        if fetched.error is not None or fetched.retrieved is None:
            error = fetched.error or FetchError(feed.url, "no response")
            intent = decide_failure(feed, error, now, self.poll_policy)
            self.storage.apply_feed_update(intent, (), self.owner)
            # debug: the run loop tells each failure once, with its reason (cli.cycle)
            log.debug(
                "feed %s: %s (%s)",
                redact_url(feed.url),
                intent.status.value,
                error,
                extra={"feed": feed.name, "url": redact_url(feed.url)},
            )
            return UpdateResult(
                feed.config_url,
                feed.name,
                intent.status,
                error=str(error),
                reason=failure_reason(error),
            )
        if fetched.parsed is None:
            state = decide_success(feed, fetched.retrieved, None, now, self.poll_policy)
            self.storage.apply_feed_update(state, (), self.owner)
            return UpdateResult(feed.config_url, feed.name, FetchStatus.NOT_MODIFIED)
        entries = fetched.parsed.entries
        identities = fetched.identities
        known = self.storage.known_articles(feed.id, identities)
        decision = decide_entries(
            feed_id=feed.id,
            source=feed.name,
            entries=entries,
            known=known,
            now=now,
            baseline=not feed.baseline_done or fetched.retrieved.permanent_redirect is not None,
            full_text=feed.full_text,
            policy=self.entry_policy,
            identities=identities,
        )
        unseen = sum(1 for i in decision.intents if i.existing_id is None)
        state = decide_success(
            feed, fetched.retrieved, fetched.parsed, now, self.poll_policy, new_items=unseen
        )
        if state.gap:
            log.warning(
                "feed %s: every one of its %d items was new: some may have been missed; "
                "polling it more often",
                redact_url(feed.url),
                len(entries),
            )
        self.storage.apply_feed_update(state, decision.intents, self.owner)
        log.log(
            logging.INFO if decision.new or decision.updated else logging.DEBUG,
            "feed %s: ok, %d new, %d updated, %d silent",
            redact_url(feed.url),
            decision.new,
            decision.updated,
            decision.baseline + decision.capped,
            extra={"feed": feed.name, "url": redact_url(feed.url), "new": decision.new},
        )
        return UpdateResult(
            feed.config_url,
            feed.name,
            FetchStatus.OK,
            new=decision.new,
            updated=decision.updated,
            warning=fetched.parsed.warning,
            baseline=decision.baseline,
            broken=fetched.parsed.broken,
        )

    # ------------------------------------------------------------------ pages

    def extract_pages(self, limit: int = 500) -> tuple[int, int]:
        """Fetch and extract the main text of articles waiting for it; return (ok, failed)."""
        pages = self.storage.claim_pages(self.clock(), self.owner, LEASE_S, limit)
        ok = failed = 0
        if not pages:
            return 0, 0
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="page") as pool:
            for page, text, error in pool.map(self._extract_one, pages):
                if text is not None:
                    ok += 1
                    self.storage.finish_page(
                        page.article_id, self.owner, text=text, error=None, next_stage=Stage.NEW
                    )
                    continue
                failed += 1
                final = page.attempts >= MAX_EXTRACT_ATTEMPTS or page.url is None
                self.storage.finish_page(
                    page.article_id,
                    self.owner,
                    text=None,
                    error=error,
                    next_stage=Stage.NEW if final else Stage.EXTRACT,
                    retry_at=None if final else self.clock() + EXTRACT_RETRY,
                )
        return ok, failed

    def _extract_one(self, page: PageToExtract) -> tuple[PageToExtract, str | None, str | None]:
        if page.url is None:
            return page, None, "the article has no link"
        try:
            retrieved = self.retriever.get_page(page.url, page.user_agent)
            return page, self.extractor.extract(retrieved.content or b"", retrieved.url), None
        except (FetchError, ExtractError) as exc:
            return page, None, str(exc)
        except ClipperError:
            raise
        except Exception as exc:  # one hostile page must not stop the others
            log.exception("unexpected error extracting %s", redact_url(page.url))
            return page, None, f"unexpected error: {exc!r}"
