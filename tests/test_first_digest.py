"""The first digest waits for the first fetch and match: real `clipper run` processes, a local
feed server slower than the first digest tick, one SQLite file."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import start_clipper
from .support.seeding import PAIR_ACCOUNTS, PAIR_ITEMS, PAIR_REPS


def slow_config(root: Path, server: FeedServer, delay: float) -> Path:
    url = server.route("/wire", Reply(200, rss(PAIR_ITEMS), delay=delay))
    return write_config(
        root, feeds={"news": [{"url": url, "name": "Wire"}]}, accounts=PAIR_ACCOUNTS, reps=PAIR_REPS
    )


def digests_of(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((root / "var" / "digests").glob("*/*.md")):
        found.setdefault(path.parent.name, []).append(path.read_text())
    return found


def test_a_first_fetch_slower_than_the_first_digest_tick_still_sends_the_first_digest(
    tmp_path: Path, server: FeedServer
) -> None:
    config = slow_config(tmp_path, server, delay=1.5)
    log = tmp_path / "run.log"
    process = start_clipper(config, "run", log=log)
    try:
        deadline = time.monotonic() + 120
        while len(digests_of(tmp_path)) < 2 and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    found = digests_of(tmp_path)
    assert sorted(found) == ["dana@example.com", "sam@example.com"], log.read_text()
    (sam,) = found["sam@example.com"]
    (dana,) = found["dana@example.com"]
    assert "Acme Robotics opens a new plant" in sam and "Northwind" not in sam
    assert "Northwind Logistics buys a regional trucking firm" in dana


def test_two_concurrent_run_once_send_exactly_one_digest_per_rep(
    tmp_path: Path, server: FeedServer
) -> None:
    for trial in range(3):
        root = tmp_path / f"trial{trial}"
        config = slow_config(root, server, delay=1.5)
        logs = [root / f"run{n}.log" for n in (1, 2)]
        processes = [start_clipper(config, "run", "--once", log=log) for log in logs]
        for process in processes:
            assert process.wait(timeout=180) == 0, [log.read_text() for log in logs]
        found = digests_of(root)
        assert sorted(found) == ["dana@example.com", "sam@example.com"], [
            log.read_text() for log in logs
        ]
        assert [len(found[rep]) for rep in sorted(found)] == [1, 1]
        assert "Acme Robotics opens a new plant" in found["sam@example.com"][0]
        assert "Northwind Logistics opens a freight hub" in found["dana@example.com"][0]
