"""Frozen data types, named by their role in the pipeline.

Every datetime here is timezone-aware UTC. Does not hold behaviour beyond trivial properties.
Over 500 lines because it is one concept: the shared vocabulary of every layer, in one file so
that every record and enum is found in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class Stage(enum.StrEnum):
    """Where an article is in the pipeline; each stage reads one state and writes the next."""

    #: waiting for its page to be fetched and its main text extracted (feeds with full_text)
    EXTRACT = "extract"
    #: a digest candidate, waiting for the matching stage
    NEW = "new"
    #: stored but silent: seen on a feed's first fetch outside the backfill window, or over the
    #: per-run cap; never a digest candidate
    BASELINE = "baseline"
    #: matched against accounts and industries (its matches are stored)
    MATCHED = "matched"


class HealthState(enum.StrEnum):
    """What ``/healthz`` says of the process."""

    OK = "ok"
    #: alive and serving, but some configured parts were skipped
    DEGRADED = "degraded"
    #: the database cannot be reached
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Health:
    """The process's health, with the reason when it is not ``OK``."""

    state: HealthState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Readiness:
    """What ``/readyz`` says: ready, or each reason it is not (``logic.readiness``)."""

    #: every reason the process is not ready, worded for an operator; empty when ready
    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class OutboxGauges:
    """The numbers ``/metrics`` reads from storage at scrape time, in one cheap query each."""

    #: digest parts waiting to be delivered (pending or being sent)
    pending_parts: int
    #: when the oldest of them was queued; None when none waits
    oldest_pending_at: datetime | None
    #: feeds disabled (410, or too many failures in a row)
    feeds_disabled: int
    #: of ``pending_parts``, those queued for Slack (a process without Slack leaves them)
    slack_parts: int = 0


@dataclass(frozen=True, slots=True)
class ReleasedClaims:
    """What one lease owner's claims released came to: work due again for any worker at once."""

    #: feeds claimed for fetching (a re-fetch is safe: articles dedupe)
    feeds: int = 0
    #: articles claimed for page extraction or matching (their writes are fenced by the owner)
    articles: int = 0
    #: digest parts claimed but not being posted, back to pending (the next claim checks the
    #: DM's history before posting one that was claimed before)
    parts: int = 0

    def __bool__(self) -> bool:
        return bool(self.feeds or self.articles or self.parts)


class EventKind(enum.StrEnum):
    """A business event type; the value is its label (stored in ``matches.event``).

    Each kind has exactly one row in ``logic.events.EVENT_KINDS`` (wording, badge, shareable,
    urgent): adding an event type is a member here plus that row."""

    LAYOFFS = "layoffs"
    LEGAL = "legal/regulatory"
    MERGER = "M&A"
    LEADERSHIP = "leadership change"
    FUNDING = "funding"
    EARNINGS = "earnings"
    PARTNERSHIP = "partnership"
    PRODUCT = "product launch"
    EXPANSION = "expansion"


class NoteKind(enum.StrEnum):
    """Which ready-to-send note a share pre-fills; the value is its key in ``share.templates``.

    An event kind names its note in its ``logic.events.EVENT_KINDS`` row (``note``)."""

    #: congratulations on a funding round
    FUNDING = "funding"
    #: congratulations on a new role or appointment
    LEADERSHIP = "leadership"
    #: a thought on an acquisition or merger
    ACQUISITION = "acquisition"
    #: a relevant trend in the customer's industry (industry items)
    INDUSTRY = "industry"
    #: every other article
    DEFAULT = "default"


class DigestKind(enum.StrEnum):
    """Why a digest was composed (stored in ``digests.kind``)."""

    #: the rep's scheduled digest
    DIGEST = "digest"
    #: urgent events, sent at once outside quiet hours
    ALERT = "alert"
    #: a manager's weekly team summary (``digest.team_day`` at their digest time)
    TEAM = "team"
    #: the admin's daily feed-health report (``alerts.feed_health``)
    FEED_HEALTH = "feed_health"


