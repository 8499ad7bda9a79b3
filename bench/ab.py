"""One commit against another on the ingestion and matching workloads, interleaved A B A B.

Both revisions are checked out into temporary git worktrees and run by the current venv with
``PYTHONPATH`` set to their tree, each run in a fresh child process against a fresh SQLite
database, so a noisy machine slows both sides alike. After one warm-up run of each, baseline and
candidate alternate for ``--pairs`` pairs; the report is the median of the pairwise ratios
(candidate / baseline) with min and max, for the whole child process (start-up and imports
included, as a user running the command pays them) and for the timed loop alone, plus each
side's peak RSS.

    ingest  ``update_feeds`` on N local RSS feeds of 50 items (bench/ingest.py's feeds), over
            loopback, from an empty database
    match   ``match_pending`` on N stored articles (UCI headlines with Reuters bodies) against
            ``--accounts`` (2,000) accounts with the real embedding model; ingestion is outside
            the timed loop
    digest  ``compose_due``: every rep's digest composed into the outbox (Markdown, as without
            Slack), for ``--reps`` (2,000) reps x 10 accounts x 3 new matches with realistic
            text (bench/articles.py); each revision seeds one database through its own storage
            once, and every run gets a fresh copy of it (seeding is outside the child process)

Usage: python bench/ab.py BASELINE_REV [--candidate REV] [--workload ingest|match|digest]
       [--pairs 5] [--reps 2000]
Does not judge the result: read the range before calling anything a change.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import make_feed, serve  # noqa: E402
from procs import loopback_fetch, tree_env, worktrees  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ("ingest", "match", "digest")
DATA = REPO.parent / "shared" / "data"
ITEMS_PER_FEED = 50
#: the digest workload: accounts per rep and new matches per account
DIGEST_ACCOUNTS = 10
DIGEST_MATCHES = 3


def _make_clipper(config: Any) -> Any:
    """Return the revision's ``make_clipper`` (``clipper.wiring`` now, ``clipper.core`` before)."""
    try:
        from clipper.wiring import make_clipper
    except ImportError:
        from clipper.core import make_clipper  # type: ignore[attr-defined,no-redef]
    return make_clipper(config)


def _write_config(workdir: Path, urls: list[str], accounts: list[str]) -> Path:
    import yaml

    (workdir / "feeds").mkdir()
    (workdir / "feeds" / "bench.yaml").write_text(
        yaml.safe_dump(
            {
                "industry": "business",
                "description": "company and market news",
                "feeds": [{"url": u, "name": u} for u in urls],
            }
        )
    )
    (workdir / "accounts.yaml").write_text(
        yaml.safe_dump({"accounts": [{"name": n, "industry": "business"} for n in accounts]})
    )
    (workdir / "reps.yaml").write_text("reps: []\n")
    settings = {
        "database": "sqlite:///clipper.db",
        "feeds_dir": "feeds",
        "fetch": loopback_fetch(ITEMS_PER_FEED),
    }
    (workdir / "clipper.yaml").write_text(yaml.safe_dump(settings))
    return workdir / "clipper.yaml"


def seed_digest(workdir: Path, reps: int) -> None:
    """Write the digest workload's config and seed its database with this process's Clipper."""
    from articles import seed_digest_matches, write_digest_config

    from clipper.config import load_config

    config = load_config(write_digest_config(workdir, reps, DIGEST_ACCOUNTS), {})
    with _make_clipper(config) as clipper:
        seed_digest_matches(
            clipper.storage, reps, DIGEST_ACCOUNTS, DIGEST_MATCHES, datetime.now(UTC)
        )


def digest_child(workdir: Path) -> None:
    """Compose every due digest of a seeded copy; print the timed seconds and peak RSS."""
    from clipper.config import load_config

    config = load_config(workdir / "config" / "clipper.yaml", {})
    with _make_clipper(config) as clipper:
        started = time.perf_counter()
        count = len(clipper.digests.compose_due().queued)
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": count, "seconds": seconds, "peak_mib": peak_kib / 1024}))


