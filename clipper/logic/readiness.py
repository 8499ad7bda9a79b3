"""Whether the process is ready (``/readyz``): the database, the scheduler's ticks, the
configuration, and problems other parts reported (a failed reload).

Pure: the caller passes what it found and the monotonic time. Does not check anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..types import Readiness
from .words import plural

#: a job is stale when it has not started or finished a tick for this many of its intervals
STALE_INTERVALS = 2.0


@dataclass(frozen=True, slots=True)
class JobTicks:
    """One scheduler job as ``/readyz`` sees it (monotonic seconds)."""

    name: str
    interval_s: float
    #: when a tick last started or finished (the job's registration before its first tick)
    last_s: float


def stale_jobs(jobs: Sequence[JobTicks], now_s: float) -> tuple[str, ...]:
    """Return one reason per job that has not ticked within ``STALE_INTERVALS`` intervals."""
    reasons: list[str] = []
    for job in jobs:
        since = now_s - job.last_s
        if since > STALE_INTERVALS * job.interval_s:
            reasons.append(
                f"scheduler: {job.name!r} has not ticked for {since:.0f} s "
                f"(every {job.interval_s:g} s; stale after {STALE_INTERVALS * job.interval_s:g} s)"
            )
    return tuple(reasons)


def readiness(
    *,
    database: str | None,
    skipped_config: int,
    reported: Mapping[str, str],
    jobs: Sequence[JobTicks],
    now_s: float,
) -> Readiness:
    """Return ``/readyz``'s verdict: every reason, database first.

    ``database`` is why the database cannot be written (None: it can); ``skipped_config`` the
    configuration parts skipped at load; ``reported`` what other parts set on the board.
    """
    problems: list[str] = []
    if database is not None:
        problems.append(f"database: {database}")
    problems.extend(stale_jobs(jobs, now_s))
    if skipped_config:
        problems.append(
            f"configuration: {plural(skipped_config, 'part')} skipped ('clipper check' lists them)"
        )
    problems.extend(f"{key}: {reason}" for key, reason in sorted(reported.items()))
    return Readiness(tuple(problems))
