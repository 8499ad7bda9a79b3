"""The ports: every side effect Clipper has goes through one of these Protocols.

Each has one real adapter in ``clipper.adapters``; ``make_clipper`` accepts replacements for
tests. All datetimes crossing a port are timezone-aware UTC. Does not implement anything.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .logic.coverage_report import Chart, ChartData
from .logic.dedupe import KnownArticles
from .logic.digest import DigestCandidate, MatchingProgress, TouchStatus
from .types import (
    ActivityCounts,
    AdminMessage,
    Article,
    ArticleBrief,
    ArticleIdentity,
    ArticleIntent,
    ArticleToMatch,
    BackupResult,
    CachingInfo,
    ComposedDigest,
    DigestKind,
    DigestPart,
    DigestPartStatus,
    Entity,
    FeedbackCounts,
    FeedbackText,
    FeedFailure,
    FeedForUpdate,
    FeedHealthRow,
    FeedLink,
    FeedSource,
    FeedStatusRow,
    FeedUpdateIntent,
    FetchStatus,
    IndustryArticle,
    MatchKind,
    MatchResult,
    Mention,
    Mute,
    NewTouch,
    OutboxGauges,
    PageToExtract,
    ParsedFeed,
    PartOutcome,
    PartState,
    PruneCounts,
    QueuedTouch,
    ReleasedClaims,
    RepSetting,
    RepSettings,
    RetrievedFeed,
    Share,
    Sink,
    SlackRetry,
    Stage,
    StoredMatch,
    StoredWatchTerm,
    SyncResult,
    Touch,
    TouchChannel,
    UsefulMark,
    VacuumResult,
    WebhookBacklog,
)

if TYPE_CHECKING:  # annotations only: a command that never embeds does not load numpy
    import numpy as np
    from numpy.typing import NDArray


class StorageType(Protocol):
    """Rows in, typed records out. Any method can raise ``StorageError``.

    Claims take a lease (``owner``, ``lease_s``) so several workers can share a database later;
    writes that finish claimed work are fenced by that owner, so a stale worker's write is a no-op.
    Grouped as the SQLite store's mixins are (``adapters/storage/sqlite/``); a second store
    implements the same methods. Records come back decoded (JSON columns as tuples, times as
    aware datetimes); callers never see the store's column encoding.
    """

    # -- lifecycle

    def migrate(self, *, upto: str | None = None) -> list[str]:
        """Apply pending named migrations (up to and including ``upto``); return their names."""
        ...

    def close(self) -> None:
        """Close every connection this storage opened."""
        ...

    def batch(self, what: str) -> AbstractContextManager[None]:
        """Run this thread's writes inside as one transaction: every one of them is stored,
        or none when the block raises (each write alone is undone when it raises). Holds the
        write lock throughout; ``what`` names it in errors."""
        ...

    # -- feeds

    def sync_feeds(self, sources: Sequence[FeedSource], now: datetime) -> SyncResult:
        """Make the stored feeds match the configured ones (new, changed, removed)."""
        ...

    def claim_feeds(
        self, now: datetime, owner: str, lease_s: float, *, due_only: bool, limit: int
    ) -> list[FeedForUpdate]:
        """Lease active, enabled feeds that are due (or all of them unless ``due_only``).

        A feed inside its Retry-After window is never claimed, due or not.
        """
        ...

    def apply_feed_update(
        self, intent: FeedUpdateIntent, articles: Sequence[ArticleIntent], owner: str
    ) -> int:
        """Store a feed's new state and its articles in one transaction; return rows inserted."""
        ...

    def release_feed(self, feed_id: int, owner: str) -> None:
        """Give back a lease without changing the feed."""
        ...

    def enable_feed(self, url: str, now: datetime) -> bool:
        """Clear a feed's disabled reason and errors so it is polled at ``now``; False when no
        feed has this configured or current URL."""
        ...

    def feed_statuses(self) -> list[FeedStatusRow]:
        """Return every stored feed with its health, configured ones first."""
        ...

    # -- leases (every domain's claims)

    def lease_owners(self) -> list[str]:
        """Return every owner holding a claim on a feed, an article or a digest part (expired
        or not). Does not say whether they still run."""
        ...

    def release_claims(
        self, owner: str, keep_parts: Collection[tuple[int, int]] = ()
    ) -> ReleasedClaims:
        """Give back every claim ``owner`` holds: feeds and articles as they were (due again at
        once), digest parts being sent back to pending, except ``keep_parts`` ((digest id,
        part): posts in flight, reconciled by their metadata at the next claim). Does not
        check that the owner has stopped; its later fenced writes become no-ops."""
        ...

    # -- health (``/readyz``, ``/metrics``)

    def check_writable(self, now: datetime) -> None:
        """Take the write lock and write one row, then roll back (waits about a second for
        another writer); raises ``StorageError`` when the database cannot be written. Does not
        keep anything."""
        ...

    def outbox_gauges(self) -> OutboxGauges:
        """Return the outbox's waiting parts, its oldest one's time and the disabled feeds."""
        ...

    # -- articles

    def known_articles(self, feed_id: int, identities: Sequence[ArticleIdentity]) -> KnownArticles:
        """Return stored articles sharing a guid (same feed), URL (any feed) or content hash."""
        ...

    def claim_pages(
        self, now: datetime, owner: str, lease_s: float, limit: int
    ) -> list[PageToExtract]:
        """Lease articles waiting for full-text extraction."""
        ...

    def finish_page(
        self,
        article_id: int,
        owner: str,
        *,
        text: str | None,
        error: str | None,
        next_stage: Stage,
        retry_at: datetime | None = None,
    ) -> None:
        """Record an extraction result and move the article to ``next_stage``.

        With ``retry_at``, the article is not claimed again before that time.
        """
        ...

    def count_articles(self, stage: Stage | None = None) -> int:
        """Return how many articles are stored (in ``stage``, when given)."""
        ...

    def articles(self, *, limit: int = 50, stage: Stage | None = None) -> list[Article]:
        """Return the newest stored articles (in ``stage``, when given), newest first."""
        ...

    def article(self, article_id: int) -> ArticleBrief | None:
        """Return one article's headline facts, or None when no article has this id."""
        ...

    def recent_articles(self, since: datetime, limit: int = 5000) -> list[ArticleBrief]:
        """Return articles published since ``since``, newest first; silently stored
        (baseline) ones are left out."""
        ...

    def sources(self) -> list[str]:
        """Return the distinct article sources (feed and outlet names)."""
        ...

    def industry_articles(
        self, industry: str, since: datetime, until: datetime, limit: int = 500
    ) -> list[IndustryArticle]:
        """Return the articles of ``industry`` (case-insensitive) published in
        ``[since, until)``, best score first; silently stored (baseline) ones are left out."""
        ...

    # -- matching

    def get_embeddings(self, model_key: str, text_keys: Sequence[str]) -> dict[str, bytes]:
        """Return cached vectors (float32 bytes) for the keys that have one under ``model_key``."""
        ...

    def put_embeddings(
        self, model_key: str, dim: int, vectors: Sequence[tuple[str, bytes]], now: datetime
    ) -> None:
        """Cache vectors; a key already cached is left as it is."""
        ...

    def claim_for_matching(
        self, now: datetime, owner: str, lease_s: float, limit: int
    ) -> list[ArticleToMatch]:
        """Lease articles waiting for matching (stage ``new``), oldest first."""
        ...

    def finish_matching(
        self,
        results: Sequence[tuple[int, MatchResult]],
        owner: str,
        now: datetime,
        stories: Mapping[int, int] | None = None,
    ) -> int:
        """Store matches, industries and story ids (default: the article's own id) and move
        the articles on; return matches stored."""
        ...

    def recent_stories(self, since: datetime, limit: int) -> list[tuple[ArticleToMatch, int]]:
        """Return matched articles published since ``since`` with their story id, newest first."""
        ...

    def recent_matches(self, *, limit: int = 20) -> list[StoredMatch]:
        """Return the newest matches with their articles, newest article first."""
        ...

    def account_matches(
        self, account: str, *, since: datetime | None = None, limit: int = 10
    ) -> list[StoredMatch]:
        """Return an account's newest matches (published since ``since``, when given)."""
        ...

    def add_feedback(
        self, account: str, article_id: int, kind: str, rep: str | None, now: datetime
    ) -> bool:
        """Record "not relevant" / "not this company" on a match; False if no such article."""
        ...

    def feedback_texts(self) -> list[FeedbackText]:
        """Return every feedback given, oldest first, with its article's text."""
        ...

    def feedback_counts(self, rep: str, since: datetime, until: datetime) -> FeedbackCounts:
        """Count the feedback ``rep`` gave from ``since`` (inclusive) to ``until``
        (exclusive), by kind."""
        ...

    # -- digests and their outbox

    def next_digest_at(self, rep: str) -> datetime | None:
        """Return when the rep's next scheduled digest is due; None before their first."""
        ...

    def reschedule(self, rep: str, next_digest_at: datetime) -> None:
        """Move the rep's next scheduled digest; does nothing before their first."""
        ...

    def matching_progress(self, fetched_by: datetime, now: datetime) -> MatchingProgress:
        """Count articles fetched by ``fetched_by`` still waiting for page text or matching,
        and feeds being fetched at ``now``."""
        ...

    def digest_candidates(
        self,
        rep: str,
        accounts: Sequence[str],
        since: datetime,
        now: datetime,
        *,
        industries: Sequence[str] = (),
    ) -> list[DigestCandidate]:
        """Return the rep's undelivered, unmuted matches on ``accounts``, then the industry-only
        candidates of ``industries`` (articles whose story matched no account, not yet in one
        of the rep's industry sections; ``DigestCandidate.industry`` set); writes nothing."""
        ...

    def older_matches(
        self, rep: str, accounts: Sequence[str], before: datetime, now: datetime
    ) -> int:
        """Count the rep's undelivered, unmuted matches on ``accounts`` published before
        ``before``: those the digest window leaves out. Writes nothing."""
        ...

    def left_out_candidates(self, rep: str, account: str) -> list[DigestCandidate]:
        """Return the rep's matches on ``account`` that a digest covered but left out by its
        caps and nothing has shown since (less those given feedback); writes nothing."""
        ...

    def industry_left_out_candidates(self, rep: str) -> list[DigestCandidate]:
        """Return the industry-only articles the rep's "Your industries" sections covered but
        did not show (over ``max_industry_items``), ``industry`` set; reads only, ignores mutes
        and the lookback window."""
        ...

    def mark_industry_shown(self, rep: str, article_ids: Sequence[int], now: datetime) -> int:
        """Record these left-out industry articles as shown to the rep now; return how many
        were not shown before."""
        ...

    def mark_shown(self, rep: str, items: Sequence[tuple[int, str]], now: datetime) -> int:
        """Record left-out (article id, account) matches as shown to the rep at ``now``;
        return how many were not shown before."""
        ...

    def shown_counts(
        self, since: datetime, until: datetime, rep: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Return the matches shown per (rep, account) in ``[since, until)``, however shown;
        covered-but-not-shown matches are not counted."""
        ...

    def create_digest(
        self,
        rep: str,
        kind: DigestKind,
        due_at: datetime,
        now: datetime,
        accounts: Sequence[str],
        since: datetime,
        compose: Callable[[list[DigestCandidate]], ComposedDigest],
        *,
        expected_next: datetime | None = None,
        scheduled: bool = False,
        industries: Sequence[str] = (),
    ) -> int | None:
        """Compose and queue a digest atomically; None when another process made it first or
        there was nothing to send (the schedule still advances). ``compose`` gets the
        candidates ``digest_candidates`` would return for ``industries``; what it covers is
        recorded per rep and article (``ComposedDigest.covered``, ``industry_covered``)."""
        ...

    def claim_parts(
        self,
        now: datetime,
        owner: str,
        lease_s: float,
        limit: int,
        rep: str | None = None,
        *,
        terminal_only: bool = False,
    ) -> list[DigestPart]:
        """Lease the next unsent part of each digest (earlier parts all sent), in digest
        order, at most ``limit`` (0: all); with ``terminal_only`` (a process without Slack),
        never a part queued for Slack."""
        ...

    def release_part(self, digest_id: int, part: int, owner: str) -> None:
        """Give back a part's lease without recording an outcome."""
        ...

    def renew_part(
        self, digest_id: int, part: int, owner: str, now: datetime, lease_s: float
    ) -> bool:
        """Extend our lease on a part being sent; False when it is no longer ours to post."""
        ...

    def finish_part(
        self,
        digest_id: int,
        part: int,
        owner: str,
        now: datetime,
        *,
        state: PartState,
        attempts: int,
        channel: str | None = None,
        slack_ts: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record a delivery outcome, fenced by the lease; False when the lease was lost."""
        ...

    def hold_rep_parts(self, rep: str, error: str, until: datetime) -> None:
        """Put a rep's undelivered parts off until ``until`` with the reason."""
        ...

    def digest_parts(self, rep: str | None = None) -> list[DigestPartStatus]:
        """Return every digest part (a rep's, or everyone's) with its state, in digest order."""
        ...

    # -- Slack app state

    def remember_request(self, key: str, now: datetime) -> bool:
        """Record a request key; False when it was seen before (a replay)."""
        ...

    def watch_terms(self, rep: str | None = None) -> list[StoredWatchTerm]:
        """Return stored watch terms, a rep's or everyone's, by account and term."""
        ...

    def watch_terms_version(self) -> int:
        """Return a number that changes whenever stored watch terms change."""
        ...

    def add_watch_term(self, rep: str, account: str, term: str, now: datetime) -> bool:
        """Store a rep's watch term on an account; False when it was there already."""
        ...

    def remove_watch_term(self, rep: str, term: str) -> int:
        """Remove a rep's term (any account, case-insensitive); return how many went."""
        ...

    def set_mute(
        self, rep: str, kind: str, target: str, until: datetime | None, now: datetime
    ) -> None:
        """Mute an account or source (``kind``) for the rep until ``until`` (None: for good)."""
        ...

    def remove_mutes(self, rep: str, target: str | None = None) -> int:
        """Remove the rep's mutes on ``target`` (case-insensitive), or all; return how many."""
        ...

    def mutes(self, rep: str, now: datetime) -> list[Mute]:
        """Return the rep's mutes still in force at ``now``, by kind and target."""
        ...

    def rep_settings(self, rep: str) -> RepSettings:
        """Return the rep's stored overrides (digest time, time zone, quiet hours); all None
        when none were set."""
        ...

    def put_rep_setting(self, rep: str, name: RepSetting, value: str, now: datetime) -> None:
        """Store one override (digest time, time zone or quiet hours); an unsent first schedule
        is dropped so the next digest follows it."""
        ...

    def slack_user(self, email: str) -> tuple[str, str | None] | None:
        """Return the cached (Slack user id, DM channel id) for an email, or None."""
        ...

    def put_slack_user(
        self,
        email: str,
        user_id: str,
        channel_id: str | None,
        now: datetime,
        timezone: str | None = None,
    ) -> None:
        """Cache a Slack user; a None channel or time zone keeps the cached one."""
        ...

    def slack_timezone(self, email: str) -> str | None:
        """Return the cached Slack time zone for an email, or None."""
        ...

    def email_of_slack_user(self, user_id: str) -> str | None:
        """Return the cached email of a Slack user id, or None."""
        ...

    # -- touches

    def add_touch(
        self,
        rep: str,
        account: str,
        channel: TouchChannel,
        touched_at: datetime,
        *,
        article_id: int | None = None,
        note: str | None = None,
        idempotency_key: str | None = None,
        contact: str | None = None,
    ) -> bool:
        """Log a customer touch; False when ``idempotency_key`` was logged before."""
        ...

    def activity_counts(
        self, accounts: Sequence[str], since: datetime
    ) -> dict[str, ActivityCounts]:
        """Return, for every one of ``accounts``, the stories matched to it since ``since``
        (outlets of one story count once) and its shares (share-button touches) since then."""
        ...

    def matched_story_count(self, accounts: Sequence[str], since: datetime) -> int:
        """Return how many stories were matched to any of ``accounts`` since ``since``: a
        story about two of them, or told by three outlets, counts once."""
        ...

    def last_digest_due(self, rep: str, kind: DigestKind) -> datetime | None:
        """Return the due time of the rep's latest digest of ``kind``; None when none."""
        ...

    def add_touches(self, touches: Sequence[NewTouch], now: datetime) -> int:
        """Add touches in one transaction; return how many were new (a key already in the
        ledger, voided or not, adds nothing)."""
        ...

    def touches(
        self,
        *,
        account: str | None = None,
        rep: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_voided: bool = False,
    ) -> tuple[Touch, ...]:
        """Return ledger touches, oldest first, filtered by account, rep and time (``since``
        inclusive, ``until`` exclusive); voided ones only with ``include_voided``."""
        ...

    def touch(self, touch_id: int) -> Touch | None:
        """Return one touch by id, voided or not; None when there is none."""
        ...

    def void_touch(
        self, touch_id: int, by: str, at_: datetime, reason: str | None = None
    ) -> Touch | None:
        """Void a touch (kept, with who, when and why; it no longer counts anywhere); return it
        as it is now. A touch voided before keeps its first void. None when there is none."""
        ...

    def touch_statuses(
        self, accounts: Sequence[str], quarter_start: datetime, target: int
    ) -> dict[str, TouchStatus]:
        """Return each account's touches since ``quarter_start`` and its last touch ever
        (voided touches left out)."""
        ...

    def shared(self, account: str, article_id: int) -> Share | None:
        """Return the first share of the article with the account's customer, or None (a
        voided share does not count)."""
        ...

    # --- "Customer found it useful" on shares

    def mark_useful(
        self, touch_id: int, rep: str, account: str, article_id: int, by: str, now: datetime
    ) -> tuple[UsefulMark, bool]:
        """Record that the customer found a share useful, once per (``rep`` who shared,
        account, article); return the mark (the first, when marked before) and whether it is
        new. Does not check the share."""
        ...

    def useful_marks(self, rep: str | None = None) -> tuple[UsefulMark, ...]:
        """Return the useful marks (on ``rep``'s shares), oldest first."""
        ...

    # --- the touch webhook's outbox (every new touch is queued with it)

    def due_webhook_touches(self, now: datetime, limit: int = 100) -> tuple[QueuedTouch, ...]:
        """Return queued touches whose next attempt is due, oldest first."""
        ...

    def claim_webhook_touches(
        self, now: datetime, owner: str, lease_s: float, limit: int = 100
    ) -> tuple[QueuedTouch, ...]:
        """Lease the due queued touches (oldest first) to ``owner`` until ``now + lease_s``;
        another owner claims none of them before that (a crashed owner's come back then)."""
        ...

    def renew_webhook_touch(self, touch_id: int, owner: str, now: datetime, lease_s: float) -> bool:
        """Extend ``owner``'s lease on a queued touch; False when another owner holds it or it
        is no longer open (then it must not be POSTed)."""
        ...

    def webhook_delivered(self, touch_id: int, now: datetime) -> None:
        """Mark a queued touch delivered (a 2xx answer): it is never sent again."""
        ...

    def webhook_failed(
        self,
        touch_id: int,
        reason: str,
        next_attempt_at: datetime | None,
        now: datetime,
        owner: str | None = None,
    ) -> bool:
        """Record a failed POST and when to try again; None gives it up (the row stays). With
        ``owner``, only while its lease holds; return whether it was recorded."""
        ...

    def skip_webhook_touches(self, now: datetime) -> int:
        """Mark every open queued touch skipped (no webhook is configured); return how many."""
        ...

    def webhook_backlog(self) -> WebhookBacklog:
        """Return how many queued touches are pending and given up, and the oldest pending."""
        ...

    # -- care: feed health, daily jobs, retention, backup (sqlite/care.py)

    def feed_health_rows(self) -> list[FeedHealthRow]:
        """Return every stored feed with what the feed-health report reads (errors, disabled
        reason, redirect, gaps, when its newest article was fetched). Does not judge them."""
        ...

    def daily_job_done(self, job: str, due_at: datetime) -> bool:
        """Return whether ``job`` was recorded for ``due_at`` (or a later slot)."""
        ...

    def record_daily_job(
        self,
        job: str,
        due_at: datetime,
        now: datetime,
        messages: Sequence[AdminMessage] = (),
        *,
        kind: DigestKind = DigestKind.FEED_HEALTH,
    ) -> bool:
        """Record ``job`` done for ``due_at`` and queue ``messages`` in the outbox, each as a
        digest of ``kind`` for its recipient, in one transaction. Return False, queueing nothing,
        when the job was recorded already (a restart, a second process)."""
        ...

    def prune(
        self,
        articles_before: datetime | None,
        outbox_before: datetime | None,
        *,
        dry_run: bool = False,
    ) -> PruneCounts:
        """Delete articles fetched before ``articles_before`` with their matches, industry
        scores and digest records, and embeddings made before it; delivered or given-up digest
        messages and touch webhook rows finished before ``outbox_before``. None keeps that kind
        forever. Articles a touch, a feedback or useful mark, or an undelivered message refers
        to are kept; touches are never deleted. ``dry_run`` counts and deletes nothing."""
        ...

    def backup(self, path: Path, *, force: bool = False) -> BackupResult:
        """Copy the database to ``path`` while others may write, and check the copy.

        Raises:
            StorageError: ``path`` exists (without ``force``) or cannot be written, or the
                copy is damaged.
        """
        ...

    def vacuum(self) -> VacuumResult:
        """Rebuild the database file without its free space; return its size before and after.

        Raises:
            StorageBusyError: another process keeps the database busy.
        """
        ...


class RetrieverType(Protocol):
    """Fetches bytes over the network. Raises ``FetchError``; never parses.

    Never connects to a loopback, private, link-local, multicast or reserved address unless the
    configuration allows its network (``fetch.allow_private_networks``), on any redirect hop.
    """

    def retrieve(self, url: str, caching: CachingInfo, user_agent: str | None) -> RetrievedFeed:
        """Fetch a feed with a conditional GET; a 304 comes back with ``content=None``.
        A configured ``file://`` URL is read from disk; a redirect never leads to one."""
        ...

    def get_page(self, url: str, user_agent: str | None) -> RetrievedFeed:
        """Fetch a web page (an article, or a page to discover feeds in); http(s) only."""
        ...

    def refusal(self, url: str) -> str | None:
        """Return why ``url`` would be refused (not http(s), or a refused address), else None.
        Does not connect."""
        ...

    def close(self) -> None:
        """Close connections."""
        ...


class SourceParserType(Protocol):
    """Turns one source type's retrieved bytes into normalised entries.

    Raises ``ParseError``; no network. Each source type registers one (``SourceAdapters``).
    """

    def parse(self, retrieved: RetrievedFeed) -> ParsedFeed:
        """Parse one retrieved document."""
        ...


class ParserType(SourceParserType, Protocol):
    """The feed parser: RSS, Atom and JSON Feed entries, and feed discovery on HTML pages."""

    def find_feed_links(self, page: bytes, base_url: str) -> list[FeedLink]:
        """Return the feeds an HTML page advertises or links to."""
        ...


class EmbedderType(Protocol):
    """Turns texts into L2-normalised float32 vectors. Raises ``EmbedderError``."""

    @property
    def model_key(self) -> str:
        """Identifies the model and settings that make the vectors; part of every cache key."""
        ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one vector per text, shape (len(texts), dim)."""
        ...


class MentionFinderType(Protocol):
    """Finds account mentions in text. Pure computation; built once per account list."""

    def find(self, text: str) -> list[Mention]:
        """Return the mentions in ``text``, left to right."""
        ...


class EntityRecognizerType(Protocol):
    """Finds named entities (organisations, people, places) in texts. Raises
    ``EmbedderError`` when its model cannot be loaded; no network."""

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Return the entities of each text, in order, with offsets into that text."""
        ...


class ExtractorType(Protocol):
    """Finds an article page's main text. Raises ``ExtractError``; no network."""

    def extract(self, html: bytes | str, url: str | None = None) -> str:
        """Return the main text, paragraphs separated by blank lines."""
        ...


class SlackApiType(Protocol):
    """The Slack Web API calls digests need.

    Raises ``SlackAuthError``, ``SlackScopeError``, ``SlackUserNotFoundError``,
    ``SlackRateLimitedError``, ``SlackUncertainError``, ``SlackRejectedError`` (a message Slack
    refuses for its content) or ``DeliveryError``.
    """

    def lookup_user(self, email: str) -> str: ...

    def user_timezone(self, user_id: str) -> str | None: ...

    def open_dm(self, user_id: str) -> str: ...

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], key: str) -> str: ...

    def find_posted(self, channel: str, key: str, since: datetime) -> str | None: ...