class Sink(enum.StrEnum):
    """Where a digest's parts go (stored in ``digests.sink``)."""

    #: a Slack DM with the rep (Block Kit JSON payloads)
    SLACK = "slack"
    #: printed and written as Markdown files (no Slack configured, or a preview)
    TERMINAL = "terminal"


class PartState(enum.StrEnum):
    """A digest part's state in the outbox (stored in ``digest_parts.state``)."""

    #: waiting to be claimed (again, after ``next_attempt_at``)
    PENDING = "pending"
    #: claimed under a lease; its post may or may not have reached Slack
    SENDING = "sending"
    SENT = "sent"
    #: refused by Slack for its content: sending it again cannot help
    FAILED = "failed"


class RepSetting(enum.StrEnum):
    """A setting a rep makes with ``/clip settings``; the value is its ``rep_settings`` column."""

    DIGEST_TIME = "digest_time"
    TIMEZONE = "timezone"
    QUIET_HOURS = "quiet_hours"
    #: "on" or "off": the "Your industries" section of the rep's digest
    INDUSTRIES = "industries"

    @property
    def label(self) -> str:
        """The setting's name in a sentence ("time zone")."""
        return {
            RepSetting.DIGEST_TIME: "digest time",
            RepSetting.TIMEZONE: "time zone",
            RepSetting.QUIET_HOURS: "quiet hours",
            RepSetting.INDUSTRIES: "industry news",
        }[self]

    @property
    def moves_schedule(self) -> bool:
        """Whether changing it moves the rep's next digest (industry news does not)."""
        return self is not RepSetting.INDUSTRIES


class FetchStatus(enum.StrEnum):
    """How one feed's update ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"
    DISABLED = "disabled"


class FeedFailure(enum.StrEnum):
    """Why a feed's fetch failed, as few words as a metrics label needs (never the URL)."""

    #: the bytes are not a feed Clipper can read
    PARSE = "parse"
    #: 410 Gone
    GONE = "gone"
    #: 429: the server asked us to slow down
    RATE_LIMITED = "rate_limited"
    #: another 4xx status
    HTTP_4XX = "http_4xx"
    #: a 5xx status
    HTTP_5XX = "http_5xx"
    #: no usable response: connection, time-out, TLS, size limit, redirects, refused address
    TRANSPORT = "transport"


class MatchKind(enum.StrEnum):
    """What a stored match links an article to (a metrics label)."""

    ACCOUNT = "account"
    INDUSTRY = "industry"


class PartOutcome(enum.StrEnum):
    """How delivering one digest part ended this time (a metrics label)."""

    SENT = "sent"
    #: the rep's own problem (unknown email, missing scope): their parts wait
    HELD = "held"
    #: Slack refused its content: never sent
    FAILED = "failed"
    #: not sent this time; tried again later
    RETRY = "retry"


class SlackRetry(enum.StrEnum):
    """Why a Slack call is tried again (a metrics label)."""

    #: 429: Slack's Retry-After was waited
    RATE_LIMITED = "rate_limited"
    #: the connection dropped after the request was sent
    UNCERTAIN = "uncertain"
    #: Slack refused a message's images: sent again without them
    WITHOUT_IMAGES = "without_images"
    #: another delivery error (5xx, a dropped connection before sending)
    ERROR = "error"


class LogFormat(enum.StrEnum):
    """How log lines are written (``--log-format``)."""

    #: "time LEVEL logger: message", for people
    TEXT = "text"
    #: one JSON object per line, for log collectors
    JSON = "json"


class SourceType(enum.StrEnum):
    """The kinds of source Clipper ships: a catalog feed's ``type`` names one.

    ``clipper.core.SOURCES`` maps each to the retriever and parser that read it; the pipeline
    looks a feed's adapters up by this string, so a type registered there (or by a test) is
    read without any other change. Does not say how a type is fetched or parsed.
    """

    #: RSS, Atom or JSON Feed, over HTTP(S) or from a local file
    FEED = "feed"


class EmbedBackend(enum.StrEnum):
    """What runs the embedding model (``model.backend``)."""

    #: ONNX Runtime on an exported copy of the model; torch is needed only to export it once
    ONNX = "onnx"
    #: sentence-transformers on torch: any sentence-transformers model, a GPU, bf16
    TORCH = "torch"


