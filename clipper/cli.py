"""The ``clipper`` command: parse arguments, call the facade, print with rich.

Thin on purpose: no decisions here. Every command has help text (a test checks it).
Over 500 lines because it is one concept, the command-line surface: one short function per
command, so this file and ``clipper --help`` list the same commands.
"""

from __future__ import annotations

import dataclasses
import getpass
import io
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .config import Config, find_config_path, load_config
from .core import Clipper
from .digests import DigestReport
from .exceptions import (
    ClipperError,
    CommandUsageError,
    ConfigError,
    EmbedderError,
    StorageError,
)
from .logic.coverage_report import (
    DARK_COLUMN,
    ONE_CONTACT_COLUMN,
    CoverageReport,
    report_csv,
    report_html,
    report_json,
    shares_text,
    streak_text,
)
from .logic.review import review_html, review_markdown
from .logic.touches import ONE_CONTACT
from .logic.urls import redact_url
from .logic.web_report import PAGE_PATH
from .logic.words import plural
from .scheduler import run_ticks
from .server import SLACK_PATH, Metrics, Server, make_wsgi
from .slackapp import WorkQueue, make_slack_app
from .types import (
    ArticleText,
    FetchStatus,
    MatchResult,
    Touch,
    TouchChannel,
    UpdateResult,
    UpdateSummary,
)
from .webreport import make_report_app
from .wiring import make_clipper

#: wider than any line: piped output (a file, ``less``, another program) is never cut or wrapped
PIPE_WIDTH = 100_000


def _console(*, stderr: bool = False) -> Console:
    """Return a console that wraps on word boundaries at a terminal's width (never crops: a word
    longer than the line is folded) and, when the output is not a terminal, writes every line
    whole (rich would cut it at 80 columns)."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=PIPE_WIDTH)
    return console


out = _console()
err = _console(stderr=True)


class State:
    def __init__(self, config_path: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.verbose = verbose

    def config(self, *, quiet: bool = False) -> Config:
        """Load the configuration; raises ``ConfigError`` when the settings file is unusable."""
        config = load_config(find_config_path(self.config_path, os.environ), os.environ)
        if not quiet:
            for problem in config.problems:
                # not "skipped": an account whose owner is unknown is still loaded
                err.print(f"[yellow]problem:[/] {escape(problem)}")
        return config

    @contextmanager
    def clipper(self, *, quiet: bool = False) -> Iterator[Clipper]:
        """Yield the facade, closed after; its errors are left to ``_Main``'s handler."""
        with make_clipper(self.config(quiet=quiet)) as clipper:
            yield clipper


pass_state = click.make_pass_decorator(State)


def exit_code(exc: ClipperError) -> int:
    """Return the exit code ``docs/cli.md`` gives an error that ends a command.

    2: the configuration, the database or the embedding model could not be used; 1: the command
    ran but met a problem (a feed or page that cannot be fetched, Slack refusing the token).
    """
    return 2 if isinstance(exc, ConfigError | StorageError | EmbedderError) else 1


class _Main(click.Group):
    """The top command and the CLI's one error handler.

    Any ``ClipperError`` a command lets out ends in one line per problem and ``exit_code``'s
    code, without a traceback; anything else is a bug and keeps its traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClipperError as exc:
            print_error(exc)
            raise click.exceptions.Exit(exit_code(exc)) from None


def print_error(exc: ClipperError) -> None:
    """Print an error as ``error: ...`` lines, one per problem; does not exit."""
    # a read-only folder, a full disk, a refused token: not a bug, so no traceback (the cause
    # is chained, and logged with -vv)
    logging.getLogger("clipper").debug("%s", type(exc).__name__, exc_info=True)
    problems = exc.problems if isinstance(exc, ConfigError) else ()
    for problem in problems or (str(exc),):
        err.print(f"[red]error:[/] {escape(problem)}")


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Settings file (default: $CLIPPER_CONFIG, else config/clipper.yaml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="clipper")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Clipper: news clipping for sales teams, per account, with reasons."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    ctx.obj = State(config_path, verbose)


@main.command()
@pass_state
def check(state: State) -> None:
    """Validate settings, feed catalogs, accounts and reps; list every problem.

    Exits non-zero when anything is wrong, naming file, line and key.
    """
    config = state.config(quiet=True)
    for problem in config.problems:
        out.print(f"[red]✗[/] {escape(problem)}")
    for warning in config.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    feeds = config.feed_sources()
    out.print(
        f"{plural(len(config.catalogs), 'industry', 'industries')}, {plural(len(feeds), 'feed')}, "
        f"{plural(len(config.accounts), 'account')}, {plural(len(config.reps), 'rep')} "
        f"({config.path})"
    )
    if config.problems:
        out.print(f"[red]{plural(len(config.problems), 'problem')} found[/]")
        raise click.exceptions.Exit(1)
    out.print("[green]configuration OK[/]")


def _fetch(clipper: Clipper, due_only: bool) -> UpdateSummary:
    interactive = err.is_terminal
    progress = Progress(
        TextColumn("fetching feeds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
        disable=not interactive,
    )
    task = progress.add_task("", total=0)

    def started(count: int) -> None:
        progress.update(task, total=count)

    def finished(result: UpdateResult) -> None:
        progress.update(task, advance=1, description=escape(result.name[:40]))

    with progress:
        return clipper.update_feeds(due_only=due_only, on_start=started, on_result=finished)


def _duration_text(seconds: float) -> str:
    """Return a duration as the configuration writes it: "14d", "12h", "30m", "45s"."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _print_baseline(summary: UpdateSummary, config: Config | None) -> None:
    """Say, once per pass, how many first-fetch items were kept as history and not matched,
    and which setting would match them. Does not list the feeds."""
    count = summary.baseline_articles
    if not count or config is None:
        return
    window = _duration_text(config.settings.fetch.backfill_window)
    out.print(
        f"{count} item{'s' if count != 1 else ''} older than fetch.backfill_window ({window}) "
        f"on first fetch {'were' if count != 1 else 'was'} kept as history, not matched; raise "
        f"fetch.backfill_window in {escape(_shown_path(config.path))} to match "
        f"{'them' if count != 1 else 'it'}"
    )


