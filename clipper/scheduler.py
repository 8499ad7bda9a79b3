"""The in-process ticker: APScheduler 3.11 with a few fixed jobs, never one job per feed; the
process's signals (``Signals``: SIGTERM/SIGINT stop, SIGHUP reloads) and the configuration
watcher (``ConfigWatcher``).

Feeds are rows with ``next_check_at``; each tick claims the due ones. Does not keep a job store:
every tick is idempotent, so a restart or a second process loses and repeats nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from .config import Config
from .config.reload import FileState, check_reload, fingerprint, watched_files
from .core import Clipper
from .logic.words import plural

log = logging.getLogger("clipper.scheduler")


class Signals:
    """What the process was asked by signal: stop (SIGTERM, SIGINT) or reload (SIGHUP).

    The first SIGTERM or SIGINT sets ``stop`` and calls ``on_stop`` (claim no more work); a
    second one exits at once with 128 + its number, saying so. Does not wait for anything.
    """

    def __init__(self, on_stop: Callable[[], None] | None = None) -> None:
        #: set by the first SIGTERM or SIGINT (or by a caller)
        self.stop = threading.Event()
        #: set by SIGHUP; cleared by whoever reloads
        self.reload = threading.Event()
        self.on_stop = on_stop
        #: the name of the signal that asked to stop (None: not asked by signal)
        self.received: str | None = None
        #: says what is in flight, for the log lines
        self.in_flight: Callable[[], str] = lambda: "nothing"

    def install(self, *, reload: bool = False) -> bool:
        """Handle SIGTERM and SIGINT (and SIGHUP with ``reload``); False (nothing installed)
        outside the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return False
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)
        if reload:
            signal.signal(signal.SIGHUP, self._handle)
        return True

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGHUP:
            log.info("%s: reloading the configuration", name)  # routine: said at -v
            self.reload.set()
            return
        if self.stop.is_set():
            log.error(
                "second %s: exiting now without waiting (in flight: %s)", name, self.in_flight()
            )
            logging.shutdown()
            os._exit(128 + signum)
        self.received = name
        log.warning(
            "%s: shutting down; in flight: %s (a second %s exits at once)",
            name,
            self.in_flight(),
            name,
        )
        self.stop.set()
        if self.on_stop is not None:
            self.on_stop()


class _Running:
    """The jobs running now, by name; ``idle`` waits until none is."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._changed = threading.Condition()

    def enter(self, name: str) -> None:
        with self._changed:
            self._names.append(name)

    def leave(self, name: str) -> None:
        with self._changed:
            self._names.remove(name)
            self._changed.notify_all()

    def describe(self) -> str:
        with self._changed:
            return ", ".join(self._names) or "nothing"

    def idle(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for no job to run; whether none does. Wakes every
        half second, so a second signal's handler runs at once in the main thread."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._names:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.5))
            return True


def run_ticks(
    jobs: dict[str, tuple[float, Callable[[], object]]],
    *,
    stop: threading.Event | None = None,
    handle_signals: bool = True,
    then: Mapping[str, str] | None = None,
    signals: Signals | None = None,
    grace: float = 20.0,
) -> bool:
    """Run each job every ``interval`` seconds (first run now) until ``stop`` is set, SIGTERM
    or SIGINT (``signals``, installed here with ``handle_signals``).

    A job still running when its next tick comes is skipped, not stacked (``max_instances=1``),
    and missed ticks are coalesced into one. ``then`` maps a job to one that runs at once after
    it finishes (in its own thread; skipped when that one is already running). On stop no tick
    starts; running ones get ``grace`` seconds to finish. Returns True when they did, False
    (logged) when some were still running. Does not end the process.
    """
    signals = signals or Signals()
    if stop is not None:
        signals.stop = stop
    stop = signals.stop
    scheduler = BackgroundScheduler(timezone=UTC)
    follow = dict(then or {})
    running = _Running()
    signals.in_flight = running.describe

    def run_next(name: str) -> None:
        if name in follow and not stop.is_set():
            scheduler.modify_job(follow[name], next_run_time=datetime.now(UTC))

    def tracked(name: str, job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if stop.is_set():
                return
            running.enter(name)
            try:
                job()
            finally:
                running.leave(name)

        return run

    for name, (interval, job) in jobs.items():
        scheduler.add_job(
            tracked(name, _logged(name, job, run_next)),
            "interval",
            seconds=interval,
            id=name,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval)),
        )
    if handle_signals:
        signals.install(reload=False)
    scheduler.start()
    try:
        # in short waits, not one: a signal the kernel hands to another thread (a fetch, a
        # server thread) runs its Python handler only when this, the main thread, wakes up
        while not stop.wait(0.5):
            pass
    finally:
        started = time.monotonic()
        scheduler.shutdown(wait=False)
    was = running.describe()
    if running.idle(grace):
        log.warning("shut down in %.1fs: %s finished or released", time.monotonic() - started, was)
        return True
    log.error(
        "shutdown grace (%gs) ran out; still running: %s (its claims are given back next; "
        "the next start takes that work up again)",
        grace,
        running.describe(),
    )
    return False


#: the configuration watcher's job (``ConfigWatcher.tick``): its ticks are logged at -vv only
CONFIG_JOB = "configuration"
#: a tick at least this long is logged at -v even when its job did nothing
SLOW_TICK_S = 1.0


def _logged(
    name: str, job: Callable[[], object], after: Callable[[str], None]
) -> Callable[[], None]:
    """Run ``job``, then ``after``; log its duration at -v (INFO) when it did work (returned
    something true) or took ``SLOW_TICK_S`` or more, else at -vv. Does not log the
    configuration watcher's ticks at -v: ``clipper_scheduler_tick_seconds`` has every one."""

    def run() -> None:
        started = time.monotonic()
        try:
            worked = job()
        except Exception:  # a failing tick is logged and retried at the next tick
            log.exception("tick %s failed", name)
            return
        took = time.monotonic() - started
        # what bench/soak.py reads for the latency per tick (it runs at -vv)
        loud = name != CONFIG_JOB and (bool(worked) or took >= SLOW_TICK_S)
        log.log(logging.INFO if loud else logging.DEBUG, "tick %s took %.3f s", name, took)
        try:
            after(name)
        except Exception:  # the follow-up still runs at its own next tick
            log.exception("could not start the job after %s", name)

    return run


