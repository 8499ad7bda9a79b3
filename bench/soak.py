"""Soak: the real ``clipper run`` as a child process for a while, its memory and tick latency.

A local HTTP server serves ``--feeds`` RSS feeds whose items are published over time (one new
item per feed every ``--publish`` seconds, each naming one of the accounts, with realistic text
from bench/articles.py); the bench writes a configuration of ``--accounts`` accounts owned by
``--reps`` reps (UTC, a digest every day, each rep's time spread over the run so digests come due
throughout), feeds checked every ``--interval`` seconds and a ``fetch.tick`` of ``--tick``
seconds. Slack is off, so digests go to the terminal and Markdown files, as a team without a
Slack app gets them. Short intervals stand in for a simulated clock: the scheduler runs on real
time (APScheduler), so the run is wall time.

It samples the child's RSS (``/proc/PID/status`` VmRSS, psutil when installed) every
``--sample`` seconds and reads the per-tick latency from the log line ``scheduler.run_ticks``
writes for every tick at ``-vv`` ("tick NAME took S s"). It reports the RSS at minute 5, at the
end, the maximum, the ratio end / minute 5 (goal: within 10%), and the median, p95 and max
latency of each kind of tick, then stops the child with SIGTERM.

Usage: python bench/soak.py [--minutes 30] [--feeds 200] [--accounts 2000] [--reps 20]
       [--keep DIR] [--json FILE]
Does not judge a leak on its own: read the RSS series (``--json``) before calling growth a leak.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from articles import content, image, summary, title  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: items a feed shows at once (the newest), as most feeds keep a window
WINDOW = 20
#: items each feed has published before the run starts
BACKLOG = 10
_WORKING = "fetch and match, feeds fetched (first tick left out)"
_TICK = re.compile(r"^(\S+ \S+) (?:INFO|DEBUG) clipper\.scheduler: tick (.+) took ([0-9.]+) s$")
_PREFIXES = (
    "Northwind Apex Bluefin Helix Quanta Vortex Meridian Cobalt Granite Summit Lumen Harbor "
    "Keystone Pioneer Sterling Atlas Beacon Cascade Crescent Evergreen Falcon Horizon Ironwood "
    "Juniper Kestrel Lighthouse Magnolia Nimbus Orion Pinnacle Redwood Sequoia Tidewater "
    "Unity Vanguard Willow Zenith Aurora Boreal Cedar Delta Ember Fjord Glacier"
).split()
_MIDDLES = (
    "Robotics Logistics Foods Energy Materials Systems Biotech Freight Analytics Components "
    "Pharma Textiles Marine Solar Motors Chemicals Foundry Labs Networks Metals Packaging "
    "Aerospace Grid Water Mining Cold Chain Health Software Devices Optics Polymers Rail "
    "Steel Agritech Semiconductors Plastics Ceramics Turbines Batteries Cables Tools Glass"
).split()


def account_names(count: int) -> list[str]:
    """Return ``count`` distinct company names ("Cobalt Freight", "Cobalt Freight 2", ...)."""
    names = [f"{p} {m}" for m in _MIDDLES for p in _PREFIXES]
    random.Random(5).shuffle(names)
    return [
        names[n % len(names)] + ("" if n < len(names) else f" {n // len(names) + 1}")
        for n in range(count)
    ]


class Feeds:
    """Feed ``n`` publishes item ``k`` at ``start + (k - BACKLOG) * publish + offset(n)``; a
    request sees the newest ``WINDOW`` items published by then. Deterministic per (n, k)."""

    def __init__(self, feeds: int, accounts: list[str], publish: float, start: float) -> None:
        self.feeds, self.accounts, self.publish, self.start = feeds, accounts, publish, start
        self.requests = 0
        self.not_modified = 0

    def _offset(self, n: int) -> float:
        return (n * 7919 % 1000) / 1000 * self.publish

    def latest(self, n: int, now: float) -> int:
        """Return the number of the newest item feed ``n`` has published at ``now``."""
        return BACKLOG - 1 + int((now - self.start - self._offset(n)) // self.publish)

    def item(self, n: int, k: int) -> str:
        rng = random.Random(n * 1_000_003 + k)
        account = rng.choice(self.accounts)
        headline = title(rng, account)
        published = self.start + self._offset(n) + (k - BACKLOG) * self.publish
        body = content(rng, account)
        text = summary(rng, headline, account) + (f"\n\n{body}" if body else "")
        picture = image(rng, n * 100_000 + k)
        enclosure = f'<enclosure url="{escape(picture)}" type="image/jpeg"/>' if picture else ""
        return (
            f"<item><title>{escape(headline)}</title>"
            f"<link>https://news.example.com/{n}/{k}?utm_source=rss</link>"
            f'<guid isPermaLink="false">soak-{n}-{k}</guid>'
            f"<pubDate>{format_datetime(datetime.fromtimestamp(published, UTC))}</pubDate>"
            f"<description>{escape(text)}</description>{enclosure}</item>"
        )

    def body(self, n: int, now: float) -> tuple[bytes, float]:
        newest = self.latest(n, now)
        items = "".join(self.item(n, k) for k in range(newest, max(newest - WINDOW, -1), -1))
        published = self.start + self._offset(n) + (newest - BACKLOG) * self.publish
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel>'
            f"<title>Soak feed {n}</title><link>https://news.example.com/{n}/</link>"
            f"<description>business news</description>{items}</channel></rss>"
        ).encode(), published


@contextmanager
def serve(feeds: Feeds) -> Iterator[str]:
    """Serve ``/feed/N.xml`` on loopback (Last-Modified and ETag, 304 when unchanged); yield
    the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            match = re.fullmatch(r"/feed/(\d+)\.xml", self.path)
            if match is None or int(match[1]) >= feeds.feeds:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            n = int(match[1])
            feeds.requests += 1
            tag = f'"{n}-{feeds.latest(n, time.time())}"'
            if self.headers.get("If-None-Match") == tag:
                feeds.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", tag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, published = feeds.body(n, time.time())
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", tag)
            modified = datetime.fromtimestamp(published, UTC)
            self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_config(root: Path, base: str, args: argparse.Namespace, names: list[str]) -> Path:
    """Write config/ and feeds/ under ``root``; return config/clipper.yaml."""
    import yaml

    (root / "config").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "var").mkdir()
    (root / "feeds" / "business.yaml").write_text(
        yaml.safe_dump(
            {
                "industry": "business",
                "description": "company news: deals, funding, hiring, plants, earnings",
                "feeds": [
                    {
                        "url": f"{base}/feed/{n}.xml",
                        "name": f"Soak feed {n}",
                        # configured, so the adaptive interval (items per poll) is not used
                        "interval": f"{args.interval}s",
                    }
                    for n in range(args.feeds)
                ],
            }
        )
    )
    (root / "config" / "accounts.yaml").write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "name": name,
                        "industry": "business",
                        "owner": f"rep{n % args.reps}@soak.example",
                    }
                    for n, name in enumerate(names)
                ]
            }
        )
    )
    # each rep's daily digest at a minute spread over the run (the first one goes out at once)
    start = datetime.now(UTC)
    reps = []
    for r in range(args.reps):
        due = start + timedelta(minutes=2 + r * max(1.0, args.minutes - 3) / args.reps)
        reps.append(
            {
                "email": f"rep{r}@soak.example",
                "name": f"Rep {r}",
                "timezone": "UTC",
                "digest": {"time": due.strftime("%H:%M")},
            }
        )
    (root / "config" / "reps.yaml").write_text(yaml.safe_dump({"reps": reps}))
    settings: dict[str, Any] = {
        "database": "sqlite:///../var/clipper.db",
        "feeds_dir": "../feeds",
        "accounts": "accounts.yaml",
        "reps": "reps.yaml",
        "digest": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "fetch": {
            "tick": f"{args.tick}s",
            "default_interval": f"{args.interval}s",
            "min_interval": f"{args.interval}s",
            "jitter": 0.1,
            "concurrency": 16,
            # one loopback host serves every feed here; in production the per-host limit is 2
            "per_host_concurrency": 16,
            "allow_private_networks": ["127.0.0.0/8"],
        },
    }
    (root / "config" / "clipper.yaml").write_text(yaml.safe_dump(settings))
    return root / "config" / "clipper.yaml"


