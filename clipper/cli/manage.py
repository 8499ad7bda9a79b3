"""The commands that look after inputs: ``feeds``, ``accounts``, ``model``.

Thin: parse, call the facade, print. Does not decide anything.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ..logic.feedhealth import report_text
from ..logic.urls import redact_url
from ..logic.words import plural
from .app import (
    State,
    err,
    main,
    out,
    pass_state,
)


@main.group()
def feeds() -> None:
    """Feed health and discovery."""


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{int(seconds // size)}{unit}"
            break
    else:
        text = f"{int(seconds)}s"
    return f"in {text}" if future else f"{text} ago"


@feeds.command("status")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per feed instead of a table."
)
@pass_state
def feeds_status(state: State, as_json: bool) -> None:
    """Show every feed's health: last success, errors, gaps, disabled reason, items, next check."""
    with state.clipper() as clipper:
        clipper.sync_feeds()
        rows = clipper.feed_statuses()
    now = datetime.now(UTC)
    if as_json:
        for row in rows:
            record = {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in dataclasses.asdict(row).items()
            }
            for key in ("url", "redirected_to", "last_error", "disabled_reason"):
                if isinstance(record.get(key), str):
                    record[key] = redact_url(record[key])
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    table = Table(expand=False)
    for column in (
        "feed",
        "industry",
        "last success",
        "errors",
        "last error / disabled",
        "items",
        "next check",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        if not row.active:
            problem = "[dim]removed from config[/]"
        elif row.disabled_reason:
            problem = f"[red]disabled:[/] {escape(redact_url(row.disabled_reason))}"
        elif row.last_error:
            problem = f"[yellow]{escape(redact_url(row.last_error))}[/]"
        else:
            problem = ""
        if row.redirected_to:
            problem += f"\n[dim]moved to {escape(redact_url(row.redirected_to))}[/]"
        if row.gaps:
            plural = "s" if row.gaps > 1 else ""
            problem += f"\n[yellow]{row.gaps} gap{plural}[/], last {_ago(row.last_gap_at, now)}"
        table.add_row(
            f"{escape(row.name)}\n[dim]{escape(redact_url(row.url))}[/]",
            escape(row.industry or "-"),
            _ago(row.last_success_at, now),
            str(row.error_count),
            problem,
            str(row.items),
            "-" if row.disabled_reason or not row.active else _ago(row.next_check_at, now),
        )
    out.print(table)


@feeds.command("health")
@pass_state
def feeds_health(state: State) -> None:
    """List the feeds that need a person (broken, disabled, stale, moved, overflowing), each
    with its reason and the command that fixes it: the admin's daily report. Exits 1 when a
    feed is broken or disabled."""
    with state.clipper(quiet=True) as clipper:
        clipper.sync_feeds()
        report = clipper.feed_health()
    for line in report_text(report):
        out.print(escape(line))
    if report.failing:
        raise click.exceptions.Exit(1)


@feeds.command("discover")
@click.argument("url")
@pass_state
def feeds_discover(state: State, url: str) -> None:
    """List the feeds a web page advertises (or confirm URL is a feed)."""
    with state.clipper() as clipper:
        found = clipper.discover(url)
    if found.is_feed:
        out.print(f"{escape(redact_url(found.url))} is a feed: {escape(found.title or '')}")
        return
    for link, why in found.refused:
        err.print(f"[yellow]refused[/] {escape(redact_url(link.url))}: {escape(why)}")
    if not found.links:
        out.print(f"no feeds found on {escape(redact_url(found.url))}")
        raise click.exceptions.Exit(1)
    for link in found.links:
        click.echo(f"{redact_url(link.url)}\t{link.kind}\t{link.title or ''}")


@feeds.command("enable")
@click.argument("url")
@pass_state
def feeds_enable(state: State, url: str) -> None:
    """Re-enable a disabled feed (clears its errors; polled on the next run)."""
    with state.clipper() as clipper:
        if not clipper.enable_feed(url):
            err.print(f"[red]error:[/] no stored feed has the URL {escape(redact_url(url))}")
            raise click.exceptions.Exit(1)
    out.print(f"enabled {escape(redact_url(url))}")


@main.group()
def accounts() -> None:
    """Customer accounts."""


@accounts.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of the configured accounts file.",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@pass_state
def accounts_import(state: State, csv_file: Path, out_path: Path | None, dry_run: bool) -> None:
    """Import accounts from a Salesforce or HubSpot CSV export.

    Bad rows are reported by line number and skipped. A good row updates the account with the
    same ticker, domain or name (legal forms like "Inc." aside), else adds one; watch and
    exclude terms, comments and a known industry are kept. --out writes the whole merged file.
    """
    with state.clipper(quiet=True) as clipper:
        result, merged, target = clipper.import_accounts(csv_file, out=out_path, dry_run=dry_run)
    skipped = (*result.problems, *merged.problems)
    for problem in skipped:
        err.print(f"[red]skipped[/] {escape(problem)}")
    for warning in result.warnings:
        err.print(f"[yellow]warning[/] {escape(warning)}")
    # one line per row applied, in the same words for a dry run and a real one
    for note in merged.notes:
        out.print(escape(note))
    added, updated = ("would add", "would update") if dry_run else ("added", "updated")
    out.print(
        f"{plural(len(result.accounts) - len(merged.problems), 'good row')}, "
        f"{len(skipped)} skipped; "
        f"{added} {merged.added}, {updated} {merged.updated}, {merged.unchanged} unchanged "
        f"in {target}"
    )
    if dry_run:
        out.print("dry run: nothing written")
    if not result.accounts and result.problems:
        raise click.exceptions.Exit(1)


@main.group()
def model() -> None:
    """The embedding model: prepare it ahead of time."""


@model.command("prepare")
@pass_state
def model_prepare(state: State) -> None:
    """Export the embedding model to ONNX once and check the cached copy (model.backend: onnx).

    Needs torch where it runs (the run path then does not); a missing, partial or corrupt
    cached copy is exported again. Run it at install or image build time (the Dockerfile does).
    With model.backend: torch it loads the model once.
    """
    with state.clipper(quiet=True) as clipper:
        prepared = clipper.prepare_model()
    if prepared.path is None:
        out.print(f"torch model loaded in {prepared.seconds:.1f} s")
    elif prepared.exported:
        out.print(f"exported in {prepared.seconds:.1f} s: {escape(str(prepared.path))}")
    else:
        out.print(f"ready (cached): {escape(str(prepared.path))}")