class Quantization(enum.StrEnum):
    """How the ONNX copy of the model is stored (``model.quantize``)."""

    #: weights quantised to 8-bit integers (dynamic quantisation): ~2.4x faster than fp32
    INT8 = "int8"
    #: the exported fp32 weights as they are
    NONE = "none"


@dataclass(frozen=True, slots=True)
class PreparedModel:
    """What preparing the embedding model found or made (``clipper model prepare``)."""

    backend: EmbedBackend
    #: the ONNX file the run path loads; None for the torch backend (its own files are used)
    path: Path | None
    #: True when the ONNX copy was exported now; False when a valid cached one was there
    exported: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed as configured by a manager (catalog entry or expanded account template)."""

    #: the URL as written in the configuration; the feed's identity
    url: str
    name: str
    #: industry slug of the catalog it came from; None for account feeds without an industry
    industry: str | None
    #: configured polling interval in seconds; None means adaptive
    interval_s: float | None = None
    tags: tuple[str, ...] = ()
    user_agent: str | None = None
    full_text: bool = False
    #: account name for feeds expanded from ``account_feeds`` templates
    account: str | None = None
    #: where it was configured, "file:line", for messages
    origin: str = ""
    #: which registered source type reads it (a ``SourceType`` value for the types Clipper ships)
    source_type: str = SourceType.FEED
    #: the catalog's ``weight``: multiplies its articles' rank in digests (1.0 normal)
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class CachingInfo:
    """Validators stored verbatim and sent back as conditional-GET headers."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedForUpdate:
    """A feed as read from storage to be fetched now."""

    id: int
    #: the configured URL (identity)
    config_url: str
    #: the URL to fetch: the configured one, or the target of a permanent redirect
    url: str
    name: str
    industry: str | None
    caching: CachingInfo
    error_count: int
    first_error_at: datetime | None
    #: True once a first successful fetch has been stored (the silent baseline is done)
    baseline_done: bool
    interval_s: float | None
    user_agent: str | None
    full_text: bool
    last_success_at: datetime | None = None
    #: the interval chosen after the last successful fetch (adaptive polling memory)
    adaptive_interval_s: float | None = None
    #: which registered source type reads it (``FeedSource.source_type``)
    source_type: str = SourceType.FEED


