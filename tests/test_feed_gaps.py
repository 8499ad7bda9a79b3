"""Busy feeds over a real local feed server: a poll where every item is new is a gap, recorded
in feed health and answered with a shorter interval."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from clipper.cli import main

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, Seen, rss


def test_a_feed_rotating_faster_than_its_interval_records_a_gap_and_is_polled_sooner(
    tmp_path: Path, server: FeedServer
) -> None:
    batch = {"n": 0}

    def feed(_seen: Seen) -> Reply:
        # five undated items; each poll finds a whole new five (the old ones fell off)
        first = batch["n"] * 5
        items = [
            {"title": f"Item {i}", "guid": f"g{i}", "link": f"http://busy.example/{i}"}
            for i in range(first, first + 5)
        ]
        return Reply(200, rss(items))

    url = server.route("/busy", feed)
    path = write_config(tmp_path, feeds={"news": [{"url": url, "name": "Busy"}]})
    clock = Clock()
    _, clipper = build(path, clock)
    with clipper:
        assert clipper.update_feeds().new_articles == 5  # the baseline: not a gap
        (row,) = clipper.feed_statuses()
        assert row.gaps == 0 and row.next_check_at is not None
        first_interval = row.next_check_at - clock.now
        clock.now = row.next_check_at
        batch["n"] = 1
        assert clipper.update_feeds().new_articles == 5
        (row,) = clipper.feed_statuses()
        assert row.gaps == 1 and row.last_gap_at == clock.now
        assert row.next_check_at is not None
        assert row.next_check_at - clock.now <= first_interval * 0.6
        # the next poll that finds old items too is not a gap
        clock.now = row.next_check_at
        assert clipper.update_feeds().new_articles == 0
        assert clipper.feed_statuses()[0].gaps == 1

    runner = CliRunner()
    status = runner.invoke(main, ["--config", str(path), "feeds", "status", "--json"])
    assert status.exit_code == 0, status.output
    (record,) = map(json.loads, status.output.splitlines())
    assert record["gaps"] == 1 and record["last_gap_at"].startswith("2026-11-23")
    table = runner.invoke(main, ["--config", str(path), "feeds", "status"], terminal_width=200)
    assert "1 gap" in table.output