class ConfigWatcher:
    """Reloads the configuration into a running Clipper on SIGHUP or when a configuration file
    changes (checked every ``run.config_poll``); ``tick`` is its job, run every second.

    A new configuration is checked whole first (``config.reload.check_reload``); a refused one
    leaves the running one in place, is logged once with every problem, and is kept in
    ``Clipper.reload_problem`` (``/healthz`` says degraded) until a later reload succeeds. Does
    not restart servers: settings that need a restart are named in the log.
    """

    def __init__(
        self,
        clipper: Clipper,
        signals: Signals,
        environ: Mapping[str, str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clipper = clipper
        self.signals = signals
        self.environ = environ
        self.monotonic = monotonic
        #: the settings the process started with: what the restart-only ones still are
        self.started = clipper.config.settings
        self._seen = self._state(clipper.config)
        self._checked = monotonic()

    @staticmethod
    def _state(config: Config) -> tuple[FileState, ...]:
        return fingerprint(watched_files(config))

    def tick(self) -> None:
        """Reload when asked (SIGHUP) or when the files changed since the last look."""
        asked = self.signals.reload.is_set()
        poll = self.clipper.config.settings.run.config_poll
        due = poll > 0 and self.monotonic() - self._checked >= poll
        if not asked and not due:
            return
        self.signals.reload.clear()
        self._checked = self.monotonic()
        state = self._state(self.clipper.config)
        if not asked and state == self._seen:
            return
        self._seen = state
        self.reload(why="SIGHUP" if asked else "a configuration file changed")

    def reload(self, *, why: str) -> bool:
        """Check the configuration on disk and swap it in when it may; return whether it was."""
        running = self.clipper.config
        found = check_reload(running, self.environ, self.started)
        if found.config is None:
            problem = " | ".join(found.problems)
            if problem != self.clipper.reload_problem:
                log.error(
                    "configuration reload (%s) refused; still running the previous one: %s",
                    why,
                    problem,
                )
            self.clipper.reload_problem = problem
            return False
        was_refused = self.clipper.reload_problem is not None
        self.clipper.reload(found.config)
        self._seen = self._state(found.config)
        if found.restart:
            log.warning(
                "configuration reloaded (%s), but these changed settings need a restart to "
                "apply: %s",
                why,
                ", ".join(found.restart),
            )
        elif found.changed or was_refused:
            config = found.config
            # routine (INFO, at -v); a refused reload is an error, a restart-only edit a warning
            log.info(
                "configuration reloaded (%s): %s, %s, %s",
                why,
                plural(len(config.feed_sources()), "feed"),
                plural(len(config.accounts), "account"),
                plural(len(config.reps), "rep"),
            )
        else:
            log.info("configuration unchanged (%s)", why)
        return True
