"""The commands of the cycle: ``check``, ``fetch``, ``run``, ``serve``, ``digest``.

Thin: parse, call the facade, print. Does not decide anything.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..exceptions import (
    ClipperError,
    ConfigError,
)
from ..health import HealthBoard
from ..logic.urls import redact_url
from ..logic.words import plural
from ..types import (
    FetchStatus,
    LogFormat,
    ReleasedClaims,
    UpdateResult,
    UpdateSummary,
)
from .app import (
    State,
    _shown_path,
    err,
    main,
    out,
    pass_state,
    print_error,
)
from .db import prune_line

if TYPE_CHECKING:  # the server, Slack app and scheduler are imported by the commands that run
    # them, not by ``clipper --help``, ``check`` or ``explain`` (docs/benchmarks.md)
    from ..config import Config
    from ..core import Clipper
    from ..digests import DigestReport
    from ..scheduler import Signals
    from ..server import Server


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


def _fetch(
    clipper: Clipper, due_only: bool, on_result: Callable[[UpdateResult], None] | None = None
) -> UpdateSummary:
    """One pass with a progress bar at a terminal; ``on_result`` hears each feed as its write
    finishes."""
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
        if on_result is not None:
            on_result(result)

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


#: the logger of ``clipper run``'s events in ``--log-format json`` (text mode prints them)
events = logging.getLogger("clipper.run")


def _event(
    state: State, markup: str, *, level: int = logging.INFO, **context: str | int | None
) -> None:
    """Tell one event: printed (rich markup) in text mode; in JSON mode logged as one line on
    ``clipper.run`` with ``context`` as fields (feed, rep, digest ...). Does not decide whether
    the event is worth telling."""
    if state.log_format is LogFormat.JSON:
        from rich.text import Text

        events.log(level, Text.from_markup(markup).plain, extra=context)
        return
    out.print(markup)


def _idle(summary: UpdateSummary) -> bool:
    """Whether a fetch pass did nothing worth a line: no new article, no failure, no page."""
    return not (
        summary.new_articles
        or summary.baseline_articles
        or summary.extracted
        or summary.extract_failed
        or any(r.status not in (FetchStatus.OK, FetchStatus.NOT_MODIFIED) for r in summary.results)
    )


def _print_summary(
    summary: UpdateSummary,
    verbose: int,
    config: Config | None = None,
    state: State | None = None,
    *,
    told: bool = False,
) -> None:
    """Print a pass's failures and totals; with ``state`` (the run loop) as events, and
    nothing at all when the pass was idle. ``told``: each feed's failure and warning were told
    as it finished (``_tell_result``), so only the totals are left."""
    if state is not None:
        _tell_summary(summary, state, config, told=told)
        return
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


def _tell_result(result: UpdateResult, state: State) -> None:
    """Tell one feed's failure (with its feed context), and its warning at -v; nothing for a
    feed that went well. Does not count it (``Clipper.update_feeds`` does)."""
    if result.status in (FetchStatus.ERROR, FetchStatus.DISABLED):
        label = "disabled" if result.status is FetchStatus.DISABLED else "failed"
        _event(
            state,
            f"[red]{label}[/] {escape(result.name)} <{escape(redact_url(result.url))}>: "
            f"{escape(redact_url(result.error or ''))}",
            level=logging.WARNING,
            feed=result.name,
            url=redact_url(result.url),
            status=result.status.value,
            reason=result.reason.value if result.reason is not None else None,
        )
    if state.verbose and result.warning:
        _event(
            state,
            f"[yellow]warning[/] {escape(result.name)}: {escape(result.warning)}",
            level=logging.WARNING,
            feed=result.name,
            url=redact_url(result.url),
        )


def _tell_summary(
    summary: UpdateSummary, state: State, config: Config | None, *, told: bool = False
) -> None:
    """The run loop's pass summary: one event per failed feed (with its feed context; unless
    ``told`` as each finished), one totals line; nothing when the pass was idle."""
    if _idle(summary):
        return
    if not told:
        for result in summary.results:
            if result.status in (FetchStatus.ERROR, FetchStatus.DISABLED):
                _tell_result(result, state)
        if state.verbose:
            for result in summary.results:
                if result.warning and result.status not in (
                    FetchStatus.ERROR,
                    FetchStatus.DISABLED,
                ):
                    _tell_result(result, state)
    failed = summary.count(FetchStatus.ERROR) + summary.count(FetchStatus.DISABLED)
    line = (
        f"feeds: {summary.count(FetchStatus.OK)} ok, "
        f"{summary.count(FetchStatus.NOT_MODIFIED)} not modified, {failed} failed"
    )
    if summary.count(FetchStatus.RATE_LIMITED):
        line += f", {summary.count(FetchStatus.RATE_LIMITED)} rate-limited"
    line += f"; new articles: {summary.new_articles}"
    if summary.extracted or summary.extract_failed:
        line += f"; pages extracted: {summary.extracted} ({summary.extract_failed} failed)"
    _event(state, line, new=summary.new_articles, failed=failed)
    if state.log_format is LogFormat.TEXT:
        _print_baseline(summary, config)


def _stopped_fetching(summary: UpdateSummary, *, sent: int | None = None) -> str:
    """The one line a one-shot command stopped by signal ends with: how many of the feeds it
    claimed were fetched (and, for ``run --once``, digest messages sent), and that the rest
    wait for the next run. Does not print it."""
    fetched = len(summary.results)
    total = fetched + summary.released
    done: list[str] = []
    if total or sent is None:  # run --once with no feed due: only the digests are told
        done.append(
            f"{fetched} of {plural(total, 'feed')} fetched "
            f"({plural(summary.new_articles, 'new article')})"
        )
    if sent is not None:
        done.append(f"{plural(sent, 'digest message')} sent")
    rest = "; the rest at the next run" if summary.released or sent is not None else ""
    return f"stopped: {', '.join(done)}{rest}"


def _loop_signals(state: State, clipper: Clipper, *, reload: bool) -> Signals:
    """The signals of a loop (``run``, ``fetch``, ``serve``): ``scheduler.Signals``, installed
    here (SIGHUP too with ``reload``), takes SIGTERM and SIGINT over from the one-shot
    ``Interrupt`` with no gap between them; a stop that came already stops the loop. Does not
    start the loop."""
    from ..scheduler import Signals

    signals = Signals(on_stop=clipper.stopping.set)
    signals.install(reload=reload)
    state.interrupt.release()
    if state.interrupt.stopped:
        signals.stop.set()
    return signals


def _fetch_pass(clipper: Clipper, state: State) -> bool:
    """One pass of ``fetch``'s loop, told as events (each failure as its feed finishes);
    whether it did anything worth a line."""
    summary = _fetch(clipper, True, on_result=lambda result: _tell_result(result, state))
    _print_summary(summary, 0, clipper.config, state, told=True)
    return not _idle(summary)


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
        _release_left_behind(clipper)  # claims of earlier processes that no longer run
        if once:
            state.interrupt.doing = "fetching feeds"
            summary = _fetch(clipper, not all_feeds)
            # Ctrl-C or SIGTERM: fetches in flight were stored, the feeds not started released
            state.stop_here(_stopped_fetching(summary))
            _print_summary(summary, state.verbose, clipper.config)
            if summary.count(FetchStatus.ERROR) or summary.count(FetchStatus.DISABLED):
                # the pass ran, but not every feed it was asked to fetch could be (docs/cli.md)
                raise click.exceptions.Exit(1)
            return
        from ..scheduler import run_ticks

        tick = clipper.config.settings.fetch.tick
        clean = run_ticks(
            {
                "fetch": (tick, lambda: _fetch_pass(clipper, state)),
            },
            signals=_loop_signals(state, clipper, reload=False),
            handle_signals=False,
            grace=clipper.config.settings.run.shutdown_grace,
        )
        if not clean:
            _release_own_claims(clipper)  # due again at the next start, not in 15 minutes
            os._exit(1)


@main.command()
@click.option("--once", is_flag=True, help="Run one full cycle (fetch, match, digests) and exit.")
@click.option("--limit", default=0, show_default=True, help="Also print the N newest matches.")
@pass_state
def run(state: State, once: bool, limit: int) -> None:
    """Run Clipper: fetch feeds on schedule, match new articles, send digests when due.

    Without Slack credentials digests are printed here and saved as Markdown files.
    """
    with state.clipper(observe=not once) as clipper:
        _release_left_behind(clipper)
        for warning in clipper.config.warnings:
            if state.log_format is LogFormat.JSON:
                events.warning("warning: %s", warning)
            else:
                err.print(f"[yellow]warning:[/] {escape(warning)}")

        #: the one-shot cycle's pass, for its line when it is stopped
        passes: list[UpdateSummary] = []

        def fetch_and_match() -> bool:
            """One pass; whether it did work (the scheduler logs its duration at -v then)."""
            # --once always says what its one pass did; the loop says nothing of an idle pass,
            # and tells each failed feed as it finishes (not held back by a slow one)
            loop = not once or state.log_format is LogFormat.JSON
            summary = _fetch(
                clipper, True, on_result=(lambda r: _tell_result(r, state)) if loop else None
            )
            passes.append(summary)
            if once and clipper.stopping.is_set():
                return True  # stopped: the command's one line says what was fetched
            _print_summary(
                summary, state.verbose, clipper.config, state if loop else None, told=loop
            )
            if clipper.stopping.is_set():
                return True  # stopping: what was fetched is matched at the next start
            try:
                articles, matches = clipper.match_pending()
            except ClipperError as exc:
                if state.log_format is LogFormat.JSON:
                    events.error("matching failed: %s", exc)
                else:
                    err.print(f"[red]matching failed:[/] {escape(str(exc))}")
                return True
            if once and clipper.stopping.is_set():
                return True  # stopped while matching: the rest is matched at the next run
            if articles or once:  # an idle tick says nothing
                _event(
                    state,
                    f"matched {plural(articles, 'new article')}: "
                    f"{plural(matches, 'account match', 'account matches')}",
                    articles=articles,
                    matches=matches,
                )
            clipper.digests.pass_finished(clipper.clock())  # due digests may go out now
            _print_matches(clipper, limit)
            return bool(articles) or not _idle(summary)

        def digests_report() -> DigestReport:
            report = clipper.digest(rep=None, force=False, dry_run=False)
            if once and clipper.stopping.is_set():
                return report  # stopped: the command's one line says how many were sent
            _print_digest_report(report, clipper.config, state)  # the reloaded one, after a reload
            return report

        def digests() -> bool:
            report = digests_report()
            return bool(report.queued or report.sent or report.pending or report.problems)

        def digests_tick() -> bool:
            try:
                return digests()
            except ClipperError as exc:  # told once; the next tick tries again
                print_error(exc)
                return True

        told: set[str] = set()

        def touch_webhook() -> bool:
            return _deliver_webhook(clipper, told)

        def daily_care() -> bool:
            return _daily_care(clipper)

        config = clipper.config
        clipper.digests.runs_passes = True  # a due digest waits for the matching it needs

        if once:
            state.interrupt.doing = "fetch and match"
            fetch_and_match()
            sent = 0
            if not clipper.stopping.is_set():
                state.interrupt.doing = "digests"
                sent = digests_report().sent
            if not clipper.stopping.is_set():
                state.interrupt.doing = "touch webhook"
                touch_webhook()
            # Ctrl-C or SIGTERM: what was claimed and not started was released (feeds, parts)
            state.stop_here(_stopped_fetching(passes[0], sent=sent))
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
                "running without %s: %s",
                plural(len(config.problems), "skipped configuration part"),
                " | ".join(config.problems),
            )
            _tell_admins(clipper)
        # the loop's signals before any server answers: a SIGHUP sent once /healthz answers
        # reloads instead of ending the process (its default action)
        signals = _loop_signals(state, clipper, reload=True)
        board = HealthBoard()
        server = None
        listen = config.settings.web.listen_address()
        if config.slack_app_ready:
            server = _start_slack(
                clipper, config.settings.slack.host, config.settings.slack.port, board=board
            )
        elif listen is not None:  # no Slack: the web page alone, where web.listen says
            server = _start_slack(clipper, *listen, slack=False, board=board)
        health_server = _start_health(clipper, board, server, state)
        forget_address = _record_health_addr(config.path, (health_server, server))
        tick = config.settings.fetch.tick
        from ..scheduler import CONFIG_JOB, ConfigWatcher, run_ticks

        watcher = ConfigWatcher(clipper, signals, os.environ)
        jobs: dict[str, tuple[float, Callable[[], object]]] = {
            "fetch and match": (tick, fetch_and_match),
            "digests": (60.0, digests_tick),
            "touch webhook": (60.0, touch_webhook),
        }
        try:
            clean = run_ticks(
                {
                    **{
                        name: (every, board.watched(name, every, job, clipper.metrics))
                        for name, (every, job) in jobs.items()
                    },
                    CONFIG_JOB: (1.0, watcher.tick),
                    "daily care": (60.0, daily_care),
                },
                then={"fetch and match": "digests"},
                signals=signals,
                handle_signals=False,
                grace=config.settings.run.shutdown_grace,
            )
        finally:
            for running in (server, health_server):
                if running is not None:
                    running.close()
            forget_address()
        if not clean:
            # work still running past run.shutdown_grace: what it claimed is given back, so the
            # next start takes it up at once (a digest part being posted is kept, and checked
            # in Slack before it is posted again)
            _release_own_claims(clipper)
            os._exit(1)


def _claims_text(claims: ReleasedClaims) -> str:
    """Say what a release gave back ("2 feeds, 1 digest part")."""
    said = [
        plural(claims.feeds, "feed") if claims.feeds else "",
        plural(claims.articles, "article") if claims.articles else "",
        plural(claims.parts, "digest part") if claims.parts else "",
    ]
    return ", ".join(part for part in said if part)


def _release_own_claims(clipper: Clipper) -> None:
    """Give back this process's claims before it exits past its grace, and say so. Does not
    raise: the exit goes on, and the leases then expire on their own."""
    log = logging.getLogger("clipper")
    try:
        claims = clipper.release_claims()
    except ClipperError as exc:
        log.error("could not release this process's claims (they expire on their own): %s", exc)
        return
    kept = len(clipper.outbox.posting_now())
    if claims or kept:
        log.warning(
            "released %s for the next start%s",
            _claims_text(claims) or "nothing",
            f"; kept {plural(kept, 'digest part')} being posted (checked in Slack before it "
            "is posted again)"
            if kept
            else "",
        )


def _release_left_behind(clipper: Clipper) -> None:
    """Give back the claims of earlier processes on this machine that no longer run (a crash,
    a stop past its grace), and say so. Does not raise: they then wait for their expiry."""
    log = logging.getLogger("clipper")
    try:
        released = clipper.release_left_behind()
    except ClipperError as exc:
        log.error("could not release the claims of earlier processes: %s", exc)
        return
    for owner, claims in released:
        log.warning(
            "released %s claimed by %s, a process that no longer runs",
            _claims_text(claims),
            owner,
        )


def _deliver_webhook(clipper: Clipper, told: set[str]) -> bool:
    """Send the touch webhook's due touches and say what happened (nothing when there was
    nothing to do; a problem once, ``told`` keeps it); a storage failure is told and the next
    tick tries again."""
    try:
        done = clipper.deliver_touch_webhooks()
        backlog = clipper.webhook_backlog() if done.failed or done.given_up else None
    except ClipperError as exc:
        print_error(exc)
        return True
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
    return bool(done.delivered or done.failed or done.given_up)


def _daily_care(clipper: Clipper) -> bool:
    """Run the daily jobs that are due (the feed-health report, retention) and say what they
    did, one line each; nothing when there was nothing to send or delete. A failure is told;
    the next tick retries what was not recorded."""
    if clipper.stopping.is_set():
        return False  # stopping: the day's jobs wait for the next start
    try:
        done = clipper.run_daily_care()
    except ClipperError as exc:
        print_error(exc)
        return True
    health = done.feed_health
    if health is not None and health.report is not None and health.queued:
        # (without Slack, ``Care.send_feed_health`` logs the one line naming its file)
        out.print(
            f"feed health: {escape(health.report.summary())}; "
            f"sent to {escape(', '.join(health.queued))}"
        )
    for problem in health.problems if health is not None else ():
        err.print(f"[yellow]feed health:[/] {escape(problem)}")
    pruned = done.pruned
    if pruned is not None and (pruned.articles or pruned.digest_parts or pruned.webhook_rows):
        out.print(escape(prune_line(pruned)))
    sent = health is not None and (health.report is not None or bool(health.problems))
    return sent or pruned is not None


def _tell_admins(clipper: Clipper) -> None:
    """Log what ``Clipper.tell_admins_about_problems`` did, one line each; never stops."""
    log = logging.getLogger("clipper")
    report = clipper.tell_admins_about_problems()
    if not report.problems:
        return
    if report.told:
        log.warning(
            "told %s on Slack about %s",
            ", ".join(report.told),
            plural(report.problems, "skipped configuration part"),
        )
    if report.slack and not report.admins:
        log.warning(
            "no rep in the reps file has role: admin: nobody was told on Slack about the %s",
            plural(report.problems, "skipped configuration part"),
        )
    for failure in report.failures:
        log.warning("could not tell the admin about the skipped configuration parts: %s", failure)
    if report.file is not None:
        log.warning(
            "%s, listed in %s",
            plural(report.problems, "skipped configuration part"),
            report.file,
        )


def _start_health(
    clipper: Clipper, board: HealthBoard, beside: Server | None, state: State
) -> Server | None:
    """Start the health server at ``health.listen`` (/healthz, /readyz, /metrics): None when it
    is ``off``, when ``beside`` already listens there (it serves the same routes), or when the
    address cannot be bound (logged, naming the key: the work goes on without it)."""
    address = clipper.config.settings.health.listen_address()
    if address is None:
        return None
    host, port = address
    if beside is not None and port != 0 and (beside.host, beside.port) == (host, port):
        return None
    from ..server import Server, make_wsgi

    wsgi = make_wsgi(None, clipper.metrics, clipper.health, ready=lambda: clipper.readiness(board))
    try:
        server = Server(wsgi, host, port, threads=2, connection_limit=100).start()
    except OSError as exc:
        logging.getLogger("clipper").error(
            "health.listen %s: cannot listen there (%s); /healthz, /readyz and /metrics are "
            "not served (set health.listen to a free host:port, or off)",
            clipper.config.settings.health.listen,
            exc.strerror or exc,
        )
        return None
    shown = f"[{host}]" if ":" in host else host
    _event(state, escape(f"health, readiness and metrics on http://{shown}:{server.port}"))
    return server


def _start_slack(
    clipper: Clipper,
    host: str,
    port: int,
    *,
    slack: bool = True,
    board: HealthBoard | None = None,
) -> Server:
    """Start the HTTP server: /healthz, /readyz, /metrics and the web page (/report), and with
    ``slack`` the Slack app (HTTP at /slack/events, or Socket Mode with SLACK_APP_TOKEN)."""
    from ..logic.web_report import PAGE_PATH
    from ..server import SLACK_PATH, Server, make_wsgi
    from ..slackapp import WorkQueue, make_slack_app
    from ..webreport import make_report_app

    config = clipper.config
    settings = config.settings.slack
    metrics = clipper.metrics
    pages = make_report_app(clipper)
    board = board or HealthBoard()
    ready = lambda: clipper.readiness(board)  # noqa: E731
    work: WorkQueue | None = None
    if not slack:
        wsgi = make_wsgi(None, metrics, clipper.health, pages=pages, ready=ready)
    else:
        work = WorkQueue.from_settings(settings)
        app = make_slack_app(clipper, work=work)  # a refused token: exit 1 (_Main)
        if config.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, config.slack_app_token).connect()  # type: ignore[no-untyped-call]
            # Slack payloads arrive over the WebSocket: the HTTP server answers the rest
            wsgi = make_wsgi(None, metrics, clipper.health, pages=pages, ready=ready)
        else:
            wsgi = make_wsgi(
                app,
                metrics,
                clipper.health,
                signing_secret=config.slack_signing_secret,
                pages=pages,
                ready=ready,
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
    with state.clipper(observe=True) as clipper:
        config = clipper.config
        _tell_admins(clipper)
        signals = _loop_signals(state, clipper, reload=True)  # before anything answers
        board = HealthBoard()
        server = _start_slack(
            clipper,
            host if host is not None else config.settings.slack.host,
            port if port is not None else config.settings.slack.port,  # 0: any free port
            slack=config.slack_app_ready,
            board=board,
        )
        health_server = _start_health(clipper, board, server, state)
        forget_address = _record_health_addr(config.path, (health_server, server))
        from ..scheduler import ConfigWatcher

        watcher = ConfigWatcher(clipper, signals, os.environ)
        try:
            while not signals.stop.wait(1.0):
                watcher.tick()
        finally:
            forget_address()
            if health_server is not None:
                health_server.close()
            closing = threading.Thread(target=server.close, name="closing", daemon=True)
            closing.start()
            closing.join(config.settings.run.shutdown_grace)
        if closing.is_alive():
            logging.getLogger("clipper").error(
                "shutdown grace (%gs) ran out with Slack requests still being answered",
                config.settings.run.shutdown_grace,
            )
            os._exit(1)
        logging.getLogger("clipper").warning("shut down: the server is closed")


#: the address a running ``clipper run``/``serve`` answers /healthz on, written at start and
#: removed at a clean exit, in ``var/`` beside the config folder (``clipper health`` prefers it)
HEALTH_ADDR_FILE = Path("..") / "var" / "health.addr"
#: ``health.listen`` in a settings file read as text (when the file does not load)
_LISTEN_TEXT = re.compile(
    r"^health:[ \t]*(?:#.*)?\n(?:(?:[ \t]+.*|[ \t]*)\n)*?[ \t]+listen:[ \t]*[\"']?([^\"'\s#]+)",
    re.MULTILINE,
)


def _healthz_at(host: str, port: int) -> str:
    """Return the /healthz URL of a server bound to host:port (any interface as 127.0.0.1)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"


