"""The commands of customer touches: ``touches``, ``report``, ``review``.

Thin: parse, call the facade, print. Does not decide anything.
"""

from __future__ import annotations

import dataclasses
import getpass
import io
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..exceptions import (
    CommandUsageError,
)
from ..logic.coverage_report import (
    DARK_COLUMN,
    ONE_CONTACT_COLUMN,
    CoverageReport,
    report_csv,
    report_html,
    report_json,
    shares_text,
    streak_text,
)
from ..logic.touches import ONE_CONTACT
from ..logic.words import plural
from ..types import (
    Touch,
    TouchChannel,
)
from .app import (
    PIPE_WIDTH,
    State,
    _write_out,
    err,
    main,
    out,
    pass_state,
)


@main.group()
def touches() -> None:
    """The customer-touch ledger: import CRM activity, list touches, delete a mistake."""


@touches.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def touches_import(state: State, csv_file: Path) -> None:
    """Add the touches of a Salesforce Task or HubSpot activity CSV export to the ledger.

    The CRM is told by the header. Bad rows (unknown account or rep, a missing, unreadable or
    future date) are reported by line, column and reason, and the good rows are kept; the
    exit code is 1 when any row was bad. Importing the same file again adds nothing.
    """
    with state.clipper(quiet=True) as clipper:
        result = clipper.import_touches(csv_file)
    for problem in result.problems:
        err.print(f"[red]error:[/] {escape(problem)}")
    if result.dialect is not None:
        kind = "Salesforce" if result.dialect is TouchChannel.SALESFORCE else "HubSpot"
        out.print(
            f"{kind} export {escape(str(csv_file))}: {plural(result.rows, 'row')}; added "
            f"{result.added}, "
            f"{result.duplicates} already in the ledger, {len(result.problems)} bad"
        )
    if result.problems:
        raise click.exceptions.Exit(1)


def _touch_record(touch: Touch) -> dict[str, Any]:
    record: dict[str, Any] = {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in dataclasses.asdict(touch).items()
        if k != "void"
    }
    record["channel"] = touch.channel.value
    record["void"] = (
        None
        if touch.void is None
        else {"by": touch.void.by, "at": touch.void.at.isoformat(), "reason": touch.void.reason}
    )
    return record


@touches.command("list")
@click.option("--account", metavar="NAME", help="Only this account (its name or an alias).")
@click.option("--rep", metavar="EMAIL", help="Only this rep's touches.")
@click.option("--since", metavar="DATE", help="From this date (YYYY-MM-DD) or quarter (2026Q4).")
@click.option("--all", "include_voided", is_flag=True, help="Also deleted touches, with why.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per touch, no table.")
@pass_state
def touches_list(
    state: State,
    account: str | None,
    rep: str | None,
    since: str | None,
    include_voided: bool,
    as_json: bool,
) -> None:
    """List the ledger's touches, oldest first, with their ids (for 'touches delete')."""
    with state.clipper(quiet=True) as clipper:
        found = clipper.list_touches(
            account=account, rep=rep, since=since, include_voided=include_voided
        )
        zone = ZoneInfo(clipper.touch_policy().timezone)
    if as_json:
        for touch in found:
            click.echo(json.dumps(_touch_record(touch), ensure_ascii=False))
        return
    if not found:
        out.print("no touches")
        return
    table = Table(expand=False)
    for column in ("id", f"when ({zone.key})", "account", "rep", "channel", "what"):
        table.add_column(column, overflow="fold")
    for touch in found:
        article = f"article {touch.article_id}" if touch.article_id is not None else None
        note = touch.note if not touch.note or len(touch.note) <= 200 else touch.note[:199] + "…"
        what = " · ".join(
            escape(part)
            for part in (touch.kind, touch.contact, touch.subject, article, note)
            if part
        )
        if touch.void is not None:
            why = f": {touch.void.reason}" if touch.void.reason else ""
            what += (
                f"\n[red]deleted {touch.void.at.astimezone(zone):%Y-%m-%d %H:%M} by "
                f"{escape(touch.void.by)}{escape(why)}[/]"
            )
        table.add_row(
            str(touch.id),
            f"{touch.touched_at.astimezone(zone):%Y-%m-%d %H:%M}",
            escape(touch.account),
            escape(touch.rep),
            touch.channel.value,
            what,
        )
    out.print(table)


