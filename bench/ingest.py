"""Ingestion benchmark: Clipper vs lemon24/reader on the same local feeds, in the same run.

N feeds of 50 items (~40 KB of RSS each) are served over loopback by one HTTP server. Each tool
runs in a fresh child process (so peak RSS is its own) against a fresh database: fetch, parse,
normalise and store every item. Rounds alternate between the tools; medians are reported, and
Clipper's figures as a ratio to reader's. Usage: python bench/ingest.py [--feeds 200] [--rounds 3]
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
    import yaml

    from clipper.config import load_config
    from clipper.wiring import make_clipper

    (workdir / "feeds").mkdir()
    (workdir / "feeds" / "bench.yaml").write_text(
        yaml.safe_dump({"industry": "bench", "feeds": [{"url": u, "name": u} for u in urls]})
    )
    (workdir / "accounts.yaml").write_text("accounts: []\n")
    (workdir / "reps.yaml").write_text("reps: []\n")
    settings = {
        "database": "sqlite:///clipper.db",
        "feeds_dir": "feeds",
        # one loopback host serves every feed here; in production the per-host limit is 2
        "fetch": {"concurrency": 16, "per_host_concurrency": 16, "max_new_per_feed": ITEMS},
    }
    (workdir / "clipper.yaml").write_text(yaml.safe_dump(settings))
    config = load_config(workdir / "clipper.yaml", {})
    with make_clipper(config) as clipper:
        clipper.sync_feeds()
        started = time.perf_counter()
        clipper.pipeline.update_feeds(due_only=False, extract_pages=False)
        elapsed = time.perf_counter() - started
        count = clipper.storage.count_articles()
    return count, elapsed


def child(tool: str, urls: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        count, elapsed = (run_reader if tool == "reader" else run_clipper)(urls, Path(tmp))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"items": count, "seconds": elapsed, "peak_mib": peak_kib / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
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
    results: dict[str, list[dict[str, float]]] = {"reader": [], "clipper": []}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(urls, handle)
    env = {**os.environ, "NO_PROXY": "127.0.0.1"}
    for _ in range(args.rounds):
        for tool in ("reader", "clipper"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", tool, "--urls", handle.name],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            results[tool].append(json.loads(out.stdout.strip().splitlines()[-1]))
    httpd.shutdown()
    os.unlink(handle.name)
    print(
        f"{args.feeds} feeds x {ITEMS} items, {size / 1024:.0f} KiB each, "
        f"{args.rounds} rounds (median)"
    )
    print("| tool | feeds/s | items/s | items stored | peak RSS (MiB) |")
    print("|---|---|---|---|---|")
    medians = {}
    for tool, runs in results.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        items = runs[0]["items"]
        peak = statistics.median(r["peak_mib"] for r in runs)
        medians[tool] = (args.feeds / seconds, items / seconds, items, peak)
        print(
            f"| {tool} | {args.feeds / seconds:.0f} | {items / seconds:,.0f} | {items} | "
            f"{peak:.0f} |"
        )
    ratio = medians["clipper"][0] / medians["reader"][0]
    print(
        f"\nClipper / reader throughput: {ratio:.2f}x "
        f"(same item counts: {medians['clipper'][2] == medians['reader'][2]})"
    )


if __name__ == "__main__":
    main()
