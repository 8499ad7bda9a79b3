"""The in-process ticker: APScheduler 3.11 with a few fixed jobs, never one job per feed.

Feeds are rows with ``next_check_at``; each tick claims the due ones. Does not keep a job store:
every tick is idempotent, so a restart or a second process loses and repeats nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("clipper.scheduler")


def run_ticks(
    jobs: dict[str, tuple[float, Callable[[], object]]],
    *,
    stop: threading.Event | None = None,
    handle_signals: bool = True,
    then: Mapping[str, str] | None = None,
) -> None:
    """Run each job every ``interval`` seconds (first run now) until ``stop`` is set or SIGTERM.

    A job still running when its next tick comes is skipped, not stacked (``max_instances=1``),
    and missed ticks are coalesced into one. ``then`` maps a job to one that runs at once after
    it finishes (in its own thread; skipped when that one is already running).
    """
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(timezone=UTC)
    follow = dict(then or {})

    def run_next(name: str) -> None:
        if name in follow and not stop.is_set():
            scheduler.modify_job(follow[name], next_run_time=datetime.now(UTC))

    for name, (interval, job) in jobs.items():
        scheduler.add_job(
            _logged(name, job, run_next),
            "interval",
            seconds=interval,
            id=name,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(interval)),
        )
    if handle_signals and threading.current_thread() is threading.main_thread():

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %d: stopping after the running tick", signum)
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)


def _logged(
    name: str, job: Callable[[], object], after: Callable[[str], None]
) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:  # a failing tick is logged and retried at the next tick
            log.exception("tick %s failed", name)
            return
        try:
            after(name)
        except Exception:  # the follow-up still runs at its own next tick
            log.exception("could not start the job after %s", name)

    return run
