"""The ``clipper`` command group and what every command shares: the consoles, the state
(configuration path, verbosity), exit codes and error lines, writing a file or standard output.

Does not define commands beyond the group itself.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from ..exceptions import (
    ClipperError,
    CommandUsageError,
    ConfigError,
    EmbedderError,
    StorageError,
)
from ..types import LogFormat
from .interrupt import Interrupt
from .logs import REDACT, setup_logging

if TYPE_CHECKING:  # imported where used: ``clipper --help`` loads neither (docs/benchmarks.md)
    from ..config import Config
    from ..core import Clipper

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
    def __init__(
        self,
        config_path: str | None,
        verbose: int,
        log_format: LogFormat = LogFormat.TEXT,
        interrupt: Interrupt | None = None,
    ) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self.log_format = log_format
        #: Ctrl-C and SIGTERM during this command (``_Main`` installs it)
        self.interrupt = interrupt or Interrupt()

    def config(self, *, quiet: bool = False) -> Config:
        """Load the configuration; raises ``ConfigError`` when the settings file is unusable."""
        from ..config import find_config_path, load_config

        config = load_config(find_config_path(self.config_path, os.environ), os.environ)
        REDACT.add(
            (
                config.slack_bot_token,
                config.slack_app_token,
                config.slack_signing_secret,
                config.web_secret,
            )
        )
        if not quiet:
            for problem in config.problems:
                # not "skipped": an account whose owner is unknown is still loaded
                if self.log_format is LogFormat.JSON:  # standard error holds JSON lines only
                    logging.getLogger("clipper.config").warning("problem: %s", problem)
                else:
                    err.print(f"[yellow]problem:[/] {escape(problem)}")
        return config

    @contextmanager
    def clipper(self, *, quiet: bool = False, observe: bool = False) -> Iterator[Clipper]:
        """Yield the facade, closed after; its errors are left to ``_Main``'s handler.

        ``observe``: count what it does for ``/metrics`` (``run`` and ``serve``)."""
        from ..wiring import make_clipper

        context = click.get_current_context(silent=True)
        if context is not None:
            self.interrupt.doing = context.command_path
        with make_clipper(self.config(quiet=quiet), observe=observe) as clipper:
            # Ctrl-C or SIGTERM: claim no more work, release what was claimed and not started
            self.interrupt.bind(clipper.stopping.set)
            yield clipper

    def stop_here(self, line: str) -> None:
        """If a stop was asked (Ctrl-C, SIGTERM): print ``line`` (what got done, what waits)
        and exit with 130 or 143. Does nothing otherwise."""
        if not self.interrupt.stopped:
            return
        self.tell_stopped(line)
        raise click.exceptions.Exit(self.interrupt.exit_code)

    def tell_stopped(self, line: str) -> None:
        """Print the one ``stopped: ...`` line (a log line in JSON mode); does not exit."""
        self.interrupt.told = True
        if self.log_format is LogFormat.JSON:  # standard error holds JSON lines only
            logging.getLogger("clipper").warning("%s", line)
        else:
            err.print(escape(line))


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
    code, without a traceback; anything else is a bug and keeps its traceback. Ctrl-C and
    SIGTERM (``Interrupt``) end a command with 130 or 143 and one ``stopped`` line (the
    command's own, else a general one).
    """

    def invoke(self, ctx: click.Context) -> Any:
        interrupt = Interrupt()
        ctx.meta[INTERRUPT] = interrupt
        with interrupt.installed():
            try:
                result = super().invoke(ctx)
            except ClipperError as exc:
                print_error(exc)
                _stopped_anyway(ctx, interrupt, exit_code(exc))
                raise click.exceptions.Exit(exit_code(exc)) from None
            except click.exceptions.Exit as exc:
                _stopped_anyway(ctx, interrupt, exc.exit_code)
                raise
            _stopped_anyway(ctx, interrupt, 0)
            return result


#: where ``_Main`` keeps the command's ``Interrupt`` for ``State`` (``click.Context.meta``)
INTERRUPT = "clipper.interrupt"


def _stopped_anyway(ctx: click.Context, interrupt: Interrupt, code: int) -> None:
    """After a command stopped by signal that ended with ``code``: unless it exited 130 or 143
    itself, one general line (unless it said what it got done), then exit 130 or 143. Does
    nothing when no stop was asked."""
    if not interrupt.stopped or code == interrupt.exit_code:
        return
    if not interrupt.told:
        state = ctx.obj if isinstance(ctx.obj, State) else State(None, 0)
        name = interrupt.received.name if interrupt.received is not None else "signal"
        state.tell_stopped(f"stopped ({name}): what was in flight finished first")
    raise click.exceptions.Exit(interrupt.exit_code)


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
@click.option(
    "--log-format",
    type=click.Choice([f.value for f in LogFormat]),
    default=LogFormat.TEXT.value,
    show_default=True,
    envvar="CLIPPER_LOG_FORMAT",
    help="Log lines as text, or as one JSON object per line for a log collector (json logs "
    "info and up, and run's events; $CLIPPER_LOG_FORMAT).",
)
@click.version_option(package_name="clipper")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int, log_format: str) -> None:
    """Clipper: news clipping for sales teams, per account, with reasons."""
    chosen = LogFormat(log_format)
    # a collector wants the events (info); a person at a terminal, problems only unless -v
    least = 1 if chosen is LogFormat.JSON else 0
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(max(verbose, least), 2)]
    setup_logging(level, chosen)
    found = ctx.meta.get(INTERRUPT)
    ctx.obj = State(config_path, verbose, chosen, found if isinstance(found, Interrupt) else None)


def _shown_path(path: Path) -> str:
    """Return ``path`` relative to the working folder when it is under it (as typed)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
