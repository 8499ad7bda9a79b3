"""The Clipper facade: one method per use case, so the CLI, the Slack app and a web page call
the same methods. ``clipper.wiring.make_clipper`` builds it (the only place concrete adapters
are chosen).

Does not parse user input (the CLI does) and does not decide (``clipper.logic`` does). What a
rep asks is in ``rep_actions``; importing a CRM export is in ``account_import``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from .account_import import AccountImports
from .adapters.chart_mpl import MatplotlibCharts
from .adapters.digest_out import MarkdownDigestWriter, write_admin_notice
from .adapters.mentions_ac import MentionIndex
from .adapters.ner_spacy import NoEntityRecognizer, SpacyEntityRecognizer
from .adapters.secret_file import FileSecret, GivenSecret
from .care import Care
from .config import Config
from .digests import DigestReport, Digests
from .exceptions import (
    ClipperError,
    CommandUsageError,
    DecompressionError,
    DeliveryError,
    ExtractError,
    FetchError,
    ParseError,
    StorageError,
)
from .health import HealthBoard
from .logic.admin import compose_problem_notice
from .logic.delivery import DeliveryPolicy
from .logic.inflate import inflate
from .logic.leases import left_behind, needs_pid_check, parse_owner
from .logic.readiness import readiness
from .logic.watch import parse_watch
from .logic.words import plural
from .outbox import Outbox, SlackDirectory
from .pipeline import LEASE_S, Clock, Pipeline, SourceAdapters, pid_runs
from .ports import (
    ChartRendererType,
    DigestWriterType,
    EmbedderType,
    EntityRecognizerType,
    ExtractorType,
    LinkSecretType,
    MetricsType,
    NoMetrics,
    ParserType,
    RetrieverType,
    SlackApiType,
    StorageType,
    WebhookSenderType,
)
from .rep_actions import RepActions
from .report_links import ReportLinks
from .review import ReviewPacks
from .touch_webhook import TouchWebhooks
from .types import (
    ArticleText,
    CachingInfo,
    EmbedBackend,
    FeedLink,
    FeedStatusRow,
    Health,
    HealthState,
    MatchKind,
    MatchResult,
    PreparedModel,
    Readiness,
    ReleasedClaims,
    SourceType,
    SyncResult,
    UpdateResult,
    UpdateSummary,
)

if TYPE_CHECKING:
    # numpy and the matcher are imported by the methods that embed or match: a command that
    # never does (fetch, report, touches) does not load them (~15 MiB; docs/benchmarks.md)
    from .matcher import Matcher, MentionFinderFactory

FEEDBACK_KINDS = ("not_relevant", "not_this_company")
#: recent articles a new one is compared with for "same story" (within the story window)
RECENT_STORIES = 5000


def make_embedder(config: Config) -> EmbedderType:
    """The embedder ``model.backend`` names, built from ``model:``; loads nothing yet (the
    model loads on first use). Does not import torch or onnxruntime."""
    model = config.settings.model
    match model.backend:
        case EmbedBackend.ONNX:
            from .adapters.embed_onnx import OnnxEmbedder

            return OnnxEmbedder(
                model.name,
                batch_size=model.batch_size,
                threads=model.threads,
                quantize=model.quantize,
                cache_dir=config.resolve(model.cache_dir) if model.cache_dir else None,
            )
        case EmbedBackend.TORCH:
            from .adapters.embed_st import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(
                model.name,
                device=model.device,
                batch_size=model.batch_size,
                threads=model.threads,
                precision=model.precision,
            )
        case unknown:
            assert_never(unknown)


@dataclass(frozen=True)
class Discovery:
    """What ``feeds discover`` found: the URL itself as a feed, or the feeds a page links to."""

    url: str
    is_feed: bool
    title: str | None
    links: tuple[FeedLink, ...]
    #: advertised links that are never fetched (another scheme, an internal address): why
    refused: tuple[tuple[FeedLink, str], ...] = ()


@dataclass(frozen=True)
class AdminNoticeReport:
    """What ``Clipper.tell_admins_about_problems`` did about the skipped configuration parts."""

    #: configuration problems at start (0: nothing was sent or written)
    problems: int
    #: emails of the reps with ``role: admin``
    admins: tuple[str, ...] = ()
    #: admins who got the Slack direct message
    told: tuple[str, ...] = ()
    #: one line per admin who could not be told, or a file that could not be written
    failures: tuple[str, ...] = ()
    #: the Markdown file listing the problems (terminal mode, or when no admin got the DM)
    file: Path | None = None
    #: whether a Slack bot token is configured (else: terminal mode)
    slack: bool = False


class Clipper(RepActions, AccountImports, ReportLinks, TouchWebhooks, ReviewPacks, Care):
    """Everything Clipper does, over ports. Build it with ``make_clipper``.

    What a rep asks of it (watch terms, mutes, settings, touches, the team report) is in
    ``rep_actions.RepActions``, importing a CRM export in ``account_import.AccountImports``,
    and the customer-touch ledger in ``touch_ledger.TouchLedger`` (with the web page's signed
    links over it in ``report_links.ReportLinks``), the quarterly review pack in
    ``review.ReviewPacks``, the feed-health report, retention and backups in ``care.Care``;
    it inherits them all."""

    def __init__(
        self,
        config: Config,
        *,
        storage: StorageType,
        retriever: RetrieverType,
        parser: ParserType,
        extractor: ExtractorType,
        clock: Clock,
        sources: Mapping[str, SourceAdapters] | None = None,
        embedder: EmbedderType | None = None,
        make_finder: MentionFinderFactory = MentionIndex,
        recognizer: EntityRecognizerType | None = None,
        writer: DigestWriterType | None = None,
        slack: SlackApiType | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        delivery: DeliveryPolicy | None = None,
        charts: ChartRendererType | None = None,
        webhook_sender: WebhookSenderType | None = None,
        link_secret: LinkSecretType | None = None,
        metrics: MetricsType | None = None,
    ) -> None:
        self.config = config
        #: set when the process is asked to stop: passes and deliveries claim no more work and
        #: release what they claimed but did not start (``scheduler.GracefulStop`` sets it)
        self.stopping = threading.Event()
        #: why the last reload of the configuration was refused (each problem with file and
        #: line); None when the running configuration is the one on disk. ``health`` reports it
        self.reload_problem: str | None = None
        #: counts what this process does for ``/metrics`` (``NoMetrics``: commands that serve none)
        self.metrics: MetricsType = metrics or NoMetrics()
        #: signs the web page's links (``CLIPPER_WEB_SECRET``, else ``web.secret_file``)
        self.link_secret: LinkSecretType = link_secret or (
            GivenSecret(config.web_secret)
            if config.web_secret
            else FileSecret(config.resolve(config.settings.web.secret_file))
        )
        #: draws the report's chart (matplotlib is imported on the first chart only)
        self.charts: ChartRendererType = charts or MatplotlibCharts()
        #: POSTs new touches to ``touches.webhook`` (None: no webhook configured)
        self.webhook_sender = webhook_sender
        self.slack = slack
        self._embedder = embedder
        self._make_finder = make_finder
        self._recognizer = recognizer
        self._matcher: Matcher | None = None
        self.storage = storage
        self.retriever = retriever
        self.parser = parser
        self.extractor = extractor
        self.clock = clock
        fetch = config.settings.fetch
        self.pipeline = Pipeline(
            storage=storage,
            retriever=retriever,
            sources=sources or {SourceType.FEED: SourceAdapters(retriever, parser)},
            extractor=extractor,
            poll_policy=fetch.poll_policy(),
            entry_policy=fetch.entry_policy(),
            concurrency=fetch.concurrency,
            clock=clock,
            stopping=self.stopping,
        )
        delivery = delivery or config.settings.slack.delivery_policy()
        directory = (
            SlackDirectory(storage, slack, config.reps, clock, delivery)
            if slack is not None
            else None
        )
        #: the outbox worker: delivers queued digest parts (terminal or Slack)
        self.outbox = Outbox(
            storage,
            writer or MarkdownDigestWriter(config.resolve(config.settings.digest.output_dir)),
            slack,
            directory,
            owner=self.pipeline.owner,
            policy=delivery,
            clock=clock,
            monotonic=monotonic,
            # the real sleep is cut short by a stop (a test's injected one is left alone)
            sleep=self._nap if sleep is time.sleep else sleep,
            stopping=self.stopping,
            metrics=self.metrics,
        )
        self.digests = Digests(config, storage, clock, self.outbox, directory)

    def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the process is asked to stop."""
        self.stopping.wait(seconds)

    def reload(self, config: Config) -> None:
        """Run the next passes and ticks with ``config`` (already checked by
        ``config.reload.check_reload``): feeds, accounts, reps, watch terms, matching, digest
        and delivery settings. Clears ``reload_problem``.

        Does not reopen the database, reload the model, or rebuild the HTTP client or the
        servers: the settings those use need a restart (``config.reload.RELOADABLE``).
        """
        self.config = config
        fetch = config.settings.fetch
        self.pipeline.poll_policy = fetch.poll_policy()
        self.pipeline.entry_policy = fetch.entry_policy()
        self.pipeline.concurrency = fetch.concurrency
        delivery = config.settings.slack.delivery_policy()
        self.outbox.policy = delivery
        if self.outbox.directory is not None:
            self.outbox.directory.reps = config.reps
            self.outbox.directory.policy = delivery
        self.digests.reload(config)
        # the matcher is rebuilt by the next match_articles (it sees the new config): never
        # cleared here, under a pass that may be using it
        self.reload_problem = None

    def slack_email(self, user_id: str, ask: Callable[[str], str | None]) -> str | None:
        """Return the email of a Slack user: cached, else what ``ask`` (the caller's
        ``users.info``) says, through the process's one Slack user cache
        (``outbox.SlackDirectory``). Does not say whether they are a rep (``find_rep``).

        Raises:
            DeliveryError: what ``ask`` raises; ``SlackUserNotFoundError`` also when Slack
                said so of this user within ``DeliveryPolicy.unknown_rep_hold``.
        """
        if self.outbox.directory is None:  # no bot token for digests: nothing is cached
            return self.stored_slack_email(user_id) or ask(user_id)
        return self.outbox.directory.email_of(user_id, ask)

    def release_claims(self) -> ReleasedClaims:
        """Give back every claim this process holds (a stop whose grace ran out): feeds and
        articles due again at once for the next start, digest parts back to pending, except a
        part whose ``chat.postMessage`` is in flight (the next claim finds it in the DM by its
        metadata). Does not stop the threads still working: their fenced writes become no-ops.
        """
        return self.storage.release_claims(
            self.pipeline.owner, keep_parts=self.outbox.posting_now()
        )

    def release_left_behind(
        self, runs: Callable[[int], bool] = pid_runs
    ) -> list[tuple[str, ReleasedClaims]]:
        """Give back the claims of earlier processes on this machine that no longer run
        (``logic.leases.left_behind``; ``runs`` says whether a pid runs), so a crash or a stop
        past its grace does not hold their work until the leases expire. Returns each owner
        released with what it held (those that held nothing are left out). Does not touch an
        owner on another host, or one it cannot read: their leases expire on their own.
        """
        me = parse_owner(self.pipeline.owner)
        if me is None:
            return []
        released: list[tuple[str, ReleasedClaims]] = []
        for name in self.storage.lease_owners():
            owner = parse_owner(name)
            if owner is None:
                continue
            alive = runs(owner.pid) if needs_pid_check(owner, me) else True
            if not left_behind(owner, me, pid_runs=alive):
                continue
            claims = self.storage.release_claims(name)
            if claims:
                released.append((name, claims))
        return released

    def health(self) -> Health:
        """Say whether the database answers and whether the configuration loaded whole.

        Does not check Slack or the feeds: a feed that fails is feed health, not process
        health."""
        try:
            self.storage.count_articles()
        except ClipperError as exc:
            return Health(HealthState.DOWN, f"database unavailable: {exc}")
        if self.reload_problem is not None:
            return Health(
                HealthState.DEGRADED,
                f"configuration reload refused, still running the previous one: "
                f"{self.reload_problem}",
            )
        skipped = len(self.config.problems)
        if skipped:
            return Health(
                HealthState.DEGRADED,
                f"{plural(skipped, 'configuration part')} skipped ('clipper check' lists them)",
            )
        return Health(HealthState.OK)

    def readiness(self, board: HealthBoard) -> Readiness:
        """Say whether this process is ready (``/readyz``): the database takes a write, every
        job on ``board`` ticked within twice its interval, the configuration loaded whole, the
        last reload was not refused (``reload_problem``) and nothing reported a problem on
        ``board``. Does not raise: a database error is a reason."""
        try:
            self.storage.check_writable(self.clock())
            database = None
        except ClipperError as exc:
            database = f"not writable: {exc}"
        return readiness(
            database=database,
            skipped_config=len(self.config.problems),
            reported={
                **board.problems(),
                **({"config reload": self.reload_problem} if self.reload_problem else {}),
            },
            jobs=board.jobs(),
            now_s=board.now(),
        )

    def tell_admins_about_problems(self) -> AdminNoticeReport:
        """Send each rep with ``role: admin`` one Slack DM listing the skipped configuration
        parts (``logic.admin``: the first 20, feed-URL secrets redacted). Without a Slack token,
        or when no admin got the DM, write the list to
        ``<digest.output_dir>/admin/config-problems-<time>.md`` instead.

        Call it once per process start: it does not remember what it sent. A Slack or file
        error is reported in ``failures``; it never raises for one and does not retry.
        """
        problems = self.config.problems
        if not problems:
            return AdminNoticeReport(0)
        now = self.clock()
        notice = compose_problem_notice(problems, str(self.config.path), now)
        admins = tuple(r for r in self.config.reps if r.role == "admin")
        told: list[str] = []
        failures: list[str] = []
        if self.slack is not None:
            key = f"config-problems:{now:%Y%m%dT%H%M%SZ}"
            for admin in admins:
                try:
                    user = admin.slack_id or self.slack.lookup_user(admin.email)
                    channel = self.slack.open_dm(user)
                    self.slack.post(channel, notice.text, list(notice.blocks), key)
                except DeliveryError as exc:
                    failures.append(f"{admin.email}: {exc}")
                else:
                    told.append(admin.email)
        file = None
        if self.slack is None or not told:
            folder = self.config.resolve(self.config.settings.digest.output_dir)
            try:
                file = write_admin_notice(folder, notice.markdown, now)
            except StorageError as exc:
                failures.append(str(exc))
        return AdminNoticeReport(
            len(problems),
            tuple(a.email for a in admins),
            tuple(told),
            tuple(failures),
            file,
            self.slack is not None,
        )

    def close(self) -> None:
        self.retriever.close()
        if self.webhook_sender is not None:
            self.webhook_sender.close()
        self.storage.close()

    def __enter__(self) -> Clipper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ digests

    def digest(
        self, *, rep: str | None = None, force: bool = False, dry_run: bool = False
    ) -> DigestReport:
        """Queue due digests (every rep's pending one with ``force``) and managers' weekly team
        digests, and deliver the outbox.

        Raises:
            SlackAuthError: Slack refused the bot token; nothing more was sent.
        """
        report = self.digests.compose_due(rep=rep, force=force, dry_run=dry_run)
        # managers' weekly team digests, with the numbers /clip report shows
        self.digests.compose_team(
            self.touch_report, rep=rep, force=force, dry_run=dry_run, report=report
        )
        if dry_run:
            return report
        for queued in report.queued:
            self.metrics.digest_queued(queued.kind)
        return self.digests.deliver(rep=rep, report=report)

    # ------------------------------------------------------------------ feeds

    def sync_feeds(self) -> SyncResult:
        """Bring the stored feeds in line with the catalogs and account templates."""
        return self.storage.sync_feeds(self.config.feed_sources(), self.clock())

    def update_feeds(
        self,
        *,
        due_only: bool = True,
        on_start: Callable[[int], None] | None = None,
        on_result: Callable[[UpdateResult], None] | None = None,
    ) -> UpdateSummary:
        """Sync the configured feeds, then fetch the due ones (or every enabled one).

        Each feed is counted (``/metrics``) and handed to ``on_result`` as soon as its write
        finishes, not at the end of the pass: one slow feed does not hold back the others."""
        self.sync_feeds()

        def counted(result: UpdateResult) -> None:
            self.metrics.feed_fetched(result.status, result.reason)
            self.metrics.articles_stored(result.new)
            if on_result is not None:
                on_result(result)

        return self.pipeline.update_feeds(due_only=due_only, on_start=on_start, on_result=counted)

    def feed_statuses(self) -> list[FeedStatusRow]:
        return self.storage.feed_statuses()

    def enable_feed(self, url: str) -> bool:
        """Re-enable a disabled feed and poll it on the next run."""
        return self.storage.enable_feed(url, self.clock())

    def discover(self, url: str) -> Discovery:
        """Tell whether ``url`` is a feed; otherwise list the feeds its page advertises.

        Only http(s) links to addresses the retriever may connect to are listed; the others are
        returned in ``refused`` with the reason.

        Raises:
            FetchError: the URL could not be fetched.
        """
        retrieved = self.retriever.retrieve(url, CachingInfo(), None)
        content = retrieved.content or b""
        try:
            parsed = self.parser.parse(retrieved)
            if parsed.entries or not parsed.warning:
                return Discovery(retrieved.url, True, parsed.title, ())
        except ParseError:
            pass
        links: list[FeedLink] = []
        refused: list[tuple[FeedLink, str]] = []
        for link in self.parser.find_feed_links(content, retrieved.url):
            why = self.retriever.refusal(link.url)
            if why is None:
                links.append(link)
            else:
                refused.append((link, why))
        return Discovery(retrieved.url, False, None, tuple(links), tuple(refused))

    # ------------------------------------------------------------------ matching

    @property
    def embedder(self) -> EmbedderType:
        """The embedding model (loaded on first use, not at start-up)."""
        if self._embedder is None:
            self._embedder = make_embedder(self.config)
        return self._embedder

    def prepare_model(self) -> PreparedModel:
        """Make the embedding model ready to load fast: with the onnx backend, export (once)
        and check its cached ONNX copy; with torch, load the model once. Encodes nothing.

        Raises:
            EmbedderError: the model cannot be exported or loaded.
        """
        from .adapters.embed_onnx import OnnxEmbedder

        embedder = self.embedder
        if isinstance(embedder, OnnxEmbedder):
            return embedder.prepare()
        started = time.monotonic()
        embedder.encode(["ready"])
        return PreparedModel(EmbedBackend.TORCH, None, False, time.monotonic() - started)

    def match_articles(self, articles: Sequence[ArticleText]) -> list[MatchResult]:
        """Link articles to the configured accounts and industries, with reasons.

        Raises:
            EmbedderError: the embedding model cannot be loaded.
        """
        if self._matcher is None or self._matcher.config is not self.config:  # or reloaded
            from .embeddings import EmbeddingCache
            from .matcher import Matcher

            cache = EmbeddingCache(self.embedder, self.storage, self.clock, self.metrics)
            if self._recognizer is None:
                pipeline = self.config.settings.model.entities
                self._recognizer = (
                    NoEntityRecognizer() if pipeline == "off" else SpacyEntityRecognizer(pipeline)
                )
            self._matcher = Matcher(self.config, cache, self._make_finder, self._recognizer)
        return self._matcher.match(articles)

    def preview_watch_term(self, source: str, *, days: int = 7) -> list[tuple[str, str, str]]:
        """Return (title, url, why) for recent articles a watch term would have caught; stores
        nothing.

        Raises:
            CommandUsageError: the term is not valid.
            EmbedderError: a semantic term needs the model and it cannot be loaded.
        """
        term = parse_watch(source)
        articles = self.storage.recent_articles(self.clock() - timedelta(days=days))
        hits: list[tuple[str, str, str]] = []
        if term.semantic:
            if not articles:
                return []
            from .embeddings import EmbeddingCache
            from .matcher import embedding_text

            cache = EmbeddingCache(self.embedder, self.storage, self.clock)
            texts = [embedding_text(a.title or "", a.summary or "") for a in articles]
            vectors = cache.embed([term.semantic, *texts])
            threshold = self.config.settings.matching.watch_threshold
            scored = sorted(
                ((float(vectors[0] @ vectors[n + 1]), a) for n, a in enumerate(articles)),
                key=lambda pair: -pair[0],
            )
            for similarity, a in scored:
                if similarity >= threshold:
                    hits.append((a.title or "", a.url or "", f"similarity {similarity:.2f}"))
            return hits
        for a in articles:
            words = term.matches(f"{a.title or ''}\n{a.summary or ''}")
            if words is not None:
                hits.append((a.title or "", a.url or "", "matched " + ", ".join(words)))
        return hits

    def record_feedback(
        self, account: str, article_id: int, kind: str, rep: str | None = None
    ) -> bool:
        """Record that a match was wrong: ``not_relevant`` or ``not_this_company``.

        Future articles close to this one are no longer matched to the account. Returns False
        when the article does not exist.

        Raises:
            CommandUsageError: unknown kind or account.
        """
        if kind not in FEEDBACK_KINDS:
            raise CommandUsageError(f"feedback is one of {', '.join(FEEDBACK_KINDS)}")
        if account not in {a.name for a in self.config.accounts}:
            raise CommandUsageError(f"no account named {account!r}")
        return self.storage.add_feedback(account, article_id, kind, rep, self.clock())

    def match_pending(self, *, batch: int = 256, limit: int = 100_000) -> tuple[int, int]:
        """Match stored articles waiting for it; return (articles matched, matches stored).

        The model loads only when there is something to match.
        """
        owner = self.pipeline.owner
        articles = matches = 0
        while articles < limit and not self.stopping.is_set():  # a stop ends it between batches
            claimed = self.storage.claim_for_matching(self.clock(), owner, LEASE_S, batch)
            if not claimed:
                break
            results = self.match_articles(
                [ArticleText(str(a.id), a.title, a.text, a.source_industry) for a in claimed]
            )
            assert self._matcher is not None
            from .matcher import assign_stories

            window = self._matcher.story_policy.window
            now = self.clock()
            stories = assign_stories(
                self._matcher.embeddings,
                self._matcher.story_policy,
                claimed,
                self.storage.recent_stories(now - window, RECENT_STORIES),
                now,
            )
            stored = self.storage.finish_matching(
                [(a.id, r) for a, r in zip(claimed, results, strict=True)],
                owner,
                self.clock(),
                stories,
            )
            matches += stored
            articles += len(claimed)
            self.metrics.matched(MatchKind.ACCOUNT, stored)
            self.metrics.matched(MatchKind.INDUSTRY, sum(len(r.industries) for r in results))
        return articles, matches

    # ------------------------------------------------------------------ pages

    def extract(self, source: str) -> str:
        """Return the main text of an HTML file (gzip accepted) or of a page at a URL.

        Raises:
            ExtractError: no main text, or the file cannot be read.
            FetchError: the URL could not be fetched.
        """
        if source.startswith(("http://", "https://")):
            retrieved = self.retriever.get_page(source, None)
            return self.extractor.extract(retrieved.content or b"", retrieved.url)
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExtractError(f"cannot read {source}: {exc.strerror or exc}") from exc
        if path.suffix == ".gz" and data[:2] == b"\x1f\x8b":
            try:
                data = inflate(data, self.config.settings.fetch.max_body_size)
            except DecompressionError as exc:
                raise ExtractError(f"{source}: {exc}") from exc
        return self.extractor.extract(data, None)


__all__ = ["AdminNoticeReport", "Clipper", "Discovery", "FetchError"]