class DigestWriterType(Protocol):
    """Where digests go without Slack: the terminal and Markdown files."""

    def write(self, rep: str, digest_id: int, part: int, markdown: str, now: datetime) -> None: ...


class ChartRendererType(Protocol):
    """Draws charts as PNG images (matplotlib: ``adapters.chart_mpl``)."""

    def coverage_chart(self, data: ChartData) -> Chart:
        """Draw the touch-coverage chart; return the PNG and the numbers read back from what
        was drawn. Does not decide what it shows."""
        ...


class WebhookSenderType(Protocol):
    """POSTs a signed webhook body (``adapters.fetch_http.WebhookPoster``: httpx, the same
    address policy as feeds)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST ``body``; return the HTTP status. Does not follow redirects or retry.

        Raises:
            DeliveryError: refused (the address policy, http to a public host) or no answer
                (connection, timeout), with the reason.
        """
        ...

    def close(self) -> None:
        """Close its connections."""
        ...


class LinkSecretType(Protocol):
    """The server secret the manager's web page links are signed with
    (``adapters.secret_file``: ``CLIPPER_WEB_SECRET``, else a file made once under var/)."""

    def secret(self) -> bytes:
        """Return the secret (the same bytes on every call and after a restart). Does not
        log it.

        Raises:
            ConfigError: the secret file cannot be read or created, with its path.
        """
        ...