def rss_mib(pid: int) -> float | None:
    """Return the process's resident set in MiB (psutil if installed, else /proc), or None
    once it is gone."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        return int(found[1]) / 1024 if found else None
    try:
        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except psutil.Error:
        return None


def _at(samples: list[tuple[float, float]], seconds: float) -> float:
    """Return the sample nearest ``seconds`` into the run."""
    return min(samples, key=lambda s: abs(s[0] - seconds))[1]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ticks(log: Path) -> dict[str, list[float]]:
    """Return each kind of tick's latencies, in order, from the child's log; also "fetch and
    match, feeds fetched": the fetch-and-match ticks after the first (which reads every feed's
    backlog and loads the model) that fetched at least one feed (most ticks find none due)."""
    found: dict[str, list[float]] = {}
    fetched = 0
    for line in log.read_text(errors="replace").splitlines():
        if " INFO clipper.pipeline: feed " in line:
            fetched += 1
        match = _TICK.match(line)
        if match:
            found.setdefault(match[2], []).append(float(match[3]))
            if match[2] == "fetch and match":
                if fetched and len(found[match[2]]) > 1:
                    found.setdefault(_WORKING, []).append(float(match[3]))
                fetched = 0
    return found


def soak(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    names = account_names(args.accounts)
    feeds = Feeds(args.feeds, names, args.publish, time.time())
    with serve(feeds) as base:
        config = write_config(root, base, args, names)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HF_HUB_OFFLINE": "1",
            "NO_PROXY": "127.0.0.1",
        }
        for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
            env.pop(name, None)
        out, err = root / "stdout.log", root / "stderr.log"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "clipper", "-vv", "--config", str(config), "run"],
                cwd=root,
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
            started = time.monotonic()
            samples: list[tuple[float, float]] = []
            try:
                while (elapsed := time.monotonic() - started) < args.minutes * 60:
                    time.sleep(min(args.sample, max(0.1, args.minutes * 60 - elapsed)))
                    elapsed = time.monotonic() - started
                    if child.poll() is not None:
                        raise SystemExit(
                            f"clipper run exited with {child.returncode}:\n"
                            + err.read_text(errors="replace")[-3000:]
                        )
                    rss = rss_mib(child.pid)
                    if rss is not None:
                        samples.append((elapsed, rss))
            finally:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(120)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    latencies = ticks(err)
    reference = min(5 * 60.0, samples[-1][0] / 2)
    at_ref, at_end = _at(samples, reference), samples[-1][1]
    result: dict[str, Any] = {
        "minutes": args.minutes,
        "feeds": args.feeds,
        "accounts": args.accounts,
        "reps": args.reps,
        "feed_requests": feeds.requests,
        "not_modified": feeds.not_modified,
        "items_published": sum(feeds.latest(n, time.time()) + 1 for n in range(args.feeds)),
        "reference_s": reference,
        "rss_reference_mib": at_ref,
        "rss_end_mib": at_end,
        "rss_max_mib": max(r for _, r in samples),
        "ratio_end_reference": at_end / at_ref,
        "samples": samples,
        "ticks": {
            name: {
                "count": len(values),
                "median_s": statistics.median(values),
                "p95_s": _p95(values),
                "max_s": max(values),
                "all_s": values,
            }
            for name, values in latencies.items()
        },
        "digests_written": sum(1 for _ in (root / "var" / "digests").rglob("*.md"))
        if (root / "var" / "digests").exists()
        else 0,
        "exit_code": child.returncode,
    }
    return result


def report(result: dict[str, Any]) -> None:
    ref_min = result["reference_s"] / 60
    print(
        f"## Soak: clipper run for {result['minutes']:g} min, {result['feeds']} feeds, "
        f"{result['accounts']:,} accounts, {result['reps']} reps\n"
    )
    print(
        f"{result['feed_requests']:,} feed requests ({result['not_modified']:,} not modified), "
        f"{result['items_published']:,} items published, "
        f"{result['digests_written']} Markdown digests written, exit code {result['exit_code']}\n"
    )
    print("| RSS | MiB |")
    print("|---|---|")
    print(f"| at minute {ref_min:.3g} | {result['rss_reference_mib']:.0f} |")
    print(f"| at the end | {result['rss_end_mib']:.0f} |")
    print(f"| max | {result['rss_max_mib']:.0f} |")
    ratio = result["ratio_end_reference"]
    verdict = "within 10%" if abs(ratio - 1) <= 0.10 else "NOT within 10%"
    print(f"| end / minute {ref_min:.3g} | {ratio:.3f} ({verdict}) |\n")
    print("| tick | count | median s | p95 s | max s |")
    print("|---|---|---|---|---|")
    for name, t in result["ticks"].items():
        print(
            f"| {name} | {t['count']} | {t['median_s']:.2f} | {t['p95_s']:.2f} | {t['max_s']:.2f} |"
        )
    minutes = {}
    for seconds, rss in result["samples"]:
        minutes.setdefault(int(seconds // 60), rss)
    print(
        "\nRSS at the start of each minute (MiB): "
        + ", ".join(f"{v:.0f}" for v in minutes.values())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="wall time of the run")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--publish", type=float, default=180.0, help="s between a feed's items")
    parser.add_argument("--interval", type=int, default=60, help="s between a feed's checks")
    parser.add_argument("--tick", type=int, default=15, help="fetch.tick, s")
    parser.add_argument("--sample", type=float, default=5.0, help="s between RSS samples")
    parser.add_argument("--keep", type=Path, help="run in this (new) folder and keep it")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        result = soak(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="clipper-soak-") as tmp:
            result = soak(args, Path(tmp))
    report(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
