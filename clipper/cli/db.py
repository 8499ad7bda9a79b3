"""The commands that look after the database: ``db prune``, ``db backup``, ``db vacuum``.

Thin: parse, call the facade, print. Does not decide what is old (``logic.retention``) or touch
the file itself (storage does).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from ..logic.retention import backup_scratch_path
from ..logic.words import plural
from ..types import PruneCounts
from .app import State, err, main, out, pass_state


@main.group()
def db() -> None:
    """The database: retention, backups, vacuum."""


def _size(size: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def prune_line(counts: PruneCounts, *, dry_run: bool = False) -> str:
    """One line saying what a prune removed (or would remove)."""
    verb = "would prune" if dry_run else "pruned"
    line = (
        f"{verb} {plural(counts.articles, 'article')}, "
        f"{plural(counts.matches, 'match', 'matches')}, "
        f"{plural(counts.embeddings, 'embedding')}, "
        f"{plural(counts.digest_parts, 'delivered message')}, "
        f"{plural(counts.webhook_rows, 'webhook row')}"
    )
    if counts.kept_articles:
        line += (
            f"; kept {plural(counts.kept_articles, 'old article')} that touches, feedback or "
            "undelivered messages refer to"
        )
    return line


@db.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@pass_state
def db_prune(state: State, dry_run: bool) -> None:
    """Delete rows older than the retention policy (retention: in clipper.yaml).

    Articles (with their matches and embeddings) older than retention.articles_days, delivered
    or given-up messages older than retention.outbox_days. Touches are always kept, and so are
    the articles touches, feedback or undelivered messages refer to. `clipper run` does this
    once a day; `db vacuum` then gives the space back to the disk.
    """
    with state.clipper(quiet=True) as clipper:
        policy = clipper.retention_policy()
        counts = clipper.prune(dry_run=dry_run)
    kept = [
        f"{what} {days} days" if days else f"{what} forever"
        for what, days in (
            ("articles", policy.articles_days),
            ("delivered messages", policy.outbox_days),
        )
    ]
    out.print(escape(prune_line(counts, dry_run=dry_run)) + f" (keeping {', '.join(kept)})")
    if dry_run:
        out.print("dry run: nothing deleted")


@db.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@pass_state
def db_backup(state: State, file: Path, force: bool) -> None:
    """Copy the database to FILE while Clipper keeps running (SQLite's online backup).

    The copy is one self-contained file, checked with PRAGMA integrity_check. An existing FILE
    is left alone unless --force. To restore: stop Clipper, put FILE where `database:` points
    (removing any -wal and -shm files beside it), start Clipper.
    """
    scratch = backup_scratch_path(file)
    # a second Ctrl-C exits at once: the unfinished copy goes with it (a first lets it finish)
    state.interrupt.cleanups.append(lambda: scratch.unlink(missing_ok=True))
    with state.clipper(quiet=True) as clipper:
        result = clipper.backup(file, force=force)
    out.print(
        f"backed up to {escape(str(result.path))} ({_size(result.size)}; integrity "
        f"{escape(result.integrity)}; schema {escape(result.migration or 'empty')})"
    )


@db.command("vacuum")
@pass_state
def db_vacuum(state: State) -> None:
    """Rebuild the database file without its free space (SQLite VACUUM) and say how much it
    shrank. Needs the database to itself: stop `clipper run` first (exits 2 when busy)."""
    with state.clipper(quiet=True) as clipper:
        result = clipper.vacuum()
    saved = result.before - result.after
    out.print(
        f"vacuumed: {_size(result.before)} → {_size(result.after)} ({_size(max(saved, 0))} freed)"
    )
    if saved <= 0:
        err.print("nothing to free: run `clipper db prune` first to delete old rows")