class MetricsType(Protocol):
    """Counts what the process does, for ``/metrics`` (``adapters.metrics_prom``).

    Labels are enums or fixed names, never a feed URL, an article id or a rep. Never raises:
    counting must not stop the work it counts. Does not log.
    """

    def feed_fetched(self, status: FetchStatus, reason: FeedFailure | None) -> None:
        """One feed's update ended with ``status`` (``reason`` when it failed)."""
        ...

    def articles_stored(self, new: int) -> None:
        """``new`` articles were stored by a fetch pass."""
        ...

    def embedded(self, texts: int, seconds: float) -> None:
        """The model embedded ``texts`` texts (cache misses) in ``seconds``."""
        ...

    def matched(self, kind: MatchKind, count: int) -> None:
        """``count`` matches of ``kind`` were stored."""
        ...

    def digest_queued(self, kind: DigestKind) -> None:
        """A digest of ``kind`` was composed into the outbox."""
        ...

    def part_delivered(self, sink: Sink, outcome: PartOutcome, last: bool) -> None:
        """Delivering one digest part ended with ``outcome``; ``last``: the digest's last part
        (a sent last part is a sent digest)."""
        ...

    def slack_rate_limited(self) -> None:
        """Slack answered 429."""
        ...

    def slack_retry(self, why: SlackRetry) -> None:
        """A Slack call is about to be tried again."""
        ...

    def clip_request(self, verb: str) -> None:
        """A ``/clip`` command came in; ``verb`` is one of ``logic.clip.VERBS`` or "other"."""
        ...

    def acknowledged(self, seconds: float) -> None:
        """A Slack request was answered (acknowledged) after ``seconds``."""
        ...

    def http_request(self, path: str, status: str) -> None:
        """The HTTP server answered a request; ``path`` is a known route or "other"."""
        ...

    def tick(self, job: str, seconds: float, failed: bool) -> None:
        """A scheduler job (a fixed name) ran for ``seconds``."""
        ...

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """Return the scrape body and its content type (gauges read from storage now)."""
        ...


class NoMetrics:
    """``MetricsType`` that counts nothing: commands that serve no ``/metrics``."""

    def feed_fetched(self, status: FetchStatus, reason: FeedFailure | None) -> None:
        pass

    def articles_stored(self, new: int) -> None:
        pass

    def embedded(self, texts: int, seconds: float) -> None:
        pass

    def matched(self, kind: MatchKind, count: int) -> None:
        pass

    def digest_queued(self, kind: DigestKind) -> None:
        pass

    def part_delivered(self, sink: Sink, outcome: PartOutcome, last: bool) -> None:
        pass

    def slack_rate_limited(self) -> None:
        pass

    def slack_retry(self, why: SlackRetry) -> None:
        pass

    def clip_request(self, verb: str) -> None:
        pass

    def acknowledged(self, seconds: float) -> None:
        pass

    def http_request(self, path: str, status: str) -> None:
        pass

    def tick(self, job: str, seconds: float, failed: bool) -> None:
        pass

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        return b"", "text/plain; version=0.0.4; charset=utf-8"