@dataclass(frozen=True, slots=True)
class RetrievedFeed:
    """What the retriever got for one feed: bytes and headers, or 'not modified'."""

    #: the URL the response came from, after redirects
    url: str
    status: int
    #: None when the server answered 304 Not Modified
    content: bytes | None
    #: response headers, names in lower case
    headers: Mapping[str, str]
    caching: CachingInfo
    #: the new URL when every redirect hop was permanent (301/308)
    permanent_redirect: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed item after parsing and normalisation (plain text, canonical URL, UTC)."""

    guid: str | None
    url: str | None
    title: str
    summary: str
    published: datetime | None
    updated: datetime | None
    author: str | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    #: full text when the feed itself carries the article body (content:encoded), else None
    content: str | None = None
    #: hash of the whole normalised title and summary when either was shortened for storage,
    #: so identity never rests on a cut (None when nothing was cut)
    uncut_digest: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    title: str
    link: str | None
    entries: tuple[ParsedEntry, ...]
    #: the feed's own <ttl>, in seconds
    ttl_s: float | None = None
    #: feedparser's complaint about ill-formed input that was still readable
    warning: str | None = None
    #: the document is cut off or malformed (feedparser's bozo, not only an encoding note): the
    #: items read may not be all it holds, so its ETag and Last-Modified are not kept
    broken: bool = False


@dataclass(frozen=True, slots=True)
class ArticleIdentity:
    """The keys that say two items are the same article."""

    #: hash of the item's guid, scoped to its feed; None when the item has no guid
    guid_hash: str | None
    #: hash of the canonical URL, global; None when the item has no link
    url_hash: str | None
    #: hash of normalised title + summary, scoped to its feed
    content_hash: str


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """An already stored article, as the identity decision needs it."""

    id: int
    feed_id: int
    identity: ArticleIdentity


@dataclass(frozen=True, slots=True)
class ArticleIntent:
    """A new article to insert, or an existing one to refresh (``existing_id`` set)."""

    feed_id: int
    identity: ArticleIdentity
    url: str | None
    title: str
    summary: str
    published_at: datetime
    fetched_at: datetime
    source: str
    stage: Stage
    author: str | None = None
    categories: tuple[str, ...] = ()
    image: str | None = None
    content: str | None = None
    guid: str | None = None
    #: set when this intent refreshes a stored article instead of inserting one
    existing_id: int | None = None


@dataclass(frozen=True, slots=True)
class FeedUpdateIntent:
    """Everything that changes on a feed row after one fetch attempt."""

    feed_id: int
    status: FetchStatus
    checked_at: datetime
    next_check_at: datetime
    caching: CachingInfo
    error_count: int
    first_error_at: datetime | None
    last_error: str | None
    disabled_reason: str | None = None
    #: new URL after a permanent redirect
    new_url: str | None = None
    #: True when the feed should (again) take a silent baseline on its next fetch
    baseline_done: bool = True
    #: not before this time, even with ``--all`` (Retry-After)
    retry_after_until: datetime | None = None
    success: bool = False
    http_status: int | None = None
    #: the interval this decision chose (kept for 304 responses, which carry no entries)
    adaptive_interval_s: float | None = None
    #: every item of this poll was new on a feed already seen: items may have been lost
    gap: bool = False


@dataclass(frozen=True, slots=True)
class EntryDecision:
    """What the identity decision made of one fetched feed's entries."""

    intents: tuple[ArticleIntent, ...]
    new: int
    updated: int
    unchanged: int
    #: new items stored silently because they were over the per-run cap
    capped: int
    #: new items stored silently because this was the feed's baseline fetch
    baseline: int


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """How one feed's update went, for progress and summaries."""

    url: str
    name: str
    status: FetchStatus
    new: int = 0
    updated: int = 0
    error: str | None = None
    warning: str | None = None
    #: items of a first fetch older than ``fetch.backfill_window``: stored as history, unmatched
    baseline: int = 0
    #: why it failed, as a metrics label (``logic.feedstate.failure_reason``); None when it did not
    reason: FeedFailure | None = None
    #: the document was cut off or malformed (``ParsedFeed.broken``): its items were stored,
    #: its validators not kept (the next poll reads it whole)
    broken: bool = False


@dataclass(frozen=True, slots=True)
class UpdateSummary:
    """Totals of one update run."""

    results: tuple[UpdateResult, ...] = ()
    extracted: int = 0
    extract_failed: int = 0
    #: feeds the pass claimed but did not fetch (it was asked to stop): due at the next pass
    released: int = 0

    def count(self, status: FetchStatus) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def new_articles(self) -> int:
        return sum(r.new for r in self.results)

    @property
    def baseline_articles(self) -> int:
        """Items stored as history on first fetches (older than the backfill window)."""
        return sum(r.baseline for r in self.results)


@dataclass(frozen=True, slots=True)
class FeedStatusRow:
    """One row of ``clipper feeds status``."""

    url: str
    name: str
    industry: str | None
    active: bool
    last_success_at: datetime | None
    last_checked_at: datetime | None
    last_error: str | None
    error_count: int
    disabled_reason: str | None
    items: int
    next_check_at: datetime | None
    redirected_to: str | None = None
    #: polls where every item was new (items may have fallen off the feed unseen), and the last
    gaps: int = 0
    last_gap_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article as ``StorageType.articles`` lists it (summaries and tests)."""

    id: int
    feed_id: int
    url: str | None
    title: str
    summary: str
    published_at: datetime
    fetched_at: datetime
    source: str
    stage: Stage
    full_text: str | None = None
    image: str | None = None
    author: str | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    extract_error: str | None = None
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class ArticleBrief:
    """What a reader is shown of a stored article: no body, no pipeline state."""

    id: int
    title: str
    url: str | None
    source: str
    published_at: datetime
    summary: str


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A stored match with its article's headline; ``reasons`` come back decoded."""

    article_id: int
    account: str
    score: float
    reasons: tuple[str, ...]
    event: EventKind | None
    shareable: bool
    title: str
    url: str | None
    source: str
    published_at: datetime


