"""Write-back as a manager uses it: ``clipper touches export --format salesforce|hubspot`` in a
child process on a real SQLite file, imported again into the same ledger (nothing added)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clipper.types import TouchChannel

from .conftest import Clock, build, write_config
from .support.cli import run_clipper

ACCOUNTS = [
    {"name": "Acme Robotics", "aliases": ["Acme"], "owner": "dana@example.com"},
    {"name": '=HYPERLINK("http://evil")', "owner": "sam@example.com"},
    {"name": "Helix Components", "owner": "sam@example.com"},
]
REPS = [
    {"email": "dana@example.com", "name": "Dana Lee"},
    {"email": "sam@example.com", "name": "Sam Ortiz"},
]
HUBSPOT = """Record ID,Activity date,Activity type,Associated Company,Activity assigned to,\
Subject,Body,Associated Contact
9001,2026-11-10 16:45,CALL,Acme,Dana Lee (dana@example.com),Pricing,<p>Sent the deck</p>,Jo Park
"""


def _seed(tmp_path: Path) -> Path:
    """A ledger with a HubSpot import, a share, a /clip touch with a hostile note and a
    touch on a hostile account name, and one deleted touch."""
    config = write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={"touches": {"timezone": "Europe/Berlin"}},
    )
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT)
    assert run_clipper(config, "touches", "import", str(export)).returncode == 0
    now = datetime.now(UTC)
    _cfg, clipper = build(config, Clock(now))
    with clipper:
        storage = clipper.storage
        storage.add_touch(
            "dana@example.com",
            "Acme Robotics",
            TouchChannel.SLACK_SHARE,
            datetime(2026, 11, 12, 23, 30, tzinfo=UTC),  # 13 November in Berlin
            note="Thought of you, <b>Jo</b>",
            idempotency_key="view:V1",
            contact="Jo Park",
        )
        storage.add_touch(
            "sam@example.com",
            '=HYPERLINK("http://evil")',
            TouchChannel.SLACK_COMMAND,
            now - timedelta(days=1),
            note='@SUM(A1:A9) lunch, "quoted"\nsecond line',
            idempotency_key="trigger:T1",
        )
        storage.add_touch(
            "sam@example.com",
            "Helix Components",
            TouchChannel.SLACK_COMMAND,
            now - timedelta(days=2),
            note="logged by mistake",
            idempotency_key="trigger:T2",
        )
        mistake = storage.touches(account="Helix Components")[0]
        clipper.delete_touch(mistake.id, by="sam", reason="wrong account")
    return config


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_salesforce_export_has_the_task_columns_and_imports_back_as_nothing_new(
    tmp_path: Path,
) -> None:
    config = _seed(tmp_path)
    result = run_clipper(config, "touches", "export", "--format", "salesforce")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert list(rows[0]) == [
        "Subject",
        "ActivityDate",
        "Account.Name",
        "Owner.Email",
        "Type",
        "Description",
        "Status",
        "Priority",
        "Who.Name",
        "Clipper_Key__c",
    ]
    # oldest first; the deleted touch is left out
    assert [r["Account.Name"] for r in rows] == [
        "Acme Robotics",
        "Acme Robotics",
        '\'=HYPERLINK("http://evil")',
    ]
    call, share, evil = rows
    assert (call["Subject"], call["Type"], call["ActivityDate"]) == (
        "Pricing",
        "CALL",
        "2026-11-10",
    )
    assert (call["Who.Name"], call["Clipper_Key__c"]) == ("Jo Park", "hubspot:9001")
    assert share["ActivityDate"] == "2026-11-13"  # the ledger's day (Berlin), not UTC's
    assert (share["Type"], share["Status"], share["Who.Name"]) == ("Email", "Completed", "Jo Park")
    assert share["Description"] == "Thought of you, <b>Jo</b>"
    assert share["Clipper_Key__c"] == "view:V1"
    # formulas stay text in a spreadsheet; a note's quotes and line breaks survive the CSV
    assert evil["Description"] == '\'@SUM(A1:A9) lunch, "quoted"\nsecond line'
    assert evil["Owner.Email"] == "sam@example.com" and evil["Type"] == "Other"

    out = tmp_path / "tasks.csv"
    written = run_clipper(config, "touches", "export", "--format", "salesforce", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert f"wrote 3 touches to {out}" in written.stderr
    assert _rows(out.read_text(encoding="utf-8")) == rows
    again = run_clipper(config, "touches", "import", str(out))
    assert again.returncode == 0, again.stderr
    assert "Salesforce export" in again.stdout
    assert "3 rows; added 0, 3 already in the ledger, 0 bad" in again.stdout


def test_a_hubspot_export_round_trips_and_since_takes_a_date_or_a_quarter(tmp_path: Path) -> None:
    config = _seed(tmp_path)
    out = tmp_path / "activities.csv"
    result = run_clipper(config, "touches", "export", "--format", "hubspot", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = _rows(out.read_text(encoding="utf-8"))
    # HubSpot's documented note properties first (hs_timestamp, hs_note_body), by name
    assert list(rows[0]) == [
        "hs_timestamp",
        "hs_note_body",
        "Associated Company",
        "Activity assigned to",
        "Associated Contact",
        "Activity type",
        "Subject",
        "Clipper key",
    ]
    call, share, _evil = rows
    # 16:45 in Berlin (the ledger's zone) is 15:45 UTC: hs_timestamp is UTC
    assert call["hs_timestamp"] == "2026-11-10T15:45:00Z" and call["Activity type"] == "CALL"
    assert share["hs_timestamp"] == "2026-11-12T23:30:00Z"
    assert share["Activity type"] == "EMAIL"
    # HubSpot reads the body as HTML: the note's own markup is text
    assert share["hs_note_body"] == "Thought of you, &lt;b&gt;Jo&lt;/b&gt;"
    again = run_clipper(config, "touches", "import", str(out))
    assert again.returncode == 0, again.stderr
    assert "HubSpot export" in again.stdout
    assert "added 0, 3 already in the ledger, 0 bad" in again.stdout

    late = run_clipper(config, "touches", "export", "--format", "hubspot", "--since", "2026-11-11")
    assert [r["Clipper key"] for r in _rows(late.stdout)] == ["view:V1", "trigger:T1"]
    quarter = run_clipper(
        config, "touches", "export", "--format", "salesforce", "--since", "2026Q4"
    )
    assert len(_rows(quarter.stdout)) == 3


def test_bad_export_arguments_are_named(tmp_path: Path) -> None:
    config = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
    bad = run_clipper(config, "touches", "export", "--format", "pipedrive")
    assert bad.returncode == 2 and "'pipedrive' is not one of 'hubspot', 'salesforce'" in bad.stderr
    since = run_clipper(config, "touches", "export", "--format", "hubspot", "--since", "soon")
    assert since.returncode == 1 and "not a date: 'soon'" in since.stderr
    nowhere = tmp_path / "missing" / "x.csv"
    out = run_clipper(config, "touches", "export", "--format", "hubspot", "--out", str(nowhere))
    assert out.returncode == 1 and f"{nowhere}: cannot write" in out.stderr
    empty = run_clipper(config, "touches", "export", "--format", "hubspot")
    assert empty.returncode == 0 and len(empty.stdout.splitlines()) == 1  # the header alone