def _health_addr_file(config_path: Path) -> Path:
    """Return ``var/health.addr`` for this settings file. Does not read or create it."""
    return (config_path.resolve().parent / HEALTH_ADDR_FILE).resolve()


def _record_health_addr(config_path: Path, servers: Sequence[Server | None]) -> Callable[[], None]:
    """Write where this process answers /healthz (the first server running) to ``var/
    health.addr``; return what removes it again (only while it still holds this address).
    Does not fail the run when ``var/`` cannot be written (logged at debug)."""
    running = next((s for s in servers if s is not None), None)
    if running is None:
        return lambda: None
    target = _health_addr_file(config_path)
    url = _healthz_at(running.host, running.port)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(url + "\n")
    except OSError as exc:
        logging.getLogger("clipper").debug(
            "cannot record the health address in %s: %s", target, exc
        )
        return lambda: None

    def remove() -> None:
        try:
            if target.read_text().strip() == url:
                target.unlink()
        except OSError:
            pass

    return remove


def _health_url(config: Config) -> str:
    """Return where this configuration's ``clipper run``/``serve`` answers ``/healthz`` on this
    machine: ``health.listen`` unless it is ``off`` or port 0, else ``web.listen`` without Slack,
    else ``slack.host``/``slack.port`` (any interface asked as 127.0.0.1). Does not check that
    anything listens there."""
    # health.listen, where every clipper run and serve answers /healthz (port 0: unknown here)
    health = config.settings.health.listen_address()
    listen = config.settings.web.listen_address()
    if health is not None and health[1] != 0:
        host, port = health
    elif listen is not None and not config.slack_app_ready:
        host, port = listen
    else:
        host, port = config.settings.slack.host, config.settings.slack.port
    return _healthz_at(host, port)


