"""``HealthBoard``: what ``/readyz`` reads besides the database, shared by the parts of one
process.

The run loop registers its jobs and marks each tick (``watched``); any part may report a
problem under a key and clear it later (a config reload: ``set_problem("config reload",
"...")``). Thread-safe. Does not check the database or decide readiness
(``Clipper.readiness`` and ``logic.readiness`` do).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .logic.readiness import JobTicks
from .ports import MetricsType, NoMetrics

log = logging.getLogger("clipper.health")


class HealthBoard:
    """Problems reported by key, and when each scheduler job last started or finished."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._problems: dict[str, str] = {}
        self._jobs: dict[str, tuple[float, float]] = {}

    def set_problem(self, key: str, reason: str) -> None:
        """Make ``/readyz`` answer 503 with "KEY: REASON" until ``clear(key)``."""
        with self._lock:
            self._problems[key] = reason

    def clear(self, key: str) -> None:
        """Drop the problem reported under ``key``; nothing when there is none."""
        with self._lock:
            self._problems.pop(key, None)

    def problems(self) -> dict[str, str]:
        """Return a copy of the reported problems by key."""
        with self._lock:
            return dict(self._problems)

    def expect(self, job: str, interval_s: float) -> None:
        """Register a job that ticks every ``interval_s``; it counts as fresh from now."""
        with self._lock:
            self._jobs[job] = (interval_s, self._monotonic())

    def ticked(self, job: str) -> None:
        """Mark that ``job`` started or finished a tick now (registered ones only)."""
        with self._lock:
            if job in self._jobs:
                self._jobs[job] = (self._jobs[job][0], self._monotonic())

    def jobs(self) -> tuple[JobTicks, ...]:
        with self._lock:
            return tuple(JobTicks(name, every, last) for name, (every, last) in self._jobs.items())

    def now(self) -> float:
        return self._monotonic()

    def watched(
        self,
        job: str,
        interval_s: float,
        run: Callable[[], object],
        metrics: MetricsType | None = None,
    ) -> Callable[[], object]:
        """Register ``job`` and return ``run`` marking its ticks and timing them
        (``clipper_scheduler_tick_seconds``), returning what ``run`` returns. An exception is
        counted and raised again: the scheduler logs it. Does not catch anything."""
        self.expect(job, interval_s)
        count = metrics or NoMetrics()

        def tick() -> object:
            self.ticked(job)
            started = self._monotonic()
            failed = True
            try:
                result = run()
                failed = False
                return result
            finally:
                self.ticked(job)
                count.tick(job, self._monotonic() - started, failed)

        return tick
