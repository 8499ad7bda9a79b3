"""The touch ledger as a manager uses it: ``clipper touches import|list|delete`` in a child
process on a real SQLite file, and a deleted touch that stops counting everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clipper.types import TouchChannel

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import run_clipper
from .support.seeding import mention, rss_items, seed_matches

#: a terminal wide enough that the table does not fold names
WIDE = {"COLUMNS": "200"}
ACCOUNTS = [
    {"name": "Acme Robotics", "aliases": ["Acme"], "owner": "dana@example.com"},
    {"name": "Helix Components", "owner": "sam@example.com", "tier": "strategic"},
]
REPS = [
    {"email": "dana@example.com", "name": "Dana Lee"},
    {"email": "sam@example.com", "name": "Sam Ortiz"},
]

SALESFORCE = """Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description
00T01,Quarterly check-in,2026-10-14,"Acme Robotics, Inc.",dana@example.com,Call,"Renewal
looks good"
00T02,Intro,2026-10-15,Nowhere Ltd,dana@example.com,Email,
00T03,Site visit,2026-11-02,Helix Components,sam@example.com,Meeting,<script>alert(1)</script>
00T04,Demo,2026-11-03,Helix Components,ghost@example.com,Meeting,
00T05,Follow-up,not a date,Helix Components,sam@example.com,Call,
"""

HUBSPOT = """Record ID,Activity date,Activity type,Associated Company,Activity assigned to,\
Subject,Body,Associated Contact
9001,2026-11-10 16:45,CALL,Acme,Dana Lee (dana@example.com),Pricing,<p>Sent the deck</p>,Jo Park
9002,2026-11-11 09:00,EMAIL,Helix Components,Sam Ortiz,Article,"Shared the cobots piece",
"""


def _config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={
            "touches": {
                "target_per_year": 4,
                "tier_targets": {"strategic": 8},
                "timezone": "Europe/Berlin",
            }
        },
    )


def test_import_keeps_good_rows_reports_bad_ones_by_line_and_adds_nothing_twice(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    export = tmp_path / "tasks.csv"
    export.write_text(SALESFORCE)
    first = run_clipper(config, "touches", "import", str(export))
    assert first.returncode == 1, first.stderr
    assert f"{export}:4: Account.Name: unknown account 'Nowhere Ltd'" in first.stderr
    assert f"{export}:6: Owner.Email: 'ghost@example.com' is not a rep" in first.stderr
    assert f"{export}:7: ActivityDate: not a date: 'not a date'" in first.stderr
    assert "Salesforce export" in first.stdout
    assert "5 rows; added 2, 0 already in the ledger, 3 bad" in first.stdout

    again = run_clipper(config, "touches", "import", str(export))
    assert "added 0, 2 already in the ledger, 3 bad" in again.stdout, again.stdout

    listed = run_clipper(config, "touches", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["account"], r["rep"], r["channel"]) for r in records] == [
        ("Acme Robotics", "dana@example.com", "salesforce"),
        ("Helix Components", "sam@example.com", "salesforce"),
    ]
    acme = records[0]
    assert acme["note"] == "Renewal\nlooks good" and acme["kind"] == "Call"
    assert acme["subject"] == "Quarterly check-in" and acme["key"] == "salesforce:00T01"
    assert acme["origin"] == f"{export}:2" and acme["void"] is None
    # a date without a time is noon in the ledger's zone (Berlin, UTC+2 in October)
    assert acme["touched_at"] == "2026-10-14T10:00:00+00:00"


def test_hubspot_export_is_detected_and_listed_by_account_rep_and_since(tmp_path: Path) -> None:
    config = _config(tmp_path)
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT)
    result = run_clipper(config, "touches", "import", str(export))
    assert result.returncode == 0, result.stderr
    assert "HubSpot export" in result.stdout and "added 2, 0 already" in result.stdout

    by_alias = run_clipper(config, "touches", "list", "--account", "acme", "--json")
    (record,) = [json.loads(line) for line in by_alias.stdout.splitlines()]
    assert record["contact"] == "Jo Park" and record["note"] == "Sent the deck"
    assert record["channel"] == "hubspot" and record["touched_at"] == "2026-11-10T15:45:00+00:00"

    by_rep = run_clipper(config, "touches", "list", "--rep", "SAM@example.com", "--json")
    assert [json.loads(x)["account"] for x in by_rep.stdout.splitlines()] == ["Helix Components"]
    since = run_clipper(config, "touches", "list", "--since", "2026-11-11", "--json")
    assert len(since.stdout.splitlines()) == 1
    quarter = run_clipper(config, "touches", "list", "--since", "2026Q4", env=WIDE)
    assert "Acme Robotics" in quarter.stdout and "Helix Components" in quarter.stdout

    unknown = run_clipper(config, "touches", "list", "--account", "Acme Robotix")
    assert unknown.returncode == 1
    assert "unknown account 'Acme Robotix'" in unknown.stderr
    assert "Did you mean 'Acme Robotics'?" in unknown.stderr
    bad_date = run_clipper(config, "touches", "list", "--since", "last week")
    assert bad_date.returncode == 1 and "not a date: 'last week'" in bad_date.stderr


def test_delete_is_recorded_shown_with_all_and_never_resurrected(tmp_path: Path) -> None:
    config = _config(tmp_path)
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT)
    run_clipper(config, "touches", "import", str(export))
    records = [
        json.loads(x) for x in run_clipper(config, "touches", "list", "--json").stdout.splitlines()
    ]
    helix = next(r for r in records if r["account"] == "Helix Components")

    deleted = run_clipper(
        config, "touches", "delete", str(helix["id"]), "--reason", "wrong account", "--by", "dana"
    )
    assert deleted.returncode == 0, deleted.stderr
    assert f"deleted touch {helix['id']} (Helix Components, 2026-11-11, hubspot)" in deleted.stdout
    assert "by dana: wrong account" in deleted.stdout

    live = run_clipper(config, "touches", "list", "--json").stdout.splitlines()
    assert [json.loads(x)["account"] for x in live] == ["Acme Robotics"]
    everything = [
        json.loads(x)
        for x in run_clipper(config, "touches", "list", "--all", "--json").stdout.splitlines()
    ]
    void = next(r for r in everything if r["id"] == helix["id"])["void"]
    assert void["by"] == "dana" and void["reason"] == "wrong account" and void["at"]
    table = run_clipper(config, "touches", "list", "--all", env=WIDE).stdout
    assert "deleted" in table and "wrong account" in table

    twice = run_clipper(config, "touches", "delete", str(helix["id"]), "--by", "sam")
    assert twice.returncode == 0 and "was already deleted" in twice.stdout
    assert "by dana: wrong account; nothing changed" in twice.stdout

    # the same export again: the deleted touch stays deleted, nothing is added
    again = run_clipper(config, "touches", "import", str(export))
    assert "added 0, 2 already in the ledger" in again.stdout
    assert len(run_clipper(config, "touches", "list", "--json").stdout.splitlines()) == 1

    missing = run_clipper(config, "touches", "delete", "999")
    assert missing.returncode == 1 and "no touch has the id 999" in missing.stderr


def test_a_file_that_is_no_activity_export_fails_with_one_located_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account Name,Website\nAcme,acme.example\n")
    result = run_clipper(config, "touches", "import", str(accounts))
    assert result.returncode == 1
    assert f"error: {accounts}:1: not a Salesforce Task export" in result.stderr
    gone = run_clipper(config, "touches", "import", str(tmp_path / "missing.csv"))
    assert gone.returncode == 1 and "cannot read" in gone.stderr


def test_a_voided_touch_no_longer_counts_for_coverage_or_shares(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    _config_obj, clipper = build(_config(tmp_path), clock)
    with clipper:
        storage = clipper.storage
        quarter = datetime(2026, 10, 1, tzinfo=UTC)
        storage.add_touch(
            "dana@example.com",
            "Acme Robotics",
            TouchChannel.SLACK_SHARE,
            clock.now - timedelta(days=3),
            article_id=None,
            note="shared",
            idempotency_key="view-1",
        )
        (touch,) = storage.touches(account="Acme Robotics")
        assert touch.channel is TouchChannel.SLACK_SHARE and touch.created_at is not None
        assert not storage.touch_statuses(["Acme Robotics"], quarter, 1)["Acme Robotics"].due()
        done = clipper.delete_touch(touch.id, by="dana", reason="sent to the wrong person")
        assert not done.already and done.touch.void is not None
        assert done.touch.void.at == clock.now
        status = storage.touch_statuses(["Acme Robotics"], quarter, 1)["Acme Robotics"]
        assert status.this_quarter == 0 and status.last_touch_at is None and status.due()
        assert clipper.list_touches() == ()
        assert [t.id for t in clipper.list_touches(include_voided=True)] == [touch.id]


def test_touch_policy_comes_from_the_settings_and_bad_values_are_located(tmp_path: Path) -> None:
    config, clipper = build(_config(tmp_path))
    with clipper:
        policy = clipper.touch_policy()
    assert policy.tier_targets == (("strategic", 8),) and policy.timezone == "Europe/Berlin"
    helix = next(a for a in config.accounts if a.name == "Helix Components")
    assert policy.quarterly_target(tier=helix.tier, override=helix.touch_target) == 2
    assert not config.problems

    typo = write_config(
        tmp_path / "typo",
        accounts=[{**ACCOUNTS[1], "tier": "stratgic"}, {**ACCOUNTS[0], "touch_target": -1}],
        reps=REPS,
        settings={"touches": {"tier_targets": {"strategic": 8}}},
    )
    result = run_clipper(typo, "check")
    assert result.returncode == 1
    assert "Helix Components: tier: 'stratgic' has no target in touches.tier_targets" in (
        result.stdout
    )
    assert "did you mean 'strategic'?" in result.stdout
    assert "accounts.yaml:" in result.stdout and "touch_target" in result.stdout

    broken = write_config(
        tmp_path / "broken",
        reps=REPS,
        settings={"touches": {"fiscal_year_start_month": 13, "timezone": "Mars/Olympus"}},
    )
    result = run_clipper(broken, "check")
    assert result.returncode == 2
    assert "touches.fiscal_year_start_month" in result.stdout + result.stderr
    assert "unknown IANA time zone 'Mars/Olympus'" in result.stdout + result.stderr


def test_the_digest_touch_line_counts_the_fiscal_quarter_against_the_tier_target(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route(
        "/feed",
        Reply(200, rss(rss_items(["Helix Components opens a plant"]))),
    )
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=ACCOUNTS,
        reps=REPS,
        settings={
            "touches": {
                "tier_targets": {"strategic": 8},
                "fiscal_year_start_month": 2,
                "timezone": "America/New_York",
            }
        },
    )
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    _config_obj, clipper = build(path, clock)
    with clipper:
        storage = clipper.storage
        # 1 November 03:00 UTC is still 31 October in New York: fiscal 2027Q3, not counted
        for when in (datetime(2026, 11, 1, 3, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)):
            storage.add_touch("sam@example.com", "Helix Components", TouchChannel.HUBSPOT, when)
        clipper.update_feeds()
        seed_matches(storage, clock(), lambda _article: mention("Helix Components"))
        report = clipper.digest(rep="sam@example.com", force=True, dry_run=True)
        (preview,) = report.previews
        assert "Touches this quarter: 1 of 2" in preview and "due" in preview

        (helix,) = clipper.rep_accounts(clipper.find_rep(email="sam@example.com")).accounts  # type: ignore[arg-type]
        assert helix.status is not None and (helix.status.this_quarter, helix.status.target) == (
            1,
            2,
        )
        coverage = clipper.touch_coverage()
        assert coverage.quarter.label == "2027Q4"
        assert [(a.account, a.this_quarter, a.quarter_target) for a in coverage.accounts] == [
            ("Acme Robotics", 0, 1),
            ("Helix Components", 1, 2),
        ]
        assert clipper.touch_coverage("2027Q3").accounts[1].this_quarter == 1
        # the team report counts the same fiscal quarter: from midnight 1 November in New York
        report = clipper.touch_report()
        assert report.quarter_start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
        assert report.due == ("Acme Robotics", "Helix Components")


def test_an_older_touches_per_quarter_setting_still_sets_the_target(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, accounts=ACCOUNTS[:1], reps=REPS, settings={"digest": {"touches_per_quarter": 2}}
    )
    _config_obj, clipper = build(path)
    with clipper:
        assert clipper.touch_policy().target_per_year == 8
        assert clipper.touch_report().target == 2


def test_hostile_text_is_shown_as_written_and_bad_files_are_named(tmp_path: Path) -> None:
    config = _config(tmp_path)
    export = tmp_path / "tasks.csv"
    export.write_text(
        "Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        "[bold red]Urgent[/],2026-11-02,Acme,dana@example.com,Call,"
        '"<script>alert(1)</script> [/] [link=https://evil.example]click[/link]"\n'
    )
    assert run_clipper(config, "touches", "import", str(export)).returncode == 0
    table = run_clipper(config, "touches", "list", env=WIDE)
    assert table.returncode == 0, table.stderr
    assert "[bold red]Urgent[/]" in table.stdout
    assert "<script>alert(1)</script> [/] [link=https://evil.example]click[/link]" in table.stdout

    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        b"Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        b"Caf\xe9,2026-11-02,Acme,dana@example.com,Call,\n"
    )
    result = run_clipper(config, "touches", "import", str(latin))
    assert result.returncode == 1
    assert f"{latin}:2: not UTF-8 text (byte 0xe9); export the file as UTF-8 CSV" in (result.stderr)
    unknown_rep = run_clipper(config, "touches", "list", "--rep", "nobody@example.com")
    assert unknown_rep.returncode == 1 and "unknown rep 'nobody@example.com'" in unknown_rep.stderr


def test_a_share_and_a_slack_touch_are_in_the_ledger_with_channel_and_contact(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/feed", Reply(200, rss(rss_items(["Acme Robotics opens a plant"]))))
    accounts = [{**ACCOUNTS[0], "contacts": [{"name": "Jo Park", "email": "jo@acme.example"}]}]
    path = write_config(
        tmp_path, feeds={"x": [{"url": url, "name": "Wire"}]}, accounts=accounts, reps=REPS
    )
    _config_obj, clipper = build(path)
    with clipper:
        clipper.update_feeds()
        (article,) = seed_matches(clipper.storage, clipper.clock(), lambda _a: None)
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        assert clipper.log_share(dana, "Acme Robotics", article.id, "Hi", key="view:V1")
        assert not clipper.log_share(dana, "Acme Robotics", article.id, "Hi", key="view:V1")
        clipper.log_touch(dana, "Acme Robotics lunch with the COO", key="trigger:T1")
        share, note = clipper.list_touches(account="Acme Robotics")
        (acme,) = clipper.touch_report().by_account
        assert (acme.quarter.shares, acme.touches) == (1, 2)
        clipper.delete_touch(share.id, by="dana", reason="never sent")
        assert clipper.touch_report().by_account == ()  # no match, and no share any more
        assert clipper.shared_already("Acme Robotics", article.id) is None
    assert (share.channel, share.contact, share.article_id) == (
        TouchChannel.SLACK_SHARE,
        "Jo Park",
        article.id,
    )
    assert (note.channel, note.note, note.contact) == (
        TouchChannel.SLACK_COMMAND,
        "lunch with the COO",
        None,
    )