def _find_health_url(state: State) -> str:
    """Return the /healthz address to ask, said on standard error with where it came from: the
    one the running process recorded in ``var/health.addr``, else this configuration's, else
    (the settings file does not load) ``health.listen`` read from the file as text or its
    default. Does not need a valid configuration: a typo must not mark a running container
    unhealthy."""
    from ..config import find_config_path
    from ..config.settings import HEALTH_LISTEN

    path = find_config_path(state.config_path, os.environ)
    recorded = _health_addr_file(path)
    try:
        url = recorded.read_text().strip()
    except OSError:
        url = ""
    if url.startswith("http://"):
        err.print(
            f"asking {escape(url)} (recorded by the running process in {escape(str(recorded))})"
        )
        return url
    try:
        url = _health_url(state.config(quiet=True))
        err.print(f"asking {escape(url)} (this configuration's; no {escape(str(recorded))})")
        return url
    except ConfigError as exc:
        listen = os.environ.get("CLIPPER_HEALTH_LISTEN", "").strip()
        source = "CLIPPER_HEALTH_LISTEN"
        if not listen:
            try:
                found = _LISTEN_TEXT.search(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                found = None
            listen = found.group(1) if found else HEALTH_LISTEN
            source = f"health.listen read from {path} as text" if found else "the default"
        host, _, port = listen.rpartition(":")
        if listen == "off" or not port.isdigit() or not host:
            host, _, port = HEALTH_LISTEN.rpartition(":")
            source = "the default"
        url = _healthz_at(host.strip("[]"), int(port))
        err.print(
            f"[yellow]note:[/] the configuration does not load ({escape(str(exc))}); "
            f"asking {escape(url)} ({escape(source)})"
        )
        return url


@main.command()
@click.option(
    "--url",
    metavar="URL",
    envvar="CLIPPER_HEALTH_URL",
    help="The /healthz address to ask (default: $CLIPPER_HEALTH_URL, else where this "
    "configuration serves it on this machine).",
)
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for the answer.")
@pass_state
def health(state: State, url: str | None, timeout: float) -> None:
    """Ask a running clipper run or serve whether it is alive (its /healthz); exit 0 when it
    answers ok or degraded, 1 when it is down or does not answer (a container's HEALTHCHECK).
    """
    import httpx

    if url:
        err.print(f"asking {escape(url)} (--url or CLIPPER_HEALTH_URL)")
    target = url or _find_health_url(state)
    try:
        answer = httpx.get(target, timeout=timeout, follow_redirects=False, trust_env=False)
    except httpx.HTTPError as exc:
        err.print(
            f"[red]down:[/] {escape(target)} does not answer: "
            f"{escape(str(exc) or type(exc).__name__)}"
        )
        raise click.exceptions.Exit(1) from None
    text = answer.text.strip()
    if answer.status_code != 200:
        err.print(
            f"[red]down:[/] {escape(target)} answered HTTP {answer.status_code}: "
            f"{escape(text[:200])}"
        )
        raise click.exceptions.Exit(1)
    out.print(escape(text[:500]))


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


def _print_digest_report(report: DigestReport, config: Config, state: State | None = None) -> None:
    """Print what a digest tick did (nothing when it did nothing); with ``state`` in JSON
    mode, as events with their rep and digest context."""
    # a wait is told once per digest, not at every tick until it ends
    waiting = list((Counter(report.waiting) - Counter(report.waiting_again)).elements())
    if state is not None and state.log_format is LogFormat.JSON:
        for rep, kind, digest_id in report.queued:
            _event(state, f"queued {kind} {digest_id} for {escape(rep)}", rep=rep, digest=digest_id)
        for rep in waiting:
            _event(state, f"digest for {escape(rep)} waits for matching", rep=rep)
        if report.sent or report.pending:
            _event(
                state,
                f"delivered {plural(report.sent, 'digest message')}; "
                f"{report.pending} waiting to retry",
                sent=report.sent,
                pending=report.pending,
            )
        for problem in report.problems:
            events.warning("digest: %s", problem)
        return
    for rep, kind, digest_id in report.queued:
        out.print(f"queued {kind} {digest_id} for {escape(rep)}")
    for rep in waiting:
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
            state.interrupt.doing = "matching waiting articles"
            try:
                articles, _matches = clipper.match_pending()
                state.stop_here(
                    f"stopped: {plural(articles, 'waiting article')} matched; no digest sent"
                )
                if articles:
                    notes.print(f"matched {plural(articles, 'waiting article')}")
            except ClipperError as exc:
                err.print(f"[yellow]matching failed, sending what is matched:[/] {exc}")
        state.interrupt.doing = "digests"
        report = clipper.digest(rep=rep, force=now, dry_run=dry_run)
        if not dry_run:
            # Ctrl-C or SIGTERM: the parts claimed and not posted were put back as pending
            state.stop_here(
                f"stopped: {plural(report.sent, 'digest message')} sent; the rest at the next run"
            )
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
        from rich.markdown import Markdown  # markdown-it: only for a digest shown here

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