def _print_summary(summary: UpdateSummary, verbose: int, config: Config | None = None) -> None:
    failures = [r for r in summary.results if r.status in (FetchStatus.ERROR, FetchStatus.DISABLED)]
    for result in failures:
        label = "disabled" if result.status is FetchStatus.DISABLED else "failed"
        out.print(
            f"[red]{label}[/] {escape(result.name)} <{escape(redact_url(result.url))}>: "
            f"{escape(redact_url(result.error or ''))}"
        )
    if verbose:
        for result in summary.results:
            if result.warning:
                out.print(f"[yellow]warning[/] {escape(result.name)}: {escape(result.warning)}")
    parts = [
        f"{summary.count(FetchStatus.OK)} ok",
        f"{summary.count(FetchStatus.NOT_MODIFIED)} not modified",
        f"{summary.count(FetchStatus.ERROR) + summary.count(FetchStatus.DISABLED)} failed",
    ]
    if summary.count(FetchStatus.RATE_LIMITED):
        parts.append(f"{summary.count(FetchStatus.RATE_LIMITED)} rate-limited")
    line = f"feeds: {', '.join(parts)}; new articles: {summary.new_articles}"
    if summary.extracted or summary.extract_failed:
        line += f"; pages extracted: {summary.extracted} ({summary.extract_failed} failed)"
    out.print(line)
    _print_baseline(summary, config)


@main.command()
@click.option("--once", is_flag=True, help="Run one pass and exit (default: keep polling).")
@click.option(
    "--all",
    "all_feeds",
    is_flag=True,
    help="Poll every enabled feed now, not only due ones (Retry-After still honoured).",
)
@pass_state
def fetch(state: State, once: bool, all_feeds: bool) -> None:
    """Fetch feeds and store new articles, with a summary of what happened."""
    with state.clipper() as clipper:
        if once:
            summary = _fetch(clipper, not all_feeds)
            _print_summary(summary, state.verbose, clipper.config)
            if summary.count(FetchStatus.ERROR) or summary.count(FetchStatus.DISABLED):
                # the pass ran, but not every feed it was asked to fetch could be (docs/cli.md)
                raise click.exceptions.Exit(1)
            return
        tick = clipper.config.settings.fetch.tick
        run_ticks(
            {"fetch": (tick, lambda: _print_summary(_fetch(clipper, True), 0, clipper.config))}
        )


@main.command()
@click.option("--once", is_flag=True, help="Run one full cycle (fetch, match, digests) and exit.")
@click.option("--limit", default=0, show_default=True, help="Also print the N newest matches.")
@pass_state
def run(state: State, once: bool, limit: int) -> None:
    """Run Clipper: fetch feeds on schedule, match new articles, send digests when due.

    Without Slack credentials digests are printed here and saved as Markdown files.
    """
    with state.clipper() as clipper:
        for warning in clipper.config.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}")

        def fetch_and_match() -> None:
            summary = _fetch(clipper, True)
            _print_summary(summary, state.verbose, clipper.config)
            try:
                articles, matches = clipper.match_pending()
            except ClipperError as exc:
                err.print(f"[red]matching failed:[/] {escape(str(exc))}")
                return
            out.print(
                f"matched {plural(articles, 'new article')}: "
                f"{plural(matches, 'account match', 'account matches')}"
            )
            clipper.digests.pass_finished(clipper.clock())  # due digests may go out now
            _print_matches(clipper, limit)

        def digests() -> None:
            _print_digest_report(clipper.digest(rep=None, force=False, dry_run=False), config)

        def digests_tick() -> None:
            try:
                digests()
            except ClipperError as exc:  # told once; the next tick tries again
                print_error(exc)

        told: set[str] = set()

        def touch_webhook() -> None:
            _deliver_webhook(clipper, told)

        config = clipper.config
        clipper.digests.runs_passes = True  # a due digest waits for the matching it needs

        if once:
            fetch_and_match()
            digests()
            touch_webhook()
            if config.problems:
                # what is valid ran; the exit code says that something was skipped
                err.print(
                    f"[red]{plural(len(config.problems), 'configuration problem')}[/]: "
                    "the entries named above were skipped or are incomplete "
                    "('clipper check' lists them)"
                )
                raise click.exceptions.Exit(1)
            return
        if config.problems:
            logging.getLogger("clipper").warning(
                "running without %d skipped configuration part(s): %s",
                len(config.problems),
                " | ".join(config.problems),
            )
            _tell_admins(clipper)
        server = None
        listen = config.settings.web.listen_address()
        if config.slack_app_ready:
            server = _start_slack(clipper, config.settings.slack.host, config.settings.slack.port)
        elif listen is not None:  # no Slack: the web page alone, where web.listen says
            server = _start_slack(clipper, *listen, slack=False)
        tick = config.settings.fetch.tick
        try:
            run_ticks(
                {
                    "fetch and match": (tick, fetch_and_match),
                    "digests": (60.0, digests_tick),
                    "touch webhook": (60.0, touch_webhook),
                },
                then={"fetch and match": "digests"},
            )
        finally:
            if server is not None:
                server.close()