def _login_name() -> str:
    """The user running the command (who deleted a touch), or "cli" when the system has none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


@touches.command("delete")
@click.argument("touch_id", type=int)
@click.option("--reason", metavar="TEXT", help="Why it is deleted (kept with the touch).")
@click.option("--by", "by", metavar="NAME", help="Who deletes it (default: your login name).")
@pass_state
def touches_delete(state: State, touch_id: int, reason: str | None, by: str | None) -> None:
    """Delete a touch logged by mistake. It is kept as deleted, with who, when and why, and
    no longer counts anywhere; 'touches list --all' shows it."""
    who = by or _login_name()
    with state.clipper(quiet=True) as clipper:
        done = clipper.delete_touch(touch_id, by=who, reason=reason)
    touch, void = done.touch, done.touch.void
    assert void is not None
    why = f": {void.reason}" if void.reason else ""
    said = f"touch {touch.id} ({touch.account}, {touch.touched_at:%Y-%m-%d}, {touch.channel.value})"
    if done.already:
        out.print(
            f"{escape(said)} was already deleted on {void.at:%Y-%m-%d %H:%M} UTC by "
            f"{escape(void.by)}{escape(why)}; nothing changed"
        )
        return
    out.print(f"deleted {escape(said)} by {escape(void.by)}{escape(why)}")


_CRMS = {"salesforce": TouchChannel.SALESFORCE, "hubspot": TouchChannel.HUBSPOT}


@touches.command("export")
@click.option(
    "--format",
    "crm",
    type=click.Choice(sorted(_CRMS)),
    required=True,
    help="The CRM's import columns: a Salesforce Task CSV or a HubSpot activity CSV.",
)
@click.option("--since", metavar="DATE", help="From this date (YYYY-MM-DD) or quarter (2026Q4).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV to FILE (default: standard output).",
)
@pass_state
def touches_export(state: State, crm: str, since: str | None, out_path: Path | None) -> None:
    """Write the ledger's touches (deleted ones left out) as a CRM activity import CSV.

    Each row carries the touch's ledger key (Salesforce: Clipper_Key__c, HubSpot: Clipper
    key), so 'touches import' of the file adds nothing. Cells that a spreadsheet would run
    as a formula start with '.
    """
    with state.clipper(quiet=True) as clipper:
        done = clipper.export_touches(_CRMS[crm], since=since)
    _write_out(out_path, done.csv.encode(), what=plural(done.touches, "touch", "touches"))


@main.group()
def report() -> None:
    """Reports for managers: touch coverage per rep and account, as a table, CSV, JSON, a
    chart or an HTML page."""


def _frac(have: int, want: int) -> str:
    return f"{have}/{want}"


def _coverage_tables(report: CoverageReport, console: Console) -> None:
    """Print the report as rich tables: per rep (and the team), per account, and accounts by
    days since their last touch."""
    console.print(
        f"[bold]{escape(report.title)}[/] · {escape(report.period)} ({escape(report.timezone)})"
        f", counted to {report.counted_to}; going dark after "
        f"{plural(report.going_dark_days, 'day')} without a touch"
    )
    reps = Table(title="Per rep (touches on the rep's accounts, by anyone)", expand=False)
    for column in ("rep", "accounts", "on target", "quarter", "12 months", "going dark"):
        reps.add_column(column, overflow="fold")
    for line in (*report.reps, report.team):
        reps.add_row(
            escape(line.label) if line is not report.team else "[bold]team[/]",
            str(line.accounts),
            _frac(line.on_target_quarter, line.accounts),
            _frac(line.touches_quarter, line.quarter_target),
            _frac(line.touches_12_months, line.year_target),
            str(line.going_dark),
            end_section=line is not report.team and line is report.reps[-1],
        )
    console.print(reps)
    accounts = Table(title="Per account (touches / target)", expand=False)
    columns = ("account", "owner", "quarter", "12 months", "days since", "contacts")
    for column in (*columns, DARK_COLUMN, ONE_CONTACT_COLUMN):
        accounts.add_column(column, overflow="fold")
    for a in report.accounts:
        accounts.add_row(
            escape(a.account),
            escape(a.owner or "(no owner)"),
            _frac(a.this_quarter, a.quarter_target),
            _frac(a.last_12_months, a.year_target),
            "never" if a.days_since is None else str(a.days_since),
            _frac(a.contacts_touched, a.contacts_known),
            "[red]going dark[/]" if a.going_dark else "",
            f"[yellow]{ONE_CONTACT}[/]" if a.single_contact else "",
        )
    console.print(accounts if report.accounts else "no accounts")
    days = Table(title="Accounts by days since their last touch", expand=False)
    days.add_column("days since last touch")
    days.add_column("accounts", justify="right")
    for bucket in report.days:
        label = f"[red]{bucket.label}[/]" if bucket.going_dark and bucket.accounts else bucket.label
        days.add_row(label, str(bucket.accounts))
    console.print(days)
    if report.streak is not None:
        console.print(f"Streak: {escape(streak_text(report.streak))}", soft_wrap=True)
    if report.shares is not None:
        console.print(f"Shares: {escape(shares_text(report.shares))}", soft_wrap=True)


@report.command("touches")
@click.option("--quarter", metavar="LABEL", help="The quarter, e.g. 2026Q4 (default: this one).")
@click.option("--rep", metavar="EMAIL", help="Only this rep's accounts.")
@click.option(
    "--format",
    "form",
    type=click.Choice(["table", "csv", "json", "png", "html"]),
    default="table",
    show_default=True,
    help="table (rich), csv, json (one object), png (a chart) or html (one self-contained page).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output; png needs it at a terminal).",
)
@pass_state
def report_touches(
    state: State, quarter: str | None, rep: str | None, form: str, out_path: Path | None
) -> None:
    """Touch coverage for a quarter: per rep and per account, this quarter and the trailing
    12 months against target, days since the last touch, contacts touched, going dark."""
    if form == "png" and out_path is None and sys.stdout.isatty():
        raise CommandUsageError("a PNG is not for the terminal: give --out FILE, or pipe it")
    with state.clipper(quiet=True) as clipper:
        found = clipper.touch_coverage_report(quarter=quarter, rep=rep)
        chart = clipper.touch_coverage_chart(found) if form in ("png", "html") else None
    data: bytes
    if form == "table":
        if out_path is None:
            _coverage_tables(found, out)
            return
        buffer = io.StringIO()
        _coverage_tables(found, Console(file=buffer, width=PIPE_WIDTH, highlight=False))
        data = buffer.getvalue().encode("utf-8")
    elif form == "csv":
        data = report_csv(found).encode("utf-8")
    elif form == "json":
        data = (json.dumps(report_json(found), ensure_ascii=False, indent=2) + "\n").encode()
    elif form == "html":
        data = report_html(found, chart.png if chart else None).encode("utf-8")
    else:
        assert chart is not None
        data = chart.png
    _write_out(out_path, data)


@report.command("link")
@click.option("--rep", metavar="EMAIL", help="A link to this rep's accounts only.")
@click.option(
    "--ttl-hours",
    type=click.FloatRange(min=0, min_open=True, max=8784),
    default=None,
    help="Hours the link works (default: web.link_ttl_hours, 24).",
)
@pass_state
def report_link(state: State, rep: str | None, ttl_hours: float | None) -> None:
    """Print a signed link to the web page of the touch report (the whole team's, or one
    rep's accounts with --rep); 'clipper serve' or 'clipper run' serves it.

    The link starts with web.base_url; without it, with the address 'clipper run' would serve
    the page on (web.listen without Slack, else slack.host and slack.port), and a warning
    says so: a 'clipper serve --port N' elsewhere is not known to this command.
    """
    with state.clipper(quiet=True) as clipper:
        link = clipper.report_link(rep=rep, ttl_hours=ttl_hours)
        base = clipper.report_base_url()
    click.echo(link.url)
    who = "the whole team" if link.scope.rep is None else f"{link.scope.rep}'s accounts only"
    err.print(f"a link to {escape(who)}; it expires {link.expires_text}")
    if link.assumed:
        err.print(
            f"[yellow]warning:[/] web.base_url is not set: this link assumes the page is "
            f"served at {escape(base)} (web.listen, else slack.port); set web.base_url to the "
            "address managers reach"
        )


@main.command("review")
@click.argument("account")
@click.option("--quarter", metavar="LABEL", help="The quarter, e.g. 2026Q4 (default: this one).")
@click.option(
    "--format",
    "form",
    type=click.Choice(["md", "html"]),
    default="md",
    show_default=True,
    help="md (Markdown) or html (one self-contained page).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@pass_state
def review(
    state: State, account: str, quarter: str | None, form: str, out_path: Path | None
) -> None:
    """The quarterly review pack for ACCOUNT (its name or an alias): the quarter's touches and
    contacts reached, its news and business events, the articles shared, its industry's
    trends."""
    with state.clipper(quiet=True) as clipper:
        pack = clipper.review_pack(account, quarter=quarter)
    from ..logic.review import review_html, review_markdown  # the digest's text rules: here only

    text = review_html(pack) if form == "html" else review_markdown(pack)
    data = text.encode("utf-8")
    _write_out(out_path, data)