def child(workload: str, urls: list[str], accounts: list[str]) -> None:
    """Run one workload in this process and print its timed seconds and peak RSS as JSON."""
    from clipper.config import load_config

    with tempfile.TemporaryDirectory(prefix="clipper-ab-") as tmp:
        config = load_config(_write_config(Path(tmp), urls, accounts), {})
        with _make_clipper(config) as clipper:
            clipper.sync_feeds()
            if workload == "ingest":
                started = time.perf_counter()
                clipper.pipeline.update_feeds(due_only=False, extract_pages=False)
                seconds = time.perf_counter() - started
                count = clipper.storage.count_articles()
            else:
                clipper.pipeline.update_feeds(due_only=False, extract_pages=False)
                clipper.embedder  # noqa: B018 (loads the model outside the timed loop)
                started = time.perf_counter()
                count = clipper.match_pending()[0]
                seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": count, "seconds": seconds, "peak_mib": peak_kib / 1024}))


def match_feeds(feeds: int, now: datetime) -> dict[str, bytes]:
    """Return RSS feeds of real headlines (UCI) with Reuters bodies, 50 items each."""
    from match import reuters_texts

    with (DATA / "uci_news_aggregator" / "uci-news-aggregator.csv").open(encoding="utf-8") as f:
        titles = list(dict.fromkeys(r["TITLE"] for r in csv.DictReader(f)))[: feeds * 50]
    bodies = reuters_texts(DATA / "reuters21578", len(titles))
    result = {}
    for n in range(feeds):
        items = []
        for i in range(ITEMS_PER_FEED):
            k = n * ITEMS_PER_FEED + i
            items.append(
                f"<item><title>{escape(titles[k % len(titles)])}</title>"
                f"<link>https://news.example.com/{n}/{i}</link><guid>bench-{n}-{i}</guid>"
                f"<pubDate>{format_datetime(now - timedelta(minutes=k))}</pubDate>"
                f"<description>{escape(bodies[k % len(bodies)][:600])}</description></item>"
            )
        result[f"/feed/{n}.xml"] = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>'
            f"<link>https://news.example.com/</link>{''.join(items)}</channel></rss>"
        ).encode()
    return result


