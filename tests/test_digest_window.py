"""Matches too old for the digest window (``digest.lookback_days``) are counted, on real SQLite:
only those the rep could still be sent, and only when a digest is composed."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.seeding import mention, seed_matches


def test_old_matches_are_counted_until_feedback_or_a_mute_takes_them_away(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = Clock()
    old = format_datetime(clock() - timedelta(days=10))
    recent = format_datetime(clock() - timedelta(hours=3))
    items = [
        {
            "title": f"Acme news {n}",
            "link": f"https://n.example/{n}",
            "guid": str(n),
            "pubDate": old,
        }
        for n in range(3)
    ] + [{"title": "Acme today", "link": "https://n.example/t", "guid": "t", "pubDate": recent}]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme", "owner": "rep@example.com"}],
        settings={"fetch": {"backfill_window": "30d"}, "digest": {"lookback_days": 7}},
    )
    _config, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        seed_matches(clipper.storage, clock(), lambda _a: mention("Acme"))
        preview = clipper.digest(force=True, dry_run=True)
        assert preview.too_old == 3 and len(preview.previews) == 1
        sent = clipper.digest(force=True)
        assert sent.too_old == 3 and len(sent.queued) == 1
        # not due: nothing composed, nothing counted
        assert clipper.digest().too_old == 0
        old_ids = [
            m.article_id
            for m in clipper.storage.recent_matches(limit=10)
            if m.title != "Acme today"
        ]
        clipper.storage.add_feedback("Acme", old_ids[0], "not_relevant", "rep@example.com", clock())
        assert clipper.digest(force=True).too_old == 2  # a rejected match is not "left out"
        (rep,) = clipper.config.reps
        clipper.mute(rep, "Acme", 30)
        assert clipper.digest(force=True).too_old == 0  # nor a muted account's
        # a dry run that finds the rep's digest due but empty says so (the CLI: "nothing pending")
        assert clipper.digest(force=True, dry_run=True).skipped_empty == ["rep@example.com"]
        assert clipper.digest(dry_run=True).skipped_empty == []  # not due: nothing to say
