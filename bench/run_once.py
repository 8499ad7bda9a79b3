"""``clipper run --once`` as a user runs it, one commit against another, interleaved.

Each run is a whole process on the bundled samples (`config/`, `feeds/`) with a fresh database,
so start-up, imports, model load, fetch, match and digest all count. Baseline and candidate
alternate (A B A B ...) after one warm-up run of each, so a noisy machine slows both sides
alike; the report is the median of the pairwise ratios (candidate / baseline) with min and
max, the median wall times, and each side's peak memory (max RSS, from ``wait4``).

Usage: python bench/run_once.py BASELINE_REV [--candidate REV] [--pairs 5]
The revisions are checked out into temporary git worktrees; the current venv runs both.
Does not run the test suite or judge the result: read the range before calling it a change.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from procs import timed, tree_env, worktrees


def run_once(tree: Path) -> tuple[float, int]:
    """Run ``clipper run --once`` from ``tree`` on a fresh copy of its samples; return the wall
    seconds and the peak RSS in KiB."""
    with tempfile.TemporaryDirectory(prefix="clipper-bench-") as scratch:
        for folder in ("config", "feeds"):
            shutil.copytree(tree / folder, Path(scratch) / folder)
        config = Path(scratch) / "config" / "clipper.yaml"
        done = timed(
            [sys.executable, "-m", "clipper", "--config", str(config), "run", "--once"],
            env=tree_env(tree),
            cwd=Path(scratch),
            what=f"clipper run --once in {tree}",
        )
        return done.wall, done.rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clipper-trees-") as trees:
        revs = ((args.baseline, ""), (args.candidate, ""))
        with worktrees(Path(trees), *revs) as (a, b):
            run_once(a), run_once(b)  # warm-up: disk caches, compiled bytecode
            runs_a, runs_b = [], []
            for pair in range(args.pairs):
                runs_a.append(run_once(a))
                runs_b.append(run_once(b))
                print(f"pair {pair + 1}: {runs_a[-1][0]:.2f} s / {runs_b[-1][0]:.2f} s")
    ratios = [rb[0] / ra[0] for ra, rb in zip(runs_a, runs_b, strict=True)]
    print(
        f"{args.candidate} / {args.baseline}, {args.pairs} pairs: median ratio "
        f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
        f"median wall {statistics.median(r[0] for r in runs_a):.2f} s / "
        f"{statistics.median(r[0] for r in runs_b):.2f} s; peak RSS "
        f"{max(r[1] for r in runs_a) / 1024:.0f} MiB / {max(r[1] for r in runs_b) / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