class StoreKind(enum.StrEnum):
    """Which database a ``database:`` URL names."""

    #: one SQLite file (WAL), the embedded default
    SQLITE = "sqlite"


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed ``database:`` setting (``logic.database.parse_database_url``)."""

    kind: StoreKind
    #: the SQLite file (``:memory:`` for a throw-away one-thread database)
    path: Path


@dataclass(frozen=True, slots=True)
class FeedbackText:
    """Feedback a rep gave on a match, with the article's text (title and summary) the
    matcher learns from."""

    account: str
    #: ``not_relevant`` or ``not_this_company``
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    """How many digest items a rep marked wrong in a period, by kind of feedback."""

    #: "Not relevant"
    not_relevant: int = 0
    #: "Not this company"
    not_this_company: int = 0


@dataclass(frozen=True, slots=True)
class Share:
    """The first time an article was shared with an account's customer, and by whom."""

    rep: str
    shared_at: datetime


class TouchChannel(enum.StrEnum):
    """How a customer touch reached the ledger (stored in ``touches.channel``)."""

    #: an article shared from a digest (one share per account and article)
    SLACK_SHARE = "slack share"
    #: ``/clip touch ACCOUNT NOTE``: a touch made outside Clipper, logged in Slack
    SLACK_COMMAND = "slack command"
    #: a row of a Salesforce Task export (``clipper touches import``)
    SALESFORCE = "salesforce"
    #: a row of a HubSpot activity (engagement) export (``clipper touches import``)
    HUBSPOT = "hubspot"


@dataclass(frozen=True, slots=True)
class TouchVoid:
    """Why a touch no longer counts: who deleted it, when, and why (the touch is kept)."""

    by: str
    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class NewTouch:
    """A touch to add to the ledger; ``key`` merges duplicates (the same key is added once)."""

    rep: str
    account: str
    touched_at: datetime
    channel: TouchChannel
    key: str
    contact: str | None = None
    article_id: int | None = None
    note: str | None = None
    #: the CRM's subject line, if any
    subject: str | None = None
    #: the CRM's activity type ("Call", "Email", "Meeting"), if any
    kind: str | None = None
    #: where it came from ("export.csv:12"), if it was imported
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Touch:
    """A customer touch in the ledger, voided or not."""

    id: int
    rep: str
    account: str
    touched_at: datetime
    channel: TouchChannel
    contact: str | None = None
    article_id: int | None = None
    note: str | None = None
    subject: str | None = None
    kind: str | None = None
    origin: str | None = None
    #: the stable key duplicates are merged by (None for the oldest rows)
    key: str | None = None
    #: when it was added to the ledger (None for rows logged before the ledger recorded it)
    created_at: datetime | None = None
    #: set when the touch was deleted: it is kept, but no longer counts anywhere
    void: TouchVoid | None = None


@dataclass(frozen=True, slots=True)
class UsefulMark:
    """A share marked "Customer found it useful": once per (rep who shared, account, article)."""

    #: the share's touch (``TouchChannel.SLACK_SHARE``)
    touch_id: int
    #: the rep who shared it (the mark counts for them)
    rep: str
    account: str
    article_id: int
    #: who marked it: the rep who shared it, or the account's owner
    marked_by: str
    marked_at: datetime


@dataclass(frozen=True, slots=True)
class StoredWatchTerm:
    """A watch term a rep added with ``/clip add`` (as typed; ``logic.watch`` parses it)."""

    rep: str
    account: str
    term: str


@dataclass(frozen=True, slots=True)
class Mute:
    """A rep's mute on an account or a source (``kind``), until a time or for good (None)."""

    kind: str
    target: str
    until: datetime | None


