"""Ingestion benchmark: Clipper vs lemon24/reader on the same local feeds, in the same run.

N feeds of 50 items (~55 KiB of RSS each) are served over loopback by one HTTP server. Each run
is a fresh child process against a fresh database (so peak RSS is its own): fetch, parse,
normalise and store every item. After one warm-up run of each tool, reader (A) and Clipper (B)
alternate A B A B for ``--pairs`` pairs; the report is the median of the pairwise throughput
ratios (Clipper / reader) with min and max, each side's median time and peak RSS, and the items
each stored (they must be equal).

    whole       the commands a user runs, timed from start to exit: ``python -m
                clipper --config FILE fetch --once`` with a fresh ``var/``, against a script
                a reader user would write (``make_reader(db)``, ``add_feed`` x N,
                ``update_feeds(workers=4)``); peak RSS from ``os.wait4``
    in-process  the update loop alone inside each child (``Pipeline.update_feeds`` and
                ``update_feeds(workers=4)``), start-up and imports excluded

Usage: python bench/ingest.py [--feeds 200] [--pairs 5] [--mode both|whole|in-process]
       [--reader-path DIR]   (DIR: where reader 3.26 is installed, if not in this venv)
Does not judge the result: read the range before calling anything a change.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from procs import loopback_fetch, timed

ITEMS = 50
WORDS = [
    "market",
    "supply",
    "chain",
    "freight",
    "contract",
    "revenue",
    "quarter",
    "growth",
    "customer",
    "logistics",
    "warehouse",
    "automation",
    "energy",
    "grid",
    "storage",
    "capacity",
    "demand",
    "pricing",
    "partnership",
]


def make_feed(n: int, now: datetime) -> bytes:
    parts = [
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Bench feed {n}</title><link>http://bench.example/{n}/</link>"
        f"<description>Benchmark feed {n}</description>"
    ]
    for i in range(ITEMS):
        words = " ".join(WORDS[(n + i + k) % len(WORDS)] for k in range(90))
        body = (
            f"<p>{words.capitalize()}.</p><p>Read more at "
            f"<a href='http://bench.example/{n}/{i}'>the site</a>.</p>"
        )
        when = format_datetime(now - timedelta(minutes=n + i * 7), usegmt=True)
        parts.append(
            f"<item><title>Feed {n} story {i}: {escape(words[:60])}</title>"
            f"<link>http://bench.example/{n}/{i}?utm_source=rss</link>"
            f"<guid isPermaLink='false'>bench-{n}-{i}</guid><pubDate>{when}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(feeds: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else delayed ACKs stall keep-alive responses 40 ms

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = feeds.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    class Server(ThreadingHTTPServer):
        request_queue_size = 512
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


#: the reader script a user would write: one database, every feed added, one update
READER_SCRIPT = """\
import json, sys
from reader import make_reader

reader = make_reader(sys.argv[1])
for url in json.load(open(sys.argv[2])):
    reader.add_feed(url)
reader.update_feeds(workers=4)
reader.close()
"""


def write_clipper_config(workdir: Path, urls: list[str]) -> Path:
    """Write a settings file, a catalog of ``urls`` and empty accounts and reps into
    ``workdir``; the database goes to ``workdir/var``. Does not create the database."""
    import yaml

    (workdir / "feeds").mkdir()
    (workdir / "feeds" / "bench.yaml").write_text(
        yaml.safe_dump({"industry": "bench", "feeds": [{"url": u, "name": u} for u in urls]})
    )
    (workdir / "accounts.yaml").write_text("accounts: []\n")
    (workdir / "reps.yaml").write_text("reps: []\n")
    settings = {
        "database": "sqlite:///var/clipper.db",
        "feeds_dir": "feeds",
        "fetch": loopback_fetch(ITEMS),
    }
    (workdir / "clipper.yaml").write_text(yaml.safe_dump(settings))
    return workdir / "clipper.yaml"


def run_reader(urls: list[str], workdir: Path) -> tuple[int, float]:
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.sqlite"))
    for url in urls:
        reader.add_feed(url)
    started = time.perf_counter()
    reader.update_feeds(workers=4)
    elapsed = time.perf_counter() - started
    count = reader.get_entry_counts().total
    reader.close()
    return count, elapsed


def run_clipper(urls: list[str], workdir: Path) -> tuple[int, float]:
    from clipper.config import load_config
    from clipper.wiring import make_clipper

    config = load_config(write_clipper_config(workdir, urls), {})
    with make_clipper(config) as clipper:
        clipper.sync_feeds()
        started = time.perf_counter()
        clipper.pipeline.update_feeds(due_only=False, extract_pages=False)
        elapsed = time.perf_counter() - started
        count = clipper.storage.count_articles()
    return count, elapsed


def child(tool: str, urls: list[str]) -> None:
    """Run one tool's update loop in this process; print items, seconds and peak RSS as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        count, elapsed = (run_reader if tool == "reader" else run_clipper)(urls, Path(tmp))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime  # the whole child's, start-up included
    peak = usage.ru_maxrss / 1024
    print(json.dumps({"items": count, "seconds": elapsed, "peak_mib": peak, "cpu": cpu}))


