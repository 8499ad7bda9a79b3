"""SQLite storage: migrations, WAL, leases and concurrent writers on a real file."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clipper.adapters.storage import Storage
from clipper.adapters.storage.sqlite.base import to_db
from clipper.config import load_config
from clipper.exceptions import ConfigError, FetchError
from clipper.logic.database import parse_database_url
from clipper.logic.feedstate import decide_failure
from clipper.logic.schedule import PollPolicy
from clipper.types import DatabaseUrl, FeedSource, RepSettings, SourceType, Stage, StoreKind

from .conftest import write_config
from .support.seeding import article_intent, feed_sources, mention, seed_matches

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_migrations_are_named_idempotent_and_wal(tmp_path: Path) -> None:
    from clipper.adapters.storage.sqlite.schema import MIGRATIONS

    names = [name for name, _sql in MIGRATIONS]
    store = Storage(tmp_path / "c.db")
    assert store.migrate() == names
    assert store.migrate() == []
    store.close()
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")] == names
    assert names == sorted(names) and names[0] == "0001_feeds_and_articles"


def test_an_older_database_is_upgraded_in_place(tmp_path: Path) -> None:
    """A database made by an earlier release gains the new migrations and keeps its rows."""
    old = Storage(tmp_path / "c.db")
    assert old.migrate(upto="0001_feeds_and_articles") == ["0001_feeds_and_articles"]
    old.close()
    with sqlite3.connect(tmp_path / "c.db") as conn:  # rows as that release wrote them
        conn.executemany(
            "INSERT INTO feeds (config_url, url, host, name, industry, next_check_at, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, 'x', ?, ?, ?)",
            [
                (s.url, s.url, f"f{i}.example", s.name, *[to_db(NOW)] * 3)
                for i, s in enumerate(feed_sources(2))
            ],
        )
    conn.close()
    new = Storage(tmp_path / "c.db")
    assert "0002_embeddings" in new.migrate()
    assert len(new.feed_statuses()) == 2
    # feeds stored before source types are read as feeds
    claimed = new.claim_feeds(NOW, "w", 60, due_only=False, limit=10)
    assert [f.source_type for f in claimed] == [SourceType.FEED] * 2


def test_sync_adds_updates_and_deactivates_feeds(tmp_path: Path) -> None:
    store = Storage(tmp_path / "c.db")
    store.migrate()
    assert store.sync_feeds(feed_sources(3), NOW).added == 3
    changed = [
        FeedSource(url="http://f0.example/rss", name="Renamed", industry="x"),
        *feed_sources(2)[1:],
    ]
    result = store.sync_feeds(changed, NOW)
    assert (result.added, result.updated, result.deactivated) == (0, 1, 1)
    assert store.sync_feeds(feed_sources(3), NOW).reactivated == 1
    assert {r.name for r in store.feed_statuses() if r.active} == {"F0", "F1", "F2"}


def test_claims_lease_feeds_and_fence_stale_writes(tmp_path: Path) -> None:
    store = Storage(tmp_path / "c.db")
    store.migrate()
    store.sync_feeds(feed_sources(4), NOW)
    first = store.claim_feeds(NOW, "worker-a", 60, due_only=True, limit=3)
    second = store.claim_feeds(NOW, "worker-b", 60, due_only=True, limit=10)
    assert len(first) == 3 and len(second) == 1
    assert {f.id for f in first}.isdisjoint(f.id for f in second)
    # after the lease expires another worker may take the feed; the stale worker's write is void
    later = NOW + timedelta(seconds=61)
    (stolen, *_rest) = store.claim_feeds(later, "worker-c", 60, due_only=False, limit=1)
    intent = decide_failure(stolen, FetchError(stolen.url, "boom"), later, PollPolicy())
    article = article_intent(stolen.id, at=NOW)
    assert store.apply_feed_update(intent, [article], "worker-a") == 0
    assert store.count_articles() == 0
    assert store.apply_feed_update(intent, [article], "worker-c") == 1


def test_concurrent_writers_never_see_database_locked(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Storage(path).migrate()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        store = Storage(path, busy_timeout_s=30)
        try:
            for i in range(40):
                store.sync_feeds(
                    feed_sources(5)
                    + [FeedSource(url=f"http://w{n}-{i}.example", name="w", industry=None)],
                    NOW,
                )
                store.claim_feeds(NOW, f"w{n}", 1, due_only=False, limit=2)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = Storage(tmp_path / "c.db")
    store.migrate()
    try:
        store.sync_feeds(feed_sources(1), datetime(2026, 1, 1))
    except ValueError as exc:
        assert "naive" in str(exc)
    else:
        raise AssertionError("naive datetimes must not reach the database")


def test_database_urls_are_parsed_in_one_place(tmp_path: Path) -> None:
    """``logic.database`` names the store; ``Config.database`` resolves a relative file."""
    assert parse_database_url("sqlite:///../var/c.db") == DatabaseUrl(
        StoreKind.SQLITE, Path("../var/c.db")
    )
    assert parse_database_url("sqlite:////srv/c.db").path == Path("/srv/c.db")
    assert parse_database_url("sqlite:///:memory:").path == Path(":memory:")
    with pytest.raises(ConfigError) as refused:
        parse_database_url("postgresql://clipper:s3cret@db/clipper")
    assert "postgresql://..." in str(refused.value) and "s3cret" not in str(refused.value)
    config = load_config(write_config(tmp_path), {})
    assert config.database == DatabaseUrl(StoreKind.SQLITE, (tmp_path / "var/clipper.db"))
    assert config.database_path == tmp_path / "var" / "clipper.db"


def test_rows_come_back_as_decoded_records(tmp_path: Path) -> None:
    """JSON columns come back as tuples and times as aware datetimes: callers never decode."""
    store = Storage(tmp_path / "c.db")
    store.migrate()
    store.sync_feeds(feed_sources(1), NOW)
    (feed,) = store.claim_feeds(NOW, "w", 60, due_only=False, limit=1)
    intent = decide_failure(feed, FetchError(feed.url, "boom"), NOW, PollPolicy())
    assert store.apply_feed_update(intent, [article_intent(feed.id, title="Acme news")], "w") == 1
    (seeded,) = seed_matches(store, NOW, lambda _a: mention("Acme", event="funding"))
    (match,) = store.recent_matches()
    assert match.reasons == ('mentions "Acme"',) and match.event == "funding"
    assert match.published_at == NOW and match.shareable is True
    assert store.account_matches("Acme") == [match] and store.account_matches("Other") == []
    brief = store.article(seeded.id)
    assert brief is not None and brief.title == "Acme news" and brief.published_at == NOW
    assert store.article(seeded.id + 1) is None
    (stored,) = store.articles()
    assert stored.stage is Stage.MATCHED and stored.story_id == seeded.id
    assert store.rep_settings("nobody@example.com") == RepSettings()
    assert store.digest_parts() == [] and store.mutes("nobody@example.com", NOW) == []
    store.close()


def test_two_processes_starting_on_a_new_database_both_migrate_it(tmp_path: Path) -> None:
    # the second starts, sees no migration applied, and the first applies them all before the
    # second takes the write lock: it must skip them, not fail on "table feeds already exists"
    path = tmp_path / "clipper.db"
    first, second = Storage(path), Storage(path)
    read = second.pool.read

    def stale_read(what: str, sql: str, params: object = ()) -> list[sqlite3.Row]:
        rows = read(what, sql, params)  # type: ignore[arg-type]
        if what == "reading migrations":
            first.migrate()  # the other process wins the race right after this read
        return rows

    second.pool.read = stale_read  # type: ignore[method-assign]
    try:
        assert second.migrate() == []
        assert first.migrate() == []
        assert second.feed_statuses() == []
    finally:
        first.close()
        second.close()