def _deliver_webhook(clipper: Clipper, told: set[str]) -> None:
    """Send the touch webhook's due touches and say what happened (nothing when there was
    nothing to do; a problem once, ``told`` keeps it); a storage failure is told and the next
    tick tries again."""
    try:
        done = clipper.deliver_touch_webhooks()
        backlog = clipper.webhook_backlog() if done.failed or done.given_up else None
    except ClipperError as exc:
        print_error(exc)
        return
    if done.problem is not None and done.problem not in told:
        told.add(done.problem)
        err.print(f"[red]error:[/] {escape(done.problem)}")
    if done.delivered or done.failed or done.given_up:
        line = f"touch webhook: {done.delivered} delivered, {done.failed} to retry"
        if done.given_up:
            line += f", {done.given_up} given up"
        if backlog is not None:
            line += f" ({backlog.pending} waiting, {backlog.given_up} given up in all)"
        out.print(line)


def _tell_admins(clipper: Clipper) -> None:
    """Log what ``Clipper.tell_admins_about_problems`` did, one line each; never stops."""
    log = logging.getLogger("clipper")
    report = clipper.tell_admins_about_problems()
    if not report.problems:
        return
    if report.told:
        log.warning(
            "told %s on Slack about %d skipped configuration part(s)",
            ", ".join(report.told),
            report.problems,
        )
    if report.slack and not report.admins:
        log.warning(
            "no rep in the reps file has role: admin: nobody was told on Slack about the %d "
            "skipped configuration part(s)",
            report.problems,
        )
    for failure in report.failures:
        log.warning("could not tell the admin about the skipped configuration parts: %s", failure)
    if report.file is not None:
        log.warning(
            "the %d skipped configuration part(s) are listed in %s", report.problems, report.file
        )


