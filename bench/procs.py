"""What the A/B benchmarks share: revisions checked out into temporary git worktrees, the
environment a child process runs one tree's code with, and a child process timed as a user
meets it (wall seconds, CPU seconds, peak RSS from ``wait4``).

Contains no workload and does not judge a result; bench/cold.py, run_once.py, ingest.py and
ab.py use it (run as ``python bench/NAME.py``, so it is imported as ``procs``).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def tree_env(tree: Path, **extra: str) -> dict[str, str]:
    """This environment with ``tree`` first on ``PYTHONPATH`` (the current venv runs its code)
    and the model hub offline; ``extra`` added."""
    return {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", **extra}


@dataclass(frozen=True)
class Timed:
    """One child process run to its exit."""

    #: wall seconds, start to exit
    wall: float
    #: peak resident set, KiB (``ru_maxrss``)
    rss_kib: int
    #: CPU seconds, user + system: what the wall would be on an idle machine, threads aside
    cpu: float
    #: stdout and stderr together, when captured (else "")
    output: str


def timed(
    command: list[str], *, env: dict[str, str], cwd: Path, what: str, capture: bool = False
) -> Timed:
    """Run ``command`` to its exit (output captured when ``capture``, else discarded).

    Raises:
        SystemExit: it failed, naming ``what`` (the benchmark would compare nothing).
    """
    started = time.perf_counter()
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    output = child.stdout.read().decode(errors="replace") if child.stdout is not None else ""
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    if code != 0:
        raise SystemExit(f"{what} failed ({code}):\n{output[-3000:]}")
    return Timed(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, output)


@contextmanager
def worktrees(into: Path, *revs: tuple[str, str]) -> Iterator[list[Path]]:
    """Check each (revision, name prefix) out into a detached git worktree under ``into`` for
    the block; removed afterwards, whatever happened."""
    made: list[Path] = []
    try:
        for rev, prefix in revs:
            path = into / f"{prefix}{rev.replace('/', '_')}"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path), rev],
                check=True,
            )
            made.append(path)
        yield made
    finally:
        for path in made:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False
            )


def loopback_fetch(max_new_per_feed: int) -> dict[str, Any]:
    """The ``fetch:`` settings of a benchmark whose feeds one loopback host serves: 16 at once
    (in production the per-host limit is 2), private addresses allowed, every item new."""
    return {
        "concurrency": 16,
        "per_host_concurrency": 16,
        "max_new_per_feed": max_new_per_feed,
        "allow_private_networks": ["127.0.0.0/8"],
    }
