"""A digest tick composes its reps in batches, one transaction each (``Digests.compose_due``,
``storage.batch``): fewer commits for thousands of reps, and still nothing lost or sent twice.
A batch stores every write inside it or none; a tick stopped midway keeps the batches it
finished, and the next tick composes the rest, each rep's articles exactly once. Real SQLite,
real feeds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import clipper.digests
from clipper.adapters.storage.sqlite import Storage
from clipper.types import DigestKind, RepSetting
from clipper.wiring import make_clipper

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.seeding import mention, seed_matches

NAMES = ("Acme", "Birch", "Cedar", "Delta", "Elm")


def test_a_batch_stores_every_write_inside_it_or_none(tmp_path: Path) -> None:
    clock = Clock()
    storage, other = Storage(tmp_path / "c.db"), Storage(tmp_path / "c.db")
    storage.migrate()
    zone = RepSetting.TIMEZONE
    with storage.batch("a test batch"):
        storage.put_rep_setting("ann@example.com", zone, "Europe/Paris", clock())
        # one write that fails is undone alone
        with pytest.raises(KeyError), storage.pool.write("a failing write") as tx:
            tx.execute(
                "INSERT INTO rep_settings (rep, timezone, updated_at) VALUES (?, ?, ?)",
                ("bob@example.com", "Asia/Tokyo", "2026-11-23 09:00:00.000000"),
            )
            raise KeyError("boom")
        storage.put_rep_setting("cid@example.com", zone, "America/Chicago", clock())
        # the batch sees its own writes; another connection sees none before the commit
        assert storage.rep_settings("ann@example.com").timezone == "Europe/Paris"
        assert other.rep_settings("ann@example.com").timezone is None
    assert other.rep_settings("ann@example.com").timezone == "Europe/Paris"
    assert other.rep_settings("bob@example.com").timezone is None
    assert other.rep_settings("cid@example.com").timezone == "America/Chicago"

    with pytest.raises(RuntimeError), storage.batch("a batch that fails"):
        storage.put_rep_setting("dee@example.com", zone, "Europe/Oslo", clock())
        raise RuntimeError("stopped")
    assert other.rep_settings("dee@example.com").timezone is None
    # the connection is usable again, outside any batch
    storage.put_rep_setting("dee@example.com", zone, "Europe/Oslo", clock())
    assert other.rep_settings("dee@example.com").timezone == "Europe/Oslo"
    storage.close()
    other.close()


class StopsAt(Storage):
    """Dies while composing one rep's digest (a crash or Ctrl-C in the middle of a tick)."""

    def __init__(self, path: Path, rep: str) -> None:
        super().__init__(path)
        self.stop_rep = rep

    def create_digest(self, rep: str, *args: Any, **kw: Any) -> int | None:
        if rep == self.stop_rep:
            raise SystemExit("killed")
        return super().create_digest(rep, *args, **kw)


def _articles_of(storage: Storage) -> dict[str, list[int]]:
    """Each rep's covered article ids, over every digest stored."""
    rows = storage.pool.read(
        "reading covered articles", "SELECT rep, article_id FROM digest_items ORDER BY 1, 2"
    )
    covered: dict[str, list[int]] = {}
    for row in rows:
        covered.setdefault(row["rep"], []).append(row["article_id"])
    return covered


def test_a_tick_stopped_midway_keeps_whole_batches_and_the_next_composes_the_rest_once(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    published = (clock() - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = [
        {
            "title": f"{name} opens a plant {n}",
            "link": f"https://news.example/{name}/{n}",
            "guid": f"{name}-{n}",
            "description": f"{name} opens a plant in Ohio, adding {n} jobs.",
            "pubDate": published,
        }
        for name in NAMES
        for n in range(3)
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": n, "owner": f"{n.lower()}@example.com"} for n in NAMES],
        reps=[{"email": f"{n.lower()}@example.com"} for n in NAMES],
        settings={"fetch": {"backfill_window": "30d"}},
    )
    config, app = build(path, clock)
    with app:
        app.update_feeds()
        seed_matches(
            app.storage,
            clock(),
            lambda a: [mention(n) for n in NAMES if str(getattr(a, "title", "")).startswith(n)],
        )
    monkeypatch.setattr(clipper.digests, "COMPOSE_BATCH", 2)
    db = tmp_path / "var" / "clipper.db"
    # the fourth rep's digest is never stored: batch 1 (Acme, Birch) is; batch 2 (Cedar,
    # Delta) is not, though Cedar was composed before the stop
    with (
        make_clipper(config, _clock=clock, _storage=StopsAt(db, "delta@example.com")) as app,
        pytest.raises(SystemExit),
    ):
        app.digests.compose_due()
    storage = Storage(db)
    assert set(_articles_of(storage)) == {"acme@example.com", "birch@example.com"}
    assert {p.rep for p in storage.digest_parts()} == {"acme@example.com", "birch@example.com"}
    storage.close()

    _config, app = build(path, clock)
    with app:
        report = app.digests.compose_due()  # Acme and Birch are not due again
        assert sorted(q.rep for q in report.queued) == [
            "cedar@example.com",
            "delta@example.com",
            "elm@example.com",
        ]
        assert all(q.kind is DigestKind.DIGEST for q in report.queued)
        covered = _articles_of(app.storage)
        parts = app.storage.digest_parts()
    assert sorted(covered) == sorted(f"{n.lower()}@example.com" for n in NAMES)
    assert all(len(ids) == 3 == len(set(ids)) for ids in covered.values())
    assert sorted(p.rep for p in parts) == sorted(covered)  # one part each, none twice
    for part in parts:
        name = part.rep.split("@")[0].capitalize()
        assert all(f"{name} opens a plant {n}" in part.payload for n in range(3))


def test_a_dry_run_takes_no_write_lock(tmp_path: Path, server: FeedServer) -> None:
    """A preview composes every rep without a batch: another writer holding the lock does not
    hold it up."""
    clock = Clock()
    url = server.route(
        "/feed",
        Reply(200, rss([{"title": "Acme opens a plant", "link": "https://n.example/1"}])),
    )
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": "Acme", "owner": "rep@example.com"}],
        settings={"fetch": {"backfill_window": "30d"}},
    )
    _config, app = build(path, clock)
    with app:
        app.update_feeds()
        seed_matches(app.storage, clock(), lambda _a: mention("Acme"))
        holder = Storage(tmp_path / "var" / "clipper.db", busy_timeout_s=0.1)
        with holder.batch("another writer"):
            report = app.digests.compose_due(dry_run=True)
        holder.close()
    assert len(report.previews) == 1 and "Acme opens a plant" in report.previews[0]
