"""Cold start as a user meets it: ``clipper --help``, ``check``, ``explain`` and ``run --once``,
one commit against another, whole processes, interleaved.

Each revision gets its own copy of the bundled samples (``config/``, ``feeds/``). After one
warm-up run of every command on each side (which also writes bytecode and makes ``var/``), the
commands run A B A B ...: ``explain`` gets a new title every run (so the article's embedding is
never cached; the accounts' are, as for a user who has run it before), ``run --once`` a fresh
``var/`` every run. Reported per command: the median of the pairwise wall-time ratios
(candidate / baseline) with min and max, the median walls and CPU seconds (user + system, what
load does not inflate much), and each side's median and largest peak RSS (``wait4``). The
ONNX export must be cached (``clipper model prepare``).

Usage: python bench/cold.py BASELINE_REV [--candidate REV] [--pairs 5] [--only explain,...]
The revisions are checked out into temporary git worktrees; the current venv runs both.
Does not judge the result: read the range before calling it a change.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from procs import timed, tree_env, worktrees

_count = itertools.count(1)

#: command name -> the arguments after ``--config FILE`` (a function: explain's title is new)
COMMANDS: dict[str, Callable[[], list[str]]] = {
    "--help": lambda: ["--help"],
    "check": lambda: ["check"],
    # names an account outright: no entity recogniser needed
    "explain": lambda: [
        "explain",
        "--title",
        f"Helix Components sued over deliveries {next(_count)}",
    ],
    # "Acme" alone is ambiguous: spaCy's recogniser is loaded to read it
    "explain (ambiguous name)": lambda: [
        "explain",
        "--title",
        f"Acme raises funds for a new plant {next(_count)}",
    ],
    "run --once": lambda: ["run", "--once"],
}


def sample(tree: Path, into: Path) -> Path:
    """Copy ``tree``'s samples into ``into``; return its settings file."""
    for folder in ("config", "feeds"):
        shutil.copytree(tree / folder, into / folder)
    return into / "config" / "clipper.yaml"


def run(tree: Path, config: Path, name: str) -> tuple[float, int, float]:
    """Run one command from ``tree`` as a whole process; return wall seconds, peak RSS KiB and
    CPU seconds (user + system: what the wall would be on an idle machine, threads aside)."""
    if name == "run --once":
        shutil.rmtree(config.parent.parent / "var", ignore_errors=True)
    env = tree_env(tree)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached
    args = COMMANDS[name]()
    done = timed(
        [sys.executable, "-m", "clipper", "--config", str(config), *args],
        env=env,
        cwd=config.parent.parent,
        what=f"clipper {' '.join(args)} in {tree}",
    )
    return done.wall, done.rss_kib, done.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--only", default=",".join(COMMANDS), help="commands, comma-separated")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="clipper-cold-") as scratch:
        root = Path(scratch)
        (root / "trees").mkdir()
        revs = ((args.baseline, ""), (args.candidate, ""))
        with worktrees(root / "trees", *revs) as (a, b):
            configs = {a: sample(a, root / "a"), b: sample(b, root / "b")}
            for name in names:  # warm-up
                run(a, configs[a], name), run(b, configs[b], name)
            runs: dict[
                str, tuple[list[tuple[float, int, float]], list[tuple[float, int, float]]]
            ] = {n: ([], []) for n in names}
            for pair in range(args.pairs):
                for name in names:
                    runs[name][0].append(run(a, configs[a], name))
                    runs[name][1].append(run(b, configs[b], name))
                    first, second = runs[name][0][-1][0], runs[name][1][-1][0]
                    print(f"pair {pair + 1} {name}: {first:.2f} s / {second:.2f} s", flush=True)
    print(
        f"\n{args.candidate} against {args.baseline}, {args.pairs} pairs, load average "
        f"{load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        "| command | median ratio (min-max) | median wall, baseline / candidate "
        "| CPU s, median, baseline / candidate | peak RSS median (max), MiB, baseline / candidate |"
    )
    print("|---|---|---|---|---|")
    for name, (base, cand) in runs.items():
        ratios = [rb[0] / ra[0] for ra, rb in zip(base, cand, strict=True)]

        def rss(side: list[tuple[float, int, float]]) -> str:
            return (
                f"{statistics.median(r[1] for r in side) / 1024:.0f} "
                f"({max(r[1] for r in side) / 1024:.0f})"
            )

        print(
            f"| `clipper {name}` | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{statistics.median(r[0] for r in base):.2f} s / "
            f"{statistics.median(r[0] for r in cand):.2f} s | "
            f"{statistics.median(r[2] for r in base):.2f} / "
            f"{statistics.median(r[2] for r in cand):.2f} | {rss(base)} / {rss(cand)} |"
        )


if __name__ == "__main__":
    main()