def _start_slack(clipper: Clipper, host: str, port: int, *, slack: bool = True) -> Server:
    """Start the HTTP server: /healthz, /metrics and the web page (/report), and with
    ``slack`` the Slack app (HTTP at /slack/events, or Socket Mode with SLACK_APP_TOKEN)."""
    config = clipper.config
    settings = config.settings.slack
    metrics = Metrics()
    pages = make_report_app(clipper)
    work: WorkQueue | None = None
    if not slack:
        wsgi = make_wsgi(None, metrics, clipper.health, pages=pages)
    else:
        work = WorkQueue.from_settings(settings)
        app = make_slack_app(clipper, work=work)  # a refused token: exit 1 (_Main)
        if config.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, config.slack_app_token).connect()  # type: ignore[no-untyped-call]
            # Slack payloads arrive over the WebSocket: the HTTP server answers the rest
            wsgi = make_wsgi(None, metrics, clipper.health, pages=pages)
        else:
            wsgi = make_wsgi(
                app,
                metrics,
                clipper.health,
                signing_secret=config.slack_signing_secret,
                pages=pages,
            )
    server = Server(
        wsgi,
        host,
        port,
        connection_limit=settings.connection_limit,
        channel_timeout_s=settings.channel_timeout,
        on_close=work.shutdown if work is not None else None,
    ).start()
    clipper.serve_report_at(host, server.port)  # its /clip report links point here
    where = f"http://{host}:{server.port}"
    page = f"report page (signed links only) on {where}{PAGE_PATH}"
    if not slack:
        out.print(
            f"Slack not configured (no SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET): no Slack "
            f"routes; {page}; health and metrics on {where}"
        )
    elif config.slack_app_token:
        out.print(f"Slack app in Socket Mode; {page}; health and metrics on {where}")
    else:
        out.print(f"Slack app listening on {where}{SLACK_PATH}; {page}")
    return server


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (default: slack.port, 3000; 0 picks a free one).",
)
@click.option("--host", default=None, help="Interface (default: slack.host, all).")
@pass_state
def serve(state: State, port: int | None, host: str | None) -> None:
    """Serve /healthz, /metrics, the manager's web page (/report, signed links only) and,
    with Slack configured, the Slack app (/clip and the digest buttons).

    The Slack routes need SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for
    Socket Mode); without them the rest is served and the startup line says so.
    """
    with state.clipper() as clipper:
        config = clipper.config
        _tell_admins(clipper)
        server = _start_slack(
            clipper,
            host if host is not None else config.settings.slack.host,
            port if port is not None else config.settings.slack.port,  # 0: any free port
            slack=config.slack_app_ready,
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()


def _shown_path(path: Path) -> str:
    """Return ``path`` relative to the working folder when it is under it (as typed)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _print_too_old(report: DigestReport, config: Config, console: Console) -> None:
    """Say how many matches the digest window left out, and which setting widens it."""
    if not report.too_old:
        return
    days = config.settings.digest.lookback_days
    count = report.too_old
    console.print(
        f"{count} match{'es' if count != 1 else ''} older than {days} day{'s' if days != 1 else ''}"
        f" {'were' if count != 1 else 'was'} left out; raise digest.lookback_days in "
        f"{escape(_shown_path(config.path))} to include {'them' if count != 1 else 'it'}"
    )


def _print_digest_report(report: DigestReport, config: Config) -> None:
    for rep, kind, digest_id in report.queued:
        out.print(f"queued {kind} {digest_id} for {escape(rep)}")
    for rep in report.waiting:
        out.print(f"digest for {escape(rep)} is due; it waits for matching still in progress")
    if report.sent or report.pending:
        out.print(
            f"delivered {plural(report.sent, 'digest message')}; {report.pending} waiting to retry"
        )
    for problem in report.problems:
        err.print(f"[yellow]digest:[/] {escape(problem)}")
    _print_too_old(report, config, out)


@main.command()
@click.option("--rep", "rep", metavar="EMAIL", help="Only this rep.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the Markdown of the digests that are due (with --now: every pending one); "
    "send and record nothing.",
)
@click.option(
    "--now",
    "now",
    is_flag=True,
    help="Match waiting articles, then send each rep's pending digest now, whatever the schedule.",
)
@pass_state
def digest(state: State, rep: str | None, dry_run: bool, now: bool) -> None:
    """Compose and deliver digests (to Slack, or to the terminal and var/digests/)."""
    # a dry run's standard output is the Markdown alone (``> digest.md``); remarks go to stderr
    notes = err if dry_run else out
    with state.clipper() as clipper:
        if rep is not None and rep.lower() not in {r.email for r in clipper.config.reps}:
            where = clipper.config.resolve(clipper.config.settings.reps)
            err.print(f"[red]unknown rep:[/] {escape(rep)} is not in {where}")
            raise SystemExit(2)
        if now:
            try:
                articles, _matches = clipper.match_pending()
                if articles:
                    notes.print(f"matched {plural(articles, 'waiting article')}")
            except ClipperError as exc:
                err.print(f"[yellow]matching failed, sending what is matched:[/] {exc}")
        report = clipper.digest(rep=rep, force=now, dry_run=dry_run)
        for manager in report.team_sent:
            notes.print(
                f"the team summary for {escape(manager)} was already sent this week; "
                "--now does not send it again"
            )
        if dry_run:
            for number, preview in enumerate(report.previews):
                _print_markdown(preview, first=number == 0)
            if not report.previews:
                notes.print(
                    "nothing pending"
                    if now or report.skipped_empty
                    else "no digest is due (use --now to preview every pending digest)"
                )
            _print_too_old(report, clipper.config, notes)
            return
        _print_digest_report(report, clipper.config)
        if not report.queued and not report.sent:
            out.print(
                "nothing pending"
                if now or report.skipped_empty
                else "no digest is due (use --now to send every pending digest)"
            )


def _print_markdown(markdown: str, *, first: bool) -> None:
    """Print Markdown: rendered at a terminal, exactly as written when piped."""
    if out.is_terminal:
        out.print(Markdown(markdown))
        return
    if not first:
        click.echo("")
    click.echo(markdown, nl=not markdown.endswith("\n"))


def _print_matches(clipper: Clipper, limit: int) -> None:
    if limit <= 0:
        return
    rows = clipper.storage.recent_matches(limit=limit)
    if not rows:
        return
    owners = {a.name: a.owner or "-" for a in clipper.config.accounts}
    table = Table(title="Newest matches", title_justify="left", expand=False)
    for column in ("account", "owner", "article", "event", "why"):
        table.add_column(column, overflow="fold")
    for row in rows:
        event = row.event or ""
        if event and not row.shareable:
            event += " (for you only)"
        table.add_row(
            escape(row.account),
            escape(owners.get(row.account, "-")),
            f"{escape(row.title)}\n[dim]{escape(row.source)}[/]",
            escape(event),
            escape(row.reasons[0] if row.reasons else ""),
        )
    out.print(table)


@main.group()
def feeds() -> None:
    """Feed health and discovery."""


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{int(seconds // size)}{unit}"
            break
    else:
        text = f"{int(seconds)}s"
    return f"in {text}" if future else f"{text} ago"


@feeds.command("status")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per feed instead of a table."
)
@pass_state
def feeds_status(state: State, as_json: bool) -> None:
    """Show every feed's health: last success, errors, gaps, disabled reason, items, next check."""
    with state.clipper() as clipper:
        clipper.sync_feeds()
        rows = clipper.feed_statuses()
    now = datetime.now(UTC)
    if as_json:
        for row in rows:
            record = {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in dataclasses.asdict(row).items()
            }
            for key in ("url", "redirected_to", "last_error", "disabled_reason"):
                if isinstance(record.get(key), str):
                    record[key] = redact_url(record[key])
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table(expand=False)
    for column in (
        "feed",
        "industry",
        "last success",
        "errors",
        "last error / disabled",
        "items",
        "next check",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        if not row.active:
            problem = "[dim]removed from config[/]"
        elif row.disabled_reason:
            problem = f"[red]disabled:[/] {escape(redact_url(row.disabled_reason))}"
        elif row.last_error:
            problem = f"[yellow]{escape(redact_url(row.last_error))}[/]"
        else:
            problem = ""
        if row.redirected_to:
            problem += f"\n[dim]moved to {escape(redact_url(row.redirected_to))}[/]"
        if row.gaps:
            plural = "s" if row.gaps > 1 else ""
            problem += f"\n[yellow]{row.gaps} gap{plural}[/], last {_ago(row.last_gap_at, now)}"
        table.add_row(
            f"{escape(row.name)}\n[dim]{escape(redact_url(row.url))}[/]",
            escape(row.industry or "-"),
            _ago(row.last_success_at, now),
            str(row.error_count),
            problem,
            str(row.items),
            "-" if row.disabled_reason or not row.active else _ago(row.next_check_at, now),
        )
    out.print(table)


@feeds.command("discover")
@click.argument("url")
@pass_state
def feeds_discover(state: State, url: str) -> None:
    """List the feeds a web page advertises (or confirm URL is a feed)."""
    with state.clipper() as clipper:
        found = clipper.discover(url)
    if found.is_feed:
        out.print(f"{escape(redact_url(found.url))} is a feed: {escape(found.title or '')}")
        return
    for link, why in found.refused:
        err.print(f"[yellow]refused[/] {escape(redact_url(link.url))}: {escape(why)}")
    if not found.links:
        out.print(f"no feeds found on {escape(redact_url(found.url))}")
        raise click.exceptions.Exit(1)
    for link in found.links:
        click.echo(f"{redact_url(link.url)}\t{link.kind}\t{link.title or ''}")


@feeds.command("enable")
@click.argument("url")
@pass_state
def feeds_enable(state: State, url: str) -> None:
    """Re-enable a disabled feed (clears its errors; polled on the next run)."""
    with state.clipper() as clipper:
        if not clipper.enable_feed(url):
            err.print(f"[red]error:[/] no stored feed has the URL {escape(redact_url(url))}")
            raise click.exceptions.Exit(1)
    out.print(f"enabled {escape(redact_url(url))}")


@main.group()
def accounts() -> None:
    """Customer accounts."""


@accounts.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of the configured accounts file.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@pass_state
def accounts_import(state: State, csv_file: Path, out_path: Path | None, dry_run: bool) -> None:
    """Import accounts from a Salesforce or HubSpot CSV export.

    Bad rows are reported by line number and skipped. A good row updates the account with the
    same ticker, domain or name (legal forms like "Inc." aside), else adds one; watch and
    exclude terms, comments and a known industry are kept. --out writes the whole merged file.
    """
    with state.clipper(quiet=True) as clipper:
        result, merged, target = clipper.import_accounts(csv_file, out=out_path, dry_run=dry_run)
    skipped = (*result.problems, *merged.problems)
    for problem in skipped:
        err.print(f"[red]skipped[/] {escape(problem)}")
    for warning in result.warnings:
        err.print(f"[yellow]warning[/] {escape(warning)}")
    # one line per row applied, in the same words for a dry run and a real one
    for note in merged.notes:
        out.print(escape(note))
    added, updated = ("would add", "would update") if dry_run else ("added", "updated")
    out.print(
        f"{plural(len(result.accounts) - len(merged.problems), 'good row')}, "
        f"{len(skipped)} skipped; "
        f"{added} {merged.added}, {updated} {merged.updated}, {merged.unchanged} unchanged "
        f"in {target}"
    )
    if dry_run:
        out.print("dry run: nothing written")
    if not result.accounts and result.problems:
        raise click.exceptions.Exit(1)


@main.group()
def touches() -> None:
    """The customer-touch ledger: import CRM activity, list touches, delete a mistake."""


@touches.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def touches_import(state: State, csv_file: Path) -> None:
    """Add the touches of a Salesforce Task or HubSpot activity CSV export to the ledger.

    The CRM is told by the header. Bad rows (unknown account or rep, a missing, unreadable or
    future date) are reported by line, column and reason, and the good rows are kept; the
    exit code is 1 when any row was bad. Importing the same file again adds nothing.
    """
    with state.clipper(quiet=True) as clipper:
        result = clipper.import_touches(csv_file)
    for problem in result.problems:
        err.print(f"[red]error:[/] {escape(problem)}")
    if result.dialect is not None:
        kind = "Salesforce" if result.dialect is TouchChannel.SALESFORCE else "HubSpot"
        out.print(
            f"{kind} export {escape(str(csv_file))}: {plural(result.rows, 'row')}; added "
            f"{result.added}, "
            f"{result.duplicates} already in the ledger, {len(result.problems)} bad"
        )
    if result.problems:
        raise click.exceptions.Exit(1)


def _touch_record(touch: Touch) -> dict[str, Any]:
    record: dict[str, Any] = {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in dataclasses.asdict(touch).items()
        if k != "void"
    }
    record["channel"] = touch.channel.value
    record["void"] = (
        None
        if touch.void is None
        else {"by": touch.void.by, "at": touch.void.at.isoformat(), "reason": touch.void.reason}
    )
    return record


@touches.command("list")
@click.option("--account", metavar="NAME", help="Only this account (its name or an alias).")
@click.option("--rep", metavar="EMAIL", help="Only this rep's touches.")
@click.option("--since", metavar="DATE", help="From this date (YYYY-MM-DD) or quarter (2026Q4).")
@click.option("--all", "include_voided", is_flag=True, help="Also deleted touches, with why.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per touch, no table.")
@pass_state
def touches_list(
    state: State,
    account: str | None,
    rep: str | None,
    since: str | None,
    include_voided: bool,
    as_json: bool,
) -> None:
    """List the ledger's touches, oldest first, with their ids (for 'touches delete')."""
    with state.clipper(quiet=True) as clipper:
        found = clipper.list_touches(
            account=account, rep=rep, since=since, include_voided=include_voided
        )
        zone = ZoneInfo(clipper.touch_policy().timezone)
    if as_json:
        for touch in found:
            click.echo(json.dumps(_touch_record(touch), ensure_ascii=False))
        return
    if not found:
        out.print("no touches")
        return
    table = Table(expand=False)
    for column in ("id", f"when ({zone.key})", "account", "rep", "channel", "what"):
        table.add_column(column, overflow="fold")
    for touch in found:
        article = f"article {touch.article_id}" if touch.article_id is not None else None
        note = touch.note if not touch.note or len(touch.note) <= 200 else touch.note[:199] + "…"
        what = " · ".join(
            escape(part)
            for part in (touch.kind, touch.contact, touch.subject, article, note)
            if part
        )
        if touch.void is not None:
            why = f": {touch.void.reason}" if touch.void.reason else ""
            what += (
                f"\n[red]deleted {touch.void.at.astimezone(zone):%Y-%m-%d %H:%M} by "
                f"{escape(touch.void.by)}{escape(why)}[/]"
            )
        table.add_row(
            str(touch.id),
            f"{touch.touched_at.astimezone(zone):%Y-%m-%d %H:%M}",
            escape(touch.account),
            escape(touch.rep),
            touch.channel.value,
            what,
        )
    out.print(table)


def _login_name() -> str:
    """The user running the command (who deleted a touch), or "cli" when the system has none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@touches.command("delete")
@click.argument("touch_id", type=int)
@click.option("--reason", metavar="TEXT", help="Why it is deleted (kept with the touch).")
@click.option("--by", "by", metavar="NAME", help="Who deletes it (default: your login name).")
@pass_state
def touches_delete(state: State, touch_id: int, reason: str | None, by: str | None) -> None:
    """Delete a touch logged by mistake. It is kept as deleted, with who, when and why, and
    no longer counts anywhere; 'touches list --all' shows it."""
    who = by or _login_name()
    with state.clipper(quiet=True) as clipper:
        done = clipper.delete_touch(touch_id, by=who, reason=reason)
    touch, void = done.touch, done.touch.void
    assert void is not None
    why = f": {void.reason}" if void.reason else ""
    said = f"touch {touch.id} ({touch.account}, {touch.touched_at:%Y-%m-%d}, {touch.channel.value})"
    if done.already:
        out.print(
            f"{escape(said)} was already deleted on {void.at:%Y-%m-%d %H:%M} UTC by "
            f"{escape(void.by)}{escape(why)}; nothing changed"
        )
        return
    out.print(f"deleted {escape(said)} by {escape(void.by)}{escape(why)}")


_CRMS = {"salesforce": TouchChannel.SALESFORCE, "hubspot": TouchChannel.HUBSPOT}


@touches.command("export")
@click.option(
    "--format",
    "crm",
    type=click.Choice(sorted(_CRMS)),
    required=True,
    help="The CRM's import columns: a Salesforce Task CSV or a HubSpot activity CSV.",
)
@click.option("--since", metavar="DATE", help="From this date (YYYY-MM-DD) or quarter (2026Q4).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV to FILE (default: standard output).",
)
@pass_state
def touches_export(state: State, crm: str, since: str | None, out_path: Path | None) -> None:
    """Write the ledger's touches (deleted ones left out) as a CRM activity import CSV.

    Each row carries the touch's ledger key (Salesforce: Clipper_Key__c, HubSpot: Clipper
    key), so 'touches import' of the file adds nothing. Cells that a spreadsheet would run
    as a formula start with '.
    """
    with state.clipper(quiet=True) as clipper:
        done = clipper.export_touches(_CRMS[crm], since=since)
    _write_out(out_path, done.csv.encode(), what=plural(done.touches, "touch", "touches"))


@main.group()
def report() -> None:
    """Reports for managers: touch coverage per rep and account, as a table, CSV, JSON, a
    chart or an HTML page."""


def _frac(have: int, want: int) -> str:
    return f"{have}/{want}"


def _coverage_tables(report: CoverageReport, console: Console) -> None:
    """Print the report as rich tables: per rep (and the team), per account, and accounts by
    days since their last touch."""
    console.print(
        f"[bold]{escape(report.title)}[/] · {escape(report.period)} ({escape(report.timezone)})"
        f", counted to {report.counted_to}; going dark after "
        f"{plural(report.going_dark_days, 'day')} without a touch"
    )
    reps = Table(title="Per rep (touches on the rep's accounts, by anyone)", expand=False)
    for column in ("rep", "accounts", "on target", "quarter", "12 months", "going dark"):
        reps.add_column(column, overflow="fold")
    for line in (*report.reps, report.team):
        reps.add_row(
            escape(line.label) if line is not report.team else "[bold]team[/]",
            str(line.accounts),
            _frac(line.on_target_quarter, line.accounts),
            _frac(line.touches_quarter, line.quarter_target),
            _frac(line.touches_12_months, line.year_target),
            str(line.going_dark),
            end_section=line is not report.team and line is report.reps[-1],
        )
    console.print(reps)
    accounts = Table(title="Per account (touches / target)", expand=False)
    columns = ("account", "owner", "quarter", "12 months", "days since", "contacts")
    for column in (*columns, DARK_COLUMN, ONE_CONTACT_COLUMN):
        accounts.add_column(column, overflow="fold")
    for a in report.accounts:
        accounts.add_row(
            escape(a.account),
            escape(a.owner or "(no owner)"),
            _frac(a.this_quarter, a.quarter_target),
            _frac(a.last_12_months, a.year_target),
            "never" if a.days_since is None else str(a.days_since),
            _frac(a.contacts_touched, a.contacts_known),
            "[red]going dark[/]" if a.going_dark else "",
            f"[yellow]{ONE_CONTACT}[/]" if a.single_contact else "",
        )
    console.print(accounts if report.accounts else "no accounts")
    days = Table(title="Accounts by days since their last touch", expand=False)
    days.add_column("days since last touch")
    days.add_column("accounts", justify="right")
    for bucket in report.days:
        label = f"[red]{bucket.label}[/]" if bucket.going_dark and bucket.accounts else bucket.label
        days.add_row(label, str(bucket.accounts))
    console.print(days)
    if report.streak is not None:
        console.print(f"Streak: {escape(streak_text(report.streak))}", soft_wrap=True)
    if report.shares is not None:
        console.print(f"Shares: {escape(shares_text(report.shares))}", soft_wrap=True)


def _write_out(path: Path | None, data: bytes, *, what: str | None = None) -> None:
    """Write ``data`` to ``path`` and say so on stderr (``what`` it holds, else its size), or to
    standard output when ``path`` is None (bytes as they are: never wrapped or cut)."""
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CommandUsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    if what is not None:
        err.print(f"wrote {what} to {escape(str(path))}")
    else:
        err.print(f"wrote {escape(str(path))} ({len(data):,} bytes)")


@report.command("touches")
@click.option("--quarter", metavar="LABEL", help="The quarter, e.g. 2026Q4 (default: this one).")
@click.option("--rep", metavar="EMAIL", help="Only this rep's accounts.")
@click.option(
    "--format",
    "form",
    type=click.Choice(["table", "csv", "json", "png", "html"]),
    default="table",
    show_default=True,
    help="table (rich), csv, json (one object), png (a chart) or html (one self-contained page).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output; png needs it at a terminal).",
)
@pass_state
def report_touches(
    state: State, quarter: str | None, rep: str | None, form: str, out_path: Path | None
) -> None:
    """Touch coverage for a quarter: per rep and per account, this quarter and the trailing
    12 months against target, days since the last touch, contacts touched, going dark."""
    if form == "png" and out_path is None and sys.stdout.isatty():
        raise CommandUsageError("a PNG is not for the terminal: give --out FILE, or pipe it")
    with state.clipper(quiet=True) as clipper:
        found = clipper.touch_coverage_report(quarter=quarter, rep=rep)
        chart = clipper.touch_coverage_chart(found) if form in ("png", "html") else None
    data: bytes
    if form == "table":
        if out_path is None:
            _coverage_tables(found, out)
            return
        buffer = io.StringIO()
        _coverage_tables(found, Console(file=buffer, width=PIPE_WIDTH, highlight=False))
        data = buffer.getvalue().encode("utf-8")
    elif form == "csv":
        data = report_csv(found).encode("utf-8")
    elif form == "json":
        data = (json.dumps(report_json(found), ensure_ascii=False, indent=2) + "\n").encode()
    elif form == "html":
        data = report_html(found, chart.png if chart else None).encode("utf-8")
    else:
        assert chart is not None
        data = chart.png
    _write_out(out_path, data)


@report.command("link")
@click.option("--rep", metavar="EMAIL", help="A link to this rep's accounts only.")
@click.option(
    "--ttl-hours",
    type=click.FloatRange(min=0, min_open=True, max=8784),
    default=None,
    help="Hours the link works (default: web.link_ttl_hours, 24).",
)
@pass_state
def report_link(state: State, rep: str | None, ttl_hours: float | None) -> None:
    """Print a signed link to the web page of the touch report (the whole team's, or one
    rep's accounts with --rep); 'clipper serve' or 'clipper run' serves it.

    The link starts with web.base_url; without it, with the address 'clipper run' would serve
    the page on (web.listen without Slack, else slack.host and slack.port), and a warning
    says so: a 'clipper serve --port N' elsewhere is not known to this command.
    """
    with state.clipper(quiet=True) as clipper:
        link = clipper.report_link(rep=rep, ttl_hours=ttl_hours)
        base = clipper.report_base_url()
    click.echo(link.url)
    who = "the whole team" if link.scope.rep is None else f"{link.scope.rep}'s accounts only"
    err.print(f"a link to {escape(who)}; it expires {link.expires_text}")
    if link.assumed:
        err.print(
            f"[yellow]warning:[/] web.base_url is not set: this link assumes the page is "
            f"served at {escape(base)} (web.listen, else slack.port); set web.base_url to the "
            "address managers reach"
        )


@main.command("review")
@click.argument("account")
@click.option("--quarter", metavar="LABEL", help="The quarter, e.g. 2026Q4 (default: this one).")
@click.option(
    "--format",
    "form",
    type=click.Choice(["md", "html"]),
    default="md",
    show_default=True,
    help="md (Markdown) or html (one self-contained page).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@pass_state
def review(
    state: State, account: str, quarter: str | None, form: str, out_path: Path | None
) -> None:
    """The quarterly review pack for ACCOUNT (its name or an alias): the quarter's touches and
    contacts reached, its news and business events, the articles shared, its industry's
    trends."""
    with state.clipper(quiet=True) as clipper:
        pack = clipper.review_pack(account, quarter=quarter)
    text = review_html(pack) if form == "html" else review_markdown(pack)
    data = text.encode("utf-8")
    _write_out(out_path, data)


def _result_json(article_id: object, result: MatchResult) -> str:
    return json.dumps(
        {
            "id": article_id,
            "matches": [
                {
                    "account": m.account,
                    "score": m.score,
                    "reasons": list(m.reasons),
                    "event": m.event,
                    "shareable": m.shareable,
                }
                for m in result.matches
            ],
            "industries": [
                {"industry": i.industry, "score": i.score, "reason": i.reason}
                for i in result.industries
            ],
        },
        ensure_ascii=False,
    )


def _read_articles(path: Path) -> tuple[list[tuple[object, ArticleText]], list[str]]:
    articles: list[tuple[object, ArticleText]] = []
    problems: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{path}:{line_number}: not JSON ({exc.msg})")
                continue
            if not isinstance(record, dict) or "id" not in record or not record.get("title"):
                problems.append(f"{path}:{line_number}: needs an object with id and title")
                continue
            text = record.get("summary") or record.get("text") or ""
            articles.append(
                (
                    record["id"],
                    ArticleText(
                        str(record["id"]), str(record["title"]), str(text), record.get("industry")
                    ),
                )
            )
    return articles, problems


@main.command("match")
@click.argument("jsonl", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write results here (default: standard output).",
)
@click.option("--batch", default=256, show_default=True, help="Articles embedded at once.")
@pass_state
def match_command(state: State, jsonl: Path, out_path: Path | None, batch: int) -> None:
    """Match articles from a JSON-lines file against the configured accounts and industries.

    Each input line: {"id", "title", "summary" or "text", optional "published", "source"}. Each
    output line: {"id", "matches": [{"account", "score", "reasons", "event", "shareable"}],
    "industries": [{"industry", "score", "reason"}]}. Bad lines are reported by number and skipped.
    """
    articles, problems = _read_articles(jsonl)
    for problem in problems:
        err.print(f"[yellow]skipped[/] {escape(problem)}")
    with state.clipper() as clipper:
        sink = out_path.open("w", encoding="utf-8") if out_path else None
        try:
            for start in range(0, len(articles), batch):
                chunk = articles[start : start + batch]
                results = clipper.match_articles([a for _, a in chunk])
                for (article_id, _), result in zip(chunk, results, strict=True):
                    line = _result_json(article_id, result)
                    if sink:
                        sink.write(line + "\n")
                    else:
                        click.echo(line)
        finally:
            if sink:
                sink.close()
    if out_path:
        out.print(
            f"{plural(len(articles), 'article')} matched, {len(problems)} skipped → {out_path}"
        )


@main.command()
@click.option("--title", required=True, help="The article's headline.")
@click.option("--text", default="", help="Its summary or body.")
@click.option("--industry", default=None, help="The source feed's industry, if any.")
@pass_state
def explain(state: State, title: str, text: str, industry: str | None) -> None:
    """Show how one article would be matched, and why (or why not)."""
    with state.clipper() as clipper:
        (result,) = clipper.match_articles([ArticleText("explain", title, text, industry)])
    if not result.matches:
        out.print("no account matches")
    for m in result.matches:
        badge = "" if m.shareable else " [yellow](for you only)[/]"
        event = f" [cyan]{escape(m.event)}[/]" if m.event else ""
        out.print(f"[bold]{escape(m.account)}[/] score {m.score:.2f}{event}{badge}")
        for reason in m.reasons:
            out.print(f"  - {escape(reason)}")
    if result.industries:
        out.print(
            "industries: "
            + ", ".join(
                f"{escape(i.industry)} ({i.score:.2f}: {escape(i.reason)})"
                for i in result.industries
            )
        )
    for note in result.notes:
        out.print(f"[dim]evidence: {escape(note)}[/]")
    for reason in result.dropped:
        out.print(f"[dim]not matched: {escape(reason)}[/]")


@main.group()
def model() -> None:
    """The embedding model: prepare it ahead of time."""


@model.command("prepare")
@pass_state
def model_prepare(state: State) -> None:
    """Export the embedding model to ONNX once and check the cached copy (model.backend: onnx).

    Needs torch where it runs (the run path then does not); a missing, partial or corrupt
    cached copy is exported again. Run it at install or image build time (the Dockerfile does).
    With model.backend: torch it loads the model once.
    """
    with state.clipper(quiet=True) as clipper:
        prepared = clipper.prepare_model()
    if prepared.path is None:
        out.print(f"torch model loaded in {prepared.seconds:.1f} s")
    elif prepared.exported:
        out.print(f"exported in {prepared.seconds:.1f} s: {escape(str(prepared.path))}")
    else:
        out.print(f"ready (cached): {escape(str(prepared.path))}")


@main.command()
@click.argument("source")
@pass_state
def extract(state: State, source: str) -> None:
    """Print the main text of an article page: a URL or an HTML file (.gz accepted)."""
    with state.clipper(quiet=True) as clipper:
        text = clipper.extract(source)
    click.echo(text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