def _count(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        count: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return count


def whole(tool: str, urls_file: Path, urls: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run the command a user runs, from a fresh folder; return items, seconds and peak RSS."""
    with tempfile.TemporaryDirectory(prefix=f"ingest-{tool}-") as tmp:
        workdir = Path(tmp)
        if tool == "reader":
            script = workdir / "update.py"
            script.write_text(READER_SCRIPT)
            db = workdir / "reader.sqlite"
            command = [sys.executable, str(script), str(db), str(urls_file)]
            done = timed(command, env=env, cwd=workdir, what="reader", capture=True)
            items = _count(db, "entries")
        else:
            config = write_clipper_config(workdir, urls)
            command = [sys.executable, "-m", "clipper", "--config", str(config), "fetch", "--once"]
            done = timed(command, env=env, cwd=workdir, what="clipper fetch --once", capture=True)
            if f"feeds: {len(urls)} ok" not in done.output:
                raise SystemExit(f"clipper fetch --once did not fetch every feed:\n{done.output}")
            items = _count(workdir / "var" / "clipper.db", "articles")
    return {"items": items, "seconds": done.wall, "peak_mib": done.rss_kib / 1024, "cpu": done.cpu}


def in_process(tool: str, urls_file: Path, env: dict[str, str]) -> dict[str, float]:
    """Run the update loop alone in a child process; return items, seconds and peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", tool, "--urls", str(urls_file)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{tool} (in-process) failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def report(mode: str, runs: dict[str, list[dict[str, float]]], feeds: int) -> None:
    """Print one mode's table: medians, the pairwise ratio's median and range, peak RSS."""
    a, b = runs["reader"], runs["clipper"]
    ratios = [x["seconds"] / y["seconds"] for x, y in zip(a, b, strict=True)]
    print(f"\n{mode}, {len(ratios)} pairs after a warm-up (medians):\n")
    print(
        "| tool | seconds | feeds/s | items/s | items stored | CPU seconds "
        "| peak RSS (MiB, median / max) |"
    )
    print("|---|---|---|---|---|---|---|")
    for tool, side in runs.items():
        seconds = statistics.median(r["seconds"] for r in side)
        items = sorted({int(r["items"]) for r in side})
        peaks = [r["peak_mib"] for r in side]
        cpu = statistics.median(r["cpu"] for r in side)
        print(
            f"| {tool} | {seconds:.2f} | {feeds / seconds:.0f} | {items[0] / seconds:,.0f} | "
            f"{', '.join(map(str, items))} | {cpu:.2f} | "
            f"{statistics.median(peaks):.0f} / {max(peaks):.0f} |"
        )
    same = {int(r["items"]) for r in a} == {int(r["items"]) for r in b}
    rss = statistics.median(r["peak_mib"] for r in b) / statistics.median(r["peak_mib"] for r in a)
    cpu_ratios = [x["cpu"] / y["cpu"] for x, y in zip(a, b, strict=True)]
    print(
        f"\nClipper / reader throughput: {statistics.median(ratios):.2f}x "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}); peak RSS {rss:.2f}x reader's; "
        f"same item counts: {same}\n"
        f"reader's CPU seconds / Clipper's (whole child, on a loaded machine the steadier "
        f"figure): {statistics.median(cpu_ratios):.2f}x "
        f"(range {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--mode", choices=["whole", "in-process", "both"], default="both")
    parser.add_argument("--reader-path", help="a folder with reader 3.26 (pip install --target)")
    parser.add_argument("--child", choices=["reader", "clipper"])
    parser.add_argument("--urls")
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(Path(args.urls).read_text()))
        return
    now = datetime.now(UTC)
    feeds = {f"/feed/{n}.xml": make_feed(n, now) for n in range(args.feeds)}
    httpd = serve(feeds)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    urls = [base + path for path in feeds]
    size = statistics.mean(len(b) for b in feeds.values())
    repo = str(Path(__file__).resolve().parents[1])
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if args.reader_path:
        path.insert(0, args.reader_path)
    envs = {
        "clipper": {**os.environ, "NO_PROXY": "127.0.0.1", "PYTHONPATH": repo},
        "reader": {
            **os.environ,
            "NO_PROXY": "127.0.0.1",
            "PYTHONPATH": os.pathsep.join(
                [*([args.reader_path] if args.reader_path else []), *path]
            ),
        },
    }
    modes = ["whole", "in-process"] if args.mode == "both" else [args.mode]
    print(f"{args.feeds} feeds x {ITEMS} items, {size / 1024:.0f} KiB each, over loopback")
    with tempfile.TemporaryDirectory(prefix="ingest-urls-") as tmp:
        urls_file = Path(tmp) / "urls.json"
        urls_file.write_text(json.dumps(urls))

        def one(mode: str, tool: str) -> dict[str, float]:
            if mode == "whole":
                return whole(tool, urls_file, urls, envs[tool])
            return in_process(tool, urls_file, envs[tool])

        try:
            for mode in modes:
                one(mode, "reader"), one(mode, "clipper")  # warm-up: disk cache, bytecode
                runs: dict[str, list[dict[str, float]]] = {"reader": [], "clipper": []}
                for pair in range(args.pairs):
                    for tool in ("reader", "clipper"):
                        runs[tool].append(one(mode, tool))
                    print(
                        f"{mode} pair {pair + 1}: reader {runs['reader'][-1]['seconds']:.2f} s, "
                        f"clipper {runs['clipper'][-1]['seconds']:.2f} s",
                        flush=True,
                    )
                report(mode, runs, args.feeds)
        finally:
            httpd.shutdown()


if __name__ == "__main__":
    main()