@dataclass(frozen=True, slots=True)
class RepSettings:
    """What a rep set with ``/clip settings``; None where they set nothing (the config, then
    the defaults, apply). Values are as the rep typed them, already validated."""

    digest_time: str | None = None
    timezone: str | None = None
    quiet_hours: str | None = None
    #: "on" or "off" (the "Your industries" section); None: ``reps.yaml`` decides
    industries: str | None = None


@dataclass(frozen=True, slots=True)
class DigestPartStatus:
    """One digest part in the outbox with its delivery state (reports and tests); the leased
    form a deliverer works on is ``DigestPart``."""

    digest_id: int
    part: int
    parts: int
    rep: str
    kind: DigestKind
    sink: Sink
    due_at: datetime
    state: PartState
    attempts: int
    text: str
    payload: str
    last_error: str | None
    next_attempt_at: datetime | None
    channel: str | None
    slack_ts: str | None
    sent_at: datetime | None
    first_claimed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PageToExtract:
    """An article whose page must be fetched for its main text."""

    article_id: int
    url: str | None
    user_agent: str | None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed advertised by a web page (``clipper feeds discover``)."""

    url: str
    title: str | None
    kind: str


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What reconciling the configured feeds with stored feeds changed."""

    added: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0


@dataclass(frozen=True, slots=True)
class AccountNames:
    """The names an account goes by, as the mention finder needs them."""

    name: str
    aliases: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    #: terms that veto every mention of this account in a text
    exclude: tuple[str, ...] = ()
    #: the account's products and brands ("iPhone", "F-150"): evidence that it is meant
    products: tuple[str, ...] = ()
    #: its people (executives): evidence that it is meant
    people: tuple[str, ...] = ()


class MentionKind(enum.StrEnum):
    NAME = "name"
    ALIAS = "alias"
    TICKER = "ticker"
    DOMAIN = "domain"
    PRODUCT = "product"
    PERSON = "person"


#: the kinds that name the account itself (products and people are evidence about it)
NAME_KINDS = frozenset(
    {MentionKind.NAME, MentionKind.ALIAS, MentionKind.TICKER, MentionKind.DOMAIN}
)


class Usage(enum.StrEnum):
    """What the way a name is written says about it."""

    #: capitalised inside a sentence written in sentence case: a proper noun
    PROPER = "proper"
    #: at a sentence start, in Title Case or in capitals: case says nothing
    UNKNOWN = "unknown"


class Cue(enum.StrEnum):
    """What the words right around a name say about it."""

    #: a capitalised word that is not the account's continues the name: "Apple Corps",
    #: "Crown Castle", "Marathon Oil"
    NAME_AFTER = "another name follows"
    #: a capitalised word before it makes a longer name: "Big Apple", "Harrison Ford"
    NAME_BEFORE = "another name precedes"
    #: a verb follows, so the name acts: "Apple recalls", "Tesla Opens", "Gap to cut"
    VERB_AFTER = "acts as the subject of a verb"
    #: "Apple's"
    POSSESSIVE = "possessive"
    #: "the Amazon", "a caterpillar": an article before it
    ARTICLE_BEFORE = "an article precedes"
    #: ", " and a capitalised word follow: "Snowflake, Arizona" (a place when that is one)
    COMMA_AFTER = "a comma and a name follow"
    #: "Discover the hidden costs": a determiner after it, so it reads as a verb
    DETERMINER_AFTER = "reads as a verb"
    #: joined by a hyphen to a word that makes another word: "Shell-shocked", "Visa-free" (not
    #: "Apple-backed", "Ford-owned")
    COMPOUND = "part of a hyphenated word"