def run(tree: Path, workload: str, spec: Path, seeded: Path | None = None) -> dict[str, float]:
    """Run one child from ``tree``; return its timed seconds, whole wall and peak RSS. A
    digest run composes in a fresh copy of ``seeded`` (copied before the child starts)."""
    env = tree_env(tree, NO_PROXY="127.0.0.1")
    command = [sys.executable, __file__, "--child", workload, "--spec", str(spec)]
    copy = None
    if seeded is not None:
        copy = Path(tempfile.mkdtemp(prefix="clipper-ab-digest-"))
        shutil.copytree(seeded, copy, dirs_exist_ok=True)
        command += ["--workdir", str(copy)]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if copy is not None:
        shutil.rmtree(copy, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"{workload} failed in {tree}:\n{out.stderr[-2000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def _seed(tree: Path, spec: Path, workdir: Path) -> None:
    """Seed the digest workload's database with ``tree``'s own storage, in a child process."""
    env = tree_env(tree)
    command = [sys.executable, __file__, "--child", "digest-seed", "--spec", str(spec)]
    out = subprocess.run(
        [*command, "--workdir", str(workdir)], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"seeding failed in {tree}:\n{out.stderr[-2000:]}")


def _ratio_line(label: str, a: list[float], b: list[float]) -> str:
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    return (
        f"| {label} | {statistics.median(a):.2f} s | {statistics.median(b):.2f} s | "
        f"{statistics.median(ratios):.3f} | {min(ratios):.3f}–{max(ratios):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", nargs="?")
    parser.add_argument("--candidate", default="HEAD")
    parser.add_argument("--workload", choices=WORKLOADS, default="ingest")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--feeds", type=int, help="default: 200 (ingest), 10 (match)")
    parser.add_argument("--accounts", type=int, default=2000, help="match: accounts (S&P first)")
    parser.add_argument("--reps", type=int, default=2000, help="digest: reps (10 accounts each)")
    parser.add_argument("--child", choices=[*WORKLOADS, "digest-seed"])
    parser.add_argument("--spec", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.child == "digest-seed":
        seed_digest(args.workdir, json.loads(args.spec.read_text())["reps"])
        return
    if args.child == "digest":
        digest_child(args.workdir)
        return
    if args.child:
        spec = json.loads(args.spec.read_text())
        child(args.child, spec["urls"], spec["accounts"])
        return
    if not args.baseline:
        parser.error("BASELINE_REV is required")
    now = datetime.now(UTC)
    accounts: list[str] = []
    if args.workload == "digest":
        feeds: dict[str, bytes] = {}
    elif args.workload == "ingest":
        feeds = {f"/feed/{n}.xml": make_feed(n, now) for n in range(args.feeds or 200)}
    else:
        feeds = match_feeds(args.feeds or 10, now)
        with (DATA / "sp500_companies" / "constituents.csv").open(encoding="utf-8") as f:
            sp500 = [r["Security"] for r in csv.DictReader(f)]
        from match import synthetic_names

        accounts = (sp500 + synthetic_names(max(0, args.accounts - len(sp500))))[: args.accounts]
    httpd = serve(feeds)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="clipper-trees-") as trees:
        spec = Path(trees) / "spec.json"
        spec.write_text(
            json.dumps({"urls": [base + p for p in feeds], "accounts": accounts, "reps": args.reps})
        )
        revs = ((args.baseline, "baseline-"), (args.candidate, "candidate-"))
        with worktrees(Path(trees), *revs) as (a, b):
            seeds: dict[Path, Path | None] = {a: None, b: None}
            try:
                if args.workload == "digest":
                    for tree in (a, b):
                        seeded = Path(trees) / f"seed-{tree.name}"
                        seeded.mkdir()
                        _seed(tree, spec, seeded)
                        seeds[tree] = seeded
                for tree in (a, b):  # warm-up
                    run(tree, args.workload, spec, seeds[tree])
                runs_a, runs_b = [], []
                for pair in range(args.pairs):
                    runs_a.append(run(a, args.workload, spec, seeds[a]))
                    runs_b.append(run(b, args.workload, spec, seeds[b]))
                    print(
                        f"pair {pair + 1}: loop {runs_a[-1]['seconds']:.2f} s / "
                        f"{runs_b[-1]['seconds']:.2f} s, whole {runs_a[-1]['wall']:.2f} s / "
                        f"{runs_b[-1]['wall']:.2f} s",
                        flush=True,
                    )
            finally:
                httpd.shutdown()
    items = {runs_a[0]["items"], runs_b[0]["items"]}
    size = (
        f"{args.reps} reps x {DIGEST_ACCOUNTS} accounts x {DIGEST_MATCHES} matches"
        if args.workload == "digest"
        else f"{len(feeds)} feeds"
    )
    print(
        f"\n{args.workload}: {args.candidate} against {args.baseline}, {size}, "
        f"{args.pairs} pairs after a warm-up; items {sorted(items)}\n"
    )
    print("| timing | baseline (median) | candidate (median) | median ratio | range |")
    print("|---|---|---|---|---|")
    print(_ratio_line("timed loop", [r["seconds"] for r in runs_a], [r["seconds"] for r in runs_b]))
    print(_ratio_line("whole process", [r["wall"] for r in runs_a], [r["wall"] for r in runs_b]))
    print(
        f"\npeak RSS: {max(r['peak_mib'] for r in runs_a):.0f} MiB / "
        f"{max(r['peak_mib'] for r in runs_b):.0f} MiB"
    )


if __name__ == "__main__":
    main()
