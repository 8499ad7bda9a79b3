"""Honest output from the real ``clipper`` command, piped as a script or a pager reads it: matches
left out by the digest window are counted with the setting that widens it, a dry run prints the
Markdown it would send, long lines come out whole, and nothing pending says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import run_clipper

#: far wider than the 80 columns rich assumes when the output is not a terminal
LONG_TITLE = (
    "Acme Robotics opens a second automated warehouse robotics plant in Ohio to meet demand "
    "from grocery chains and parcel carriers across the Midwest this winter"
)


def _config(tmp_path: Path, server: FeedServer) -> Path:
    now = datetime.now(UTC)
    recent = format_datetime(now - timedelta(hours=2, minutes=30))
    old = format_datetime(now - timedelta(days=10))
    items = [
        {"title": LONG_TITLE, "link": "https://n.example/plant", "guid": "p", "pubDate": recent},
        {
            "title": "Acme Robotics raises $40 million in Series C funding",
            "link": "https://n.example/fund",
            "guid": "f",
            "pubDate": recent,
        },
    ] + [
        {
            "title": f"Acme Robotics wins contract number {n} from a retailer",
            "link": f"https://n.example/old{n}",
            "guid": f"old{n}",
            "pubDate": old,
        }
        for n in range(3)
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    return write_config(
        tmp_path,
        feeds={"manufacturing": [{"url": url, "name": "Wire"}]},
        accounts=[
            {
                "name": "Acme Robotics",
                "owner": "sam@example.com",
                "contacts": [{"name": "Jo Buyer"}],
            }
        ],
        reps=[{"email": "sam@example.com", "name": "Sam"}],
        settings={"fetch": {"backfill_window": "30d"}, "digest": {"lookback_days": 2}},
    )


def test_run_counts_matches_too_old_for_the_digest_and_pipes_the_markdown_whole(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _config(tmp_path, server)
    result = run_clipper(path, "run", "--once", "--limit", "5")
    assert result.returncode == 0, result.stderr
    # the newest-matches table keeps its whole width: the long headline on its row, uncut
    assert any(
        LONG_TITLE in line and "sam@example.com" in line for line in result.stdout.splitlines()
    )
    widen = (
        "3 matches older than 2 days were left out; raise digest.lookback_days in "
        f"{path.resolve()} to include them"
    )
    assert widen in result.stdout.splitlines()
    # the digest on standard output is the saved Markdown, character for character
    (saved,) = (tmp_path / "var" / "digests").glob("*/*.md")
    markdown = saved.read_text()
    assert markdown in result.stdout
    assert f"- **[{LONG_TITLE}](<https://n.example/plant>)**  " in result.stdout.splitlines()
    assert "  > Hi Jo Buyer," in markdown and "Congratulations on the funding news!" in markdown
    assert "contract number" not in markdown  # the old ones were left out, and said so

    again = run_clipper(path, "digest", "--now")
    assert again.returncode == 0, again.stderr
    assert "nothing pending" in again.stdout.splitlines()
    assert "no digest is due" not in again.stdout
    assert widen in again.stdout.splitlines()  # still left out: still said

    preview = run_clipper(path, "digest", "--now", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout == ""  # no Markdown to print
    assert "nothing pending" in preview.stderr.splitlines() and widen in preview.stderr

    not_due = run_clipper(path, "digest", "--dry-run")
    assert not_due.returncode == 0, not_due.stderr
    assert "no digest is due (use --now to preview every pending digest)" in not_due.stderr


def test_a_dry_run_prints_exactly_the_markdown_the_digest_then_saves(
    tmp_path: Path, server: FeedServer
) -> None:
    path = _config(tmp_path, server)
    assert run_clipper(path, "fetch", "--once").returncode == 0
    preview = run_clipper(path, "digest", "--dry-run", "--now")
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("# Clipper digest · ")
    assert f"- **[{LONG_TITLE}](<https://n.example/plant>)**  " in preview.stdout.splitlines()
    assert "matched 5 waiting articles" in preview.stderr  # remarks stay off the Markdown
    assert not (tmp_path / "var" / "digests").exists()  # nothing sent, nothing saved

    sent = run_clipper(path, "digest", "--now")
    assert sent.returncode == 0, sent.stderr
    (saved,) = (tmp_path / "var" / "digests").glob("*/*.md")
    assert saved.read_text() == preview.stdout