class EntityLabel(enum.StrEnum):
    """The kinds of named entity matching tells apart."""

    ORG = "organisation"
    PRODUCT = "product"
    PERSON = "person"
    PLACE = "place"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity a recogniser found in a text."""

    start: int
    end: int
    label: EntityLabel
    #: the words as written
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """One place where a text names an account."""

    account: str
    #: the words as written in the text
    text: str
    start: int
    end: int
    kind: MentionKind
    #: False when the words are also an ordinary word, very short, or another account's name:
    #: such a mention is only a candidate until context agrees
    confident: bool
    #: how a candidate is written and what surrounds it (left empty for confident mentions,
    #: which nothing more decides)
    usage: Usage = Usage.UNKNOWN
    cues: frozenset[Cue] = frozenset()
    #: why the finder is sure (or why not), in words: "ticker", "capitals", "company words"...
    why: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """An article linked to an account, with the evidence a rep can read."""

    account: str
    #: 0..1; higher is stronger evidence
    score: float
    #: plain-language reasons, strongest first
    reasons: tuple[str, ...]
    #: the business event, if any
    event: EventKind | None = None
    #: fit to forward to the customer (False: for the rep's eyes only)
    shareable: bool = True


@dataclass(frozen=True, slots=True)
class IndustryMatch:
    industry: str
    score: float
    #: why, in words: 'mentions "crude", "opec"', "close to the industry"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What matching made of one article."""

    matches: tuple[Match, ...]
    industries: tuple[IndustryMatch, ...]
    #: candidates that were considered and dropped, with why (for ``clipper explain``)
    dropped: tuple[str, ...] = ()
    #: the numbers behind each match (for ``clipper explain``, never for a digest)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article as matching reads it."""

    id: str
    title: str
    text: str = ""
    #: industry of the feed it came from (a prior for industry matching)
    source_industry: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleToMatch:
    """A stored article claimed for matching."""

    id: int
    title: str
    text: str
    source_industry: str | None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message of a digest in the outbox."""

    digest_id: int
    part: int
    parts: int
    rep: str
    kind: DigestKind
    sink: Sink
    text: str
    #: Block Kit blocks as JSON (slack) or Markdown (terminal)
    payload: str
    attempts: int
    #: when the part was first claimed: a part claimed before may already be in Slack
    first_claimed_at: datetime | None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class ComposedDigest:
    """What a digest tick decided for one rep: messages to queue and what they cover."""

    parts: tuple[tuple[str, str], ...]
    #: (article id, account, shown) for every match the digest accounts for
    covered: tuple[tuple[int, str, bool], ...]
    sink: Sink
    #: the rep's next scheduled digest (None: an alert, which leaves the schedule alone)
    next_due: datetime | None
    #: (article id, industry, shown) for every industry-only article the "Your industries"
    #: section accounts for (stored per rep and article: it is not offered again)
    industry_covered: tuple[tuple[int, str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class ActivityCounts:
    """An account's matched stories (by when they were matched; the outlets of one story count
    once) and shares with its customer (the share button's touches) since a time."""

    #: stories, not articles: what ``/clip report`` and the team digest call "stories"
    matches: int = 0
    shares: int = 0


@dataclass(frozen=True, slots=True)
class OwnerCoverage:
    """One owner's accounts on target this quarter (each against its own target), of all they
    own, and the matches and shares on those accounts this week (the 7 days to the report) and
    this quarter."""

    owner: str
    touched: int
    total: int
    week: ActivityCounts = ActivityCounts()
    quarter: ActivityCounts = ActivityCounts()


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """One account's matches and shares this week and this quarter, and its touches this
    quarter."""

    account: str
    #: the owner's email ("(no owner)" when none)
    owner: str
    week: ActivityCounts
    quarter: ActivityCounts
    touches: int


@dataclass(frozen=True, slots=True)
class BrokenFeed:
    """A feed that is disabled or failing (``error_count`` failures in a row)."""

    name: str
    url: str
    error_count: int
    last_error: str | None
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class TouchReport:
    """The team's touch coverage this quarter, matches and shares per owner and account, and
    the feeds that broke: numbers, for any renderer (``/clip report``, the manager's weekly
    team digest)."""

    #: touches an account needs per quarter by default (``touches.target_per_year`` / 4;
    #: an account's tier or ``touch_target`` may ask more or fewer)
    target: int
    accounts: int
    #: accounts on target: touched at least their own quarterly target (tier, ``touch_target``
    #: or ``target``) this quarter, as ``clipper report touches`` counts "on target"
    touched: int
    #: per owner ("(no owner)" for accounts without one), sorted by owner
    by_owner: tuple[OwnerCoverage, ...]
    #: accounts still under the target, in configuration order
    due: tuple[str, ...]
    #: when the report was made; the week is the 7 days before it
    now: datetime | None = None
    #: when this quarter began (``touches:``: calendar or fiscal, in ``touches.timezone``)
    quarter_start: datetime | None = None
    #: accounts with a match or a share this quarter, most matches first
    by_account: tuple[AccountActivity, ...] = ()
    #: accounts with matches this quarter and no touch this quarter, in configuration order
    news_untouched: tuple[str, ...] = ()
    #: enabled feeds that are disabled or failing, by name
    broken_feeds: tuple[BrokenFeed, ...] = ()


@dataclass(frozen=True, slots=True)
class QueuedTouch:
    """A touch waiting in the webhook outbox (``touch_webhook``): sent or retried by the tick."""

    touch: Touch
    #: when it was queued (the touch was added to the ledger)
    queued_at: datetime
    #: POSTs tried so far
    attempts: int = 0
    #: why the last POST failed, if one did
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookBacklog:
    """The webhook outbox at a glance (``clipper check``, the run's log)."""

    #: touches queued and not yet delivered
    pending: int = 0
    #: touches given up after ``touches.webhook.give_up_after_days``
    given_up: int = 0
    #: the oldest pending touch's queue time
    oldest_pending: datetime | None = None


@dataclass(frozen=True, slots=True)
class IndustryArticle:
    """An article the matcher placed in an industry, with its score and story (the review
    pack's industry trends)."""

    article: ArticleBrief
    industry: str
    score: float
    #: its story's id (the article's own id when it has no story)
    story_id: int


# ---------------------------------------------------------------- care (issue 15 items 6-7)


@dataclass(frozen=True, slots=True)
class FeedHealthRow:
    """One stored feed as the feed-health report reads it (``StorageType.feed_health_rows``)."""

    #: the URL as configured (the feed's identity)
    url: str
    #: the URL polled now: differs from ``url`` after a permanent redirect
    current_url: str
    name: str
    #: False once removed from the configuration
    active: bool
    #: failures in a row, the first of them, the last one's text and time
    error_count: int
    first_error_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    last_success_at: datetime | None
    #: when the newest article stored from this feed was fetched (None: none stored)
    last_new_at: datetime | None
    #: when the feed was first configured
    created_at: datetime
    #: polls where every item was new (items may have fallen off the feed unseen), and the last
    gaps: int
    last_gap_at: datetime | None
    #: the configured interval (None: adaptive) and the adaptive one learnt from the feed
    interval_s: float | None
    adaptive_interval_s: float | None


@dataclass(frozen=True, slots=True)
class AdminMessage:
    """A message for whoever runs Clipper, queued in the outbox like a digest."""

    #: who gets it: an email or a Slack user id (their DM), or a channel id
    recipient: str
    #: the channel to post in when known (a channel id); None: the recipient's DM
    channel: str | None
    #: (notification text, Block Kit JSON) per message
    parts: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PruneCounts:
    """What a retention pass removed (or, for a dry run, would remove)."""

    articles: int = 0
    matches: int = 0
    embeddings: int = 0
    #: delivered or given-up digest messages (their digests' records stay)
    digest_parts: int = 0
    #: delivered, skipped or given-up touch webhook rows (the touches stay)
    webhook_rows: int = 0
    #: old articles kept because a touch, a feedback mark or an undelivered message needs them
    kept_articles: int = 0


@dataclass(frozen=True, slots=True)
class BackupResult:
    """A finished ``StorageType.backup``: the file, its size and what its check said."""

    path: Path
    size: int
    #: ``PRAGMA integrity_check``'s answer on the copy ("ok")
    integrity: str
    #: the newest migration the copy holds (what a restore needs the program to know)
    migration: str | None


@dataclass(frozen=True, slots=True)
class VacuumResult:
    """A finished ``StorageType.vacuum``: the database's size (with its WAL) before and after."""

    before: int
    after: int
