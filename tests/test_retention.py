"""Retention, backups and vacuum on real SQLite files: old articles, matches and delivered
messages go; touches, touched articles and articles of undelivered messages stay; `clipper db
backup` copies a database another connection is writing; `clipper db vacuum` gives the space of
a prune back."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clipper.adapters.storage import Storage
from clipper.adapters.storage.sqlite import care
from clipper.adapters.storage.sqlite.schema import MIGRATIONS
from clipper.cli import exit_code
from clipper.config import load_config
from clipper.core import Clipper
from clipper.exceptions import StorageBusyError
from clipper.types import (
    ArticleToMatch,
    CachingInfo,
    FeedUpdateIntent,
    FetchStatus,
    Match,
    TouchChannel,
)
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.cli import run_clipper
from .support.seeding import article_intent, feed_source, mention, seed_matches
from .support.slack import stub

__all__ = ["stub"]

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "nobody@example.com"},
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    # nobody@example.com is not in Slack: their digest stays undelivered
    return {"sam@example.com": "USAM"}


def titles(clipper: Clipper) -> set[str]:
    return {a.title for a in clipper.storage.articles(limit=1000)}


def test_a_prune_keeps_touches_touched_articles_and_undelivered_ones(
    tmp_path: Path, server: FeedServer, stub: SlackStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(care, "PRUNE_BATCH", 1)  # every batch loop runs more than once
    items = [
        {"title": t, "guid": t, "link": f"https://n.example/{n}"}
        for n, t in enumerate(["Acme old", "Acme shared", "Northwind waiting", "Nothing"])
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    config = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=ACCOUNTS,
        reps=[{"email": "sam@example.com"}, {"email": "nobody@example.com"}],
        settings={"fetch": {"backfill_window": "3650d"}, "slack": {"pace_s": 0}},
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}
    clock = Clock(START)
    with make_clipper(load_config(config, env), _clock=clock) as clipper:
        clipper.update_feeds()

        def match(article: ArticleToMatch) -> Match | None:
            for account in ("Acme Robotics", "Northwind Logistics"):
                if article.title.split()[0] in account:
                    return mention(account)
            return None

        seed_matches(clipper.storage, clock(), match)
        clipper.digest()
        assert len(stub.posts("DUSAM")) == 1  # Sam's digest is delivered, Nobody's waits
        shared = next(a for a in clipper.storage.articles() if a.title == "Acme shared")
        clipper.storage.add_touch(
            "sam@example.com",
            "Acme Robotics",
            TouchChannel.SLACK_SHARE,
            clock(),
            article_id=shared.id,
        )

        clock.advance(days=200)
        dry = clipper.prune(dry_run=True)
        assert (dry.articles, dry.matches, dry.kept_articles) == (2, 1, 2)
        assert dry.digest_parts == 1
        assert len(titles(clipper)) == 4  # a dry run deletes nothing

        assert clipper.prune() == dry
        assert titles(clipper) == {"Acme shared", "Northwind waiting"}
        (touch,) = clipper.storage.touches()
        assert touch.article_id == shared.id
        # the kept articles keep their matches; the waiting digest is still deliverable
        kept = clipper.storage.account_matches("Acme Robotics")
        assert [m.title for m in kept] == ["Acme shared"]
        waiting = [p for p in clipper.storage.digest_parts() if p.rep == "nobody@example.com"]
        assert waiting and all(p.state in ("pending", "sending") for p in waiting)
        # nothing more to prune: a second pass is a no-op
        assert clipper.prune().articles == 0


def test_retention_days_of_zero_keep_everything(tmp_path: Path, server: FeedServer) -> None:
    url = server.route(
        "/feed", Reply(200, rss([{"title": "Old", "guid": "1", "link": "https://o.example/1"}]))
    )
    config = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        settings={"retention": {"articles_days": 0, "outbox_days": 0}},
    )
    clock = Clock(START)
    with make_clipper(load_config(config, {}), _clock=clock) as clipper:
        clipper.update_feeds()
        clock.advance(days=5000)
        assert clipper.prune().articles == 0
        assert titles(clipper) == {"Old"}


def fill(path: Path, count: int, at: datetime) -> None:
    """Store ``count`` articles with long summaries, fetched at ``at``, in the database at
    ``path`` (through the storage port, as the pipeline stores them)."""
    store = Storage(path)
    store.migrate()
    store.sync_feeds([feed_source(0)], at)
    (feed,) = store.claim_feeds(at, "fill", 60, due_only=False, limit=1)
    intent = FeedUpdateIntent(
        feed.id,
        FetchStatus.OK,
        at,
        at + timedelta(hours=1),
        CachingInfo(),
        0,
        None,
        None,
        success=True,
    )
    articles = [
        article_intent(
            feed.id,
            guid=f"g{n}",
            url=f"https://f.example/{n}",
            title=f"Story {n}",
            summary=f"{n} " + "words " * 800,
            at=at,
        )
        for n in range(count)
    ]
    assert store.apply_feed_update(intent, articles, "fill") == count
    store.close()


def size(database: Path) -> int:
    """The database's size on disk, with its WAL."""
    wal = Path(f"{database}-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def test_prune_then_vacuum_gives_the_space_back(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    database = tmp_path / "var" / "clipper.db"
    fill(database, 400, datetime.now(UTC) - timedelta(days=400))
    before = size(database)

    dry = run_clipper(config, "db", "prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would prune 400 articles" in dry.stdout and "nothing deleted" in dry.stdout
    pruned = run_clipper(config, "db", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned 400 articles" in pruned.stdout

    vacuumed = run_clipper(config, "db", "vacuum")
    assert vacuumed.returncode == 0, vacuumed.stderr
    assert vacuumed.stdout.startswith("vacuumed: ")
    assert size(database) < before / 4


def test_vacuum_says_it_needs_the_database_to_itself(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    database = tmp_path / "var" / "clipper.db"
    fill(database, 3, datetime.now(UTC))
    with make_clipper(load_config(config, {})) as clipper:
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # `clipper run` in the middle of a write
        try:
            with pytest.raises(StorageBusyError) as refused:
                clipper.vacuum()
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert "needs exclusive access" in str(refused.value)
        assert "stop `clipper run`" in str(refused.value)
        assert exit_code(refused.value) == 2
        assert clipper.vacuum().after > 0  # once the writer is done it runs


def test_a_backup_taken_while_another_connection_writes_holds_the_same_rows(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    database = tmp_path / "var" / "clipper.db"
    fill(database, 50, datetime.now(UTC))
    stop = threading.Event()
    written = []

    def write() -> None:
        conn = sqlite3.connect(database, isolation_level=None, timeout=30)
        n = 0
        while not stop.is_set():
            conn.execute(
                "INSERT INTO slack_requests (key, received_at) VALUES (?, '2026-01-01')",
                (f"k{n}",),
            )
            n += 1
            stop.wait(0.002)  # a busy `clipper run`, not a flood
        written.append(n)
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backup = tmp_path / "backups" / "clipper-copy.db"
        backup.parent.mkdir()
        result = run_clipper(config, "db", "backup", str(backup))
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout and MIGRATIONS[-1][0] in result.stdout
    assert written[0] > 0
    copy = sqlite3.connect(backup)
    live = sqlite3.connect(database)
    for table in ("articles", "feeds", "_migrations"):
        rows = copy.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        assert rows == live.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    # a consistent snapshot: some of the writer's rows, with no gap among them
    keys = [int(k[1:]) for (k,) in copy.execute("SELECT key FROM slack_requests")]
    assert sorted(keys) == list(range(len(keys)))
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    live.close()

    again = run_clipper(config, "db", "backup", str(backup))
    assert again.returncode == 2
    assert f"{backup} exists; pass --force to overwrite it" in again.stderr
    forced = run_clipper(config, "db", "backup", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
    itself = run_clipper(config, "db", "backup", str(database), "--force")
    assert itself.returncode == 2 and "is the database itself" in itself.stderr
