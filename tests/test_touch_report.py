"""``clipper report touches`` as a manager runs it: a child process on a real SQLite ledger
filled by ``clipper touches import``, in every format; the chart is a real PNG whose numbers
are the table's; and the numbers are the ones ``/clip report`` shows."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from clipper.adapters.chart_mpl import NUMBERS_KEY
from clipper.logic.clip import parse_clip
from clipper.logic.touches import TouchPolicy
from clipper.slackclip import answer_clip
from clipper.types import TouchChannel

from .conftest import REPO, Clock, build, write_config
from .support.cli import run_clipper

HOSTILE = '=HYPERLINK("https://evil.example") <script>alert(\'x\')</script> & "Co" $x$'
LONG = "Consolidated Intercontinental Heavy Machinery and Precision Robotics Holdings Group"
ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Acme Robotics",
        "owner": "dana@example.com",
        "contacts": [{"name": "Jo Park"}, {"name": "Ann Lee"}],
    },
    {"name": "Helix Components", "owner": "sam@example.com", "tier": "strategic"},
    {"name": HOSTILE, "owner": "dana@example.com"},
    {"name": LONG, "owner": "sam@example.com", "touch_target": 8},
    {"name": "Orphan Ltd"},
]
REPS = [
    {"email": "dana@example.com", "name": "Dana Lee"},
    {"email": "sam@example.com", "name": "Sam Ortiz"},
    {"email": "max@example.com", "name": "Max", "role": "manager"},
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _config(tmp_path: Path, **touches: Any) -> Path:
    return write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={"touches": {"tier_targets": {"strategic": 8}, **touches}},
    )


def _last_quarter(config: Path) -> tuple[str, datetime, datetime]:
    """The quarter before this one (its numbers no longer move), its start and its end."""
    _config_obj, clipper = build(config)
    with clipper:
        policy: TouchPolicy = clipper.touch_policy()
        quarter = policy.quarter_of(datetime.now(UTC)).shifted(-1)
        return quarter.label, policy.quarter_start(quarter), policy.quarter_end(quarter)


def _import(tmp_path: Path, config: Path, start: datetime) -> None:
    """Import a Salesforce export: Acme twice (one contact), Helix once in the quarter and
    once before it, the orphan 100+ days before the quarter's end, the hostile one never."""

    def day(offset: int) -> str:
        return (start + timedelta(days=offset)).date().isoformat()

    export = tmp_path / "tasks.csv"
    export.write_text(
        "Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description,Who.Name\n"
        f"T1,Check-in,{day(10)},Acme Robotics,dana@example.com,Call,,Jo Park\n"
        f"T2,Follow-up,{day(20)},Acme Robotics,dana@example.com,Email,,Jo Park\n"
        f"T3,Visit,{day(15)},Helix Components,sam@example.com,Meeting,,\n"
        f"T4,Lunch,{day(-100)},Helix Components,sam@example.com,Meeting,,\n"
        f"T5,Intro,{day(-20)},Orphan Ltd,dana@example.com,Call,,\n"
        f"T6,Pitch,{day(40)},{LONG},dana@example.com,Call,,\n"
    )
    result = run_clipper(config, "touches", "import", str(export))
    assert result.returncode == 0, result.stderr
    assert "added 6" in result.stdout


def _report(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_clipper(config, "report", "touches", *args)


def _json(config: Path, *args: str) -> dict[str, Any]:
    result = _report(config, "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_json_csv_and_table_give_the_same_numbers(tmp_path: Path) -> None:
    config = _config(tmp_path)
    label, start, end = _last_quarter(config)
    _import(tmp_path, config, start)

    report = _json(config, "--quarter", label)
    assert report["quarter"] == label and report["rep"] is None
    assert report["as_of"] == end.isoformat()
    accounts = {a["account"]: a for a in report["accounts"]}
    acme = accounts["Acme Robotics"]
    assert (acme["touches_quarter"], acme["quarter_target"]) == (2, 1)
    assert (acme["touches_12_months"], acme["year_target"]) == (2, 4)
    assert (acme["contacts_touched"], acme["contacts_known"]) == (1, 2)
    # both touches went to Jo Park while Ann Lee is on file too
    assert acme["single_contact"] is True
    last_acme = start + timedelta(days=20, hours=12)  # a date without a time is noon
    assert acme["last_touch"] == last_acme.isoformat()
    assert acme["days_since_last_touch"] == (end - last_acme).days
    assert acme["on_target_quarter"] is True and acme["going_dark"] is False
    helix = accounts["Helix Components"]
    assert helix["single_contact"] is False  # no contacts on file
    assert (helix["touches_quarter"], helix["quarter_target"]) == (1, 2)  # strategic: 8 a year
    assert (helix["touches_12_months"], helix["year_target"]) == (2, 8)
    assert helix["on_target_quarter"] is False
    assert accounts[HOSTILE]["days_since_last_touch"] is None
    assert accounts[HOSTILE]["going_dark"] is True
    orphan = accounts["Orphan Ltd"]
    assert orphan["rep"] is None and orphan["going_dark"] is True
    assert orphan["days_since_last_touch"] == (end - (start - timedelta(days=20, hours=-12))).days

    reps = {r["rep"]: r for r in report["reps"]}
    assert set(reps) == {"dana@example.com", "sam@example.com"}  # max owns no account
    dana, sam = reps["dana@example.com"], reps["sam@example.com"]
    assert dana["name"] == "Dana Lee" and dana["accounts"] == 2
    assert (dana["on_target_quarter"], dana["going_dark"]) == (1, 1)
    assert (dana["touches_quarter"], dana["quarter_target"]) == (2, 2)
    # the long-named account is Sam's: Dana's touch on it counts for Sam's book
    assert (sam["touches_quarter"], sam["quarter_target"]) == (2, 4)
    assert (sam["touches_12_months"], sam["year_target"]) == (3, 16)
    team = report["team"]
    assert team["accounts"] == 5 and team["on_target_quarter"] == 1
    assert team["touches_quarter"] == 4 and team["going_dark"] == 2
    buckets = {b["bucket"]: b["accounts"] for b in report["days_since_last_touch"]}
    assert sum(buckets.values()) == 5 and buckets["never touched"] == 1
    assert buckets["90+ days"] == 1

    # CSV: the same numbers under the same column names, a rep row the sum of its accounts
    result = _report(config, "--quarter", label, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "row",
        "quarter",
        "rep",
        "name",
        "account",
        "accounts",
        "on_target_quarter",
        "on_target_year",
        "going_dark",
        "touches_quarter",
        "quarter_target",
        "touches_12_months",
        "year_target",
        "days_since_last_touch",
        "last_touch",
        "contacts_touched",
        "contacts_known",
        "single_contact",
    ]
    assert [r["row"] for r in rows] == ["team", "rep", "rep"] + ["account"] * 5
    by_rep = {r["rep"]: r for r in rows if r["row"] == "rep"}
    for email, line in reps.items():
        book = [r for r in rows if r["row"] == "account" and r["rep"] == email]
        for column in ("accounts", "on_target_quarter", "going_dark", "touches_quarter"):
            assert int(by_rep[email][column]) == line[column] == sum(int(r[column]) for r in book)
    # a name a spreadsheet would run as a formula stays text
    hostile = next(r for r in rows if "HYPERLINK" in r["account"])
    assert hostile["account"] == "'" + HOSTILE
    assert hostile["days_since_last_touch"] == "" and hostile["going_dark"] == "1"
    assert hostile["single_contact"] == "0"
    acme_row = next(r for r in rows if r["account"] == "Acme Robotics")
    assert acme_row["single_contact"] == "1"

    # the table, piped: nothing cut, the same fractions
    table = _report(config, "--quarter", label)
    assert table.returncode == 0, table.stderr
    assert LONG in table.stdout and HOSTILE in table.stdout
    assert re.search(r"Dana Lee\s*│\s*2\s*│\s*1/2\s*│\s*2/2\s*│\s*2/8\s*│\s*1", table.stdout)
    assert re.search(r"Acme Robotics\s*│\s*dana@example.com\s*│\s*2/1\s*│\s*2/4", table.stdout)
    assert "never" in table.stdout and "going dark" in table.stdout
    warned = [line for line in table.stdout.splitlines() if "only one contact touched" in line]
    assert len(warned) == 1 and "Acme Robotics" in warned[0]

    # --out writes the file and says so on stderr
    target = tmp_path / "report.json"
    written = _report(config, "--quarter", label, "--format", "json", "--out", str(target))
    assert written.returncode == 0 and written.stdout == ""
    assert f"wrote {target}" in written.stderr
    assert json.loads(target.read_text()) == report


def test_the_chart_is_a_real_png_whose_numbers_equal_the_table(tmp_path: Path) -> None:
    config = _config(tmp_path)
    label, start, _end = _last_quarter(config)
    _import(tmp_path, config, start)
    report = _json(config, "--quarter", label)

    target = tmp_path / "coverage.png"
    result = _report(config, "--quarter", label, "--format", "png", "--out", str(target))
    assert result.returncode == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(target) as image:
        assert image.format == "PNG" and image.size == (1600, 800)
        plotted = json.loads(image.text[NUMBERS_KEY])  # type: ignore[attr-defined]
        assert label in image.text["Title"]  # type: ignore[attr-defined]
    assert label in plotted["title"]
    assert plotted["reps"] == [
        {
            "rep": r["name"],
            "touches_quarter": r["touches_quarter"],
            "quarter_target": r["quarter_target"],
        }
        for r in report["reps"]
    ]
    assert plotted["days_since_last_touch"] == [
        {"bucket": b["bucket"], "accounts": b["accounts"]} for b in report["days_since_last_touch"]
    ]

    # piped, the PNG goes to standard output
    piped = subprocess.run(
        [sys.executable, "-m", "clipper", "--config", str(config), "report", "touches"]
        + ["--quarter", label, "--format", "png"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(piped.stdout)) as image:
        assert json.loads(image.text[NUMBERS_KEY]) == plotted  # type: ignore[attr-defined]


def test_html_is_one_page_with_the_chart_and_escapes_a_hostile_account(tmp_path: Path) -> None:
    config = _config(tmp_path)
    label, start, _end = _last_quarter(config)
    _import(tmp_path, config, start)
    result = _report(config, "--quarter", label, "--format", "html")
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>") and f"Customer touches {label}" in page
    assert "<script>" not in page and "alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Co&quot;" in page
    assert "=HYPERLINK(&quot;https://evil.example&quot;)" in page
    assert page.count("only one contact touched in 12 months") == 1  # Acme: Jo Park twice
    assert not re.search(r"(src|href)=\"?https?:", page)  # nothing is loaded from elsewhere
    (encoded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    png = base64.b64decode(encoded)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1600, 800)
    assert "Dana Lee" in page and "Acme Robotics" in page and "never" in page


def test_rep_and_quarter_filters_and_bad_values_say_what_is_wrong(tmp_path: Path) -> None:
    config = _config(tmp_path, fiscal_year_start_month=2)
    label, start, _end = _last_quarter(config)
    _import(tmp_path, config, start)

    dana = _json(config, "--quarter", label, "--rep", "Dana@Example.com")
    assert dana["rep"] == "dana@example.com"
    assert [r["rep"] for r in dana["reps"]] == ["dana@example.com"]
    assert {a["account"] for a in dana["accounts"]} == {"Acme Robotics", HOSTILE}
    assert dana["team"]["accounts"] == 2
    table = _report(config, "--quarter", label, "--rep", "dana@example.com")
    assert "Customer touches" in table.stdout and "· Dana Lee" in table.stdout
    assert "Helix" not in table.stdout

    # a rep who owns nothing has an empty report, not an error
    assert _json(config, "--rep", "max@example.com")["accounts"] == []

    typo = _report(config, "--rep", "dana@exmaple.com")
    assert typo.returncode == 1 and typo.stdout == ""
    assert "unknown rep 'dana@exmaple.com'" in typo.stderr
    assert "Did you mean 'dana@example.com'?" in typo.stderr

    bad = _report(config, "--quarter", "2026Q5")
    assert bad.returncode == 1
    assert "not a quarter: '2026Q5' (expected a label such as 2026Q4" in bad.stderr
    future = _report(config, "--quarter", "2099Q1")
    assert future.returncode == 1 and "quarter 2099Q1 has not begun" in future.stderr
    assert "touches.fiscal_year_start_month is 2" in future.stderr

    # the default quarter is this one, in fiscal labels
    this = _json(config)
    assert (
        this["quarter"]
        == TouchPolicy(fiscal_year_start_month=2).quarter_of(datetime.now(UTC)).label
    )

    unwritable = _report(config, "--format", "csv", "--out", str(tmp_path / "no" / "x.csv"))
    assert unwritable.returncode == 1 and "x.csv: cannot write" in unwritable.stderr


def test_the_numbers_are_those_of_clip_report(tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    _config_obj, clipper = build(_config(tmp_path), clock)
    with clipper:
        add = clipper.storage.add_touch
        add("dana@example.com", "Acme Robotics", TouchChannel.HUBSPOT, clock.now - timedelta(3))
        add("sam@example.com", "Helix Components", TouchChannel.HUBSPOT, clock.now - timedelta(9))
        add("sam@example.com", "Helix Components", TouchChannel.HUBSPOT, clock.now - timedelta(2))
        add("dana@example.com", LONG, TouchChannel.SLACK_COMMAND, clock.now - timedelta(5))
        add("sam@example.com", LONG, TouchChannel.SALESFORCE, clock.now - timedelta(200))
        mine = clipper.touch_coverage_report()
        theirs = clipper.touch_report()
        max_ = clipper.find_rep(email="max@example.com")
        assert max_ is not None
        said = answer_clip(clipper, max_, parse_clip("report"), "k")
    assert mine.quarter.label == "2026Q4"
    assert mine.team.accounts == theirs.accounts == 5
    assert mine.team.on_target_quarter == theirs.touched == 2
    owners = {o.owner: o for o in theirs.by_owner}
    for line in mine.reps:
        assert (line.on_target_quarter, line.accounts) == (
            owners[line.rep].touched,
            owners[line.rep].total,
        )
        assert f"{line.rep}: {line.on_target_quarter}/{line.accounts} on target" in said
    assert theirs.due == tuple(
        a.account
        for a in sorted(mine.accounts, key=lambda a: [x["name"] for x in ACCOUNTS].index(a.account))
        if a.due
    )
    assert f"{mine.team.on_target_quarter} of {mine.team.accounts} accounts on target" in said


def test_other_commands_never_import_matplotlib(tmp_path: Path) -> None:
    config = _config(tmp_path)
    probe = (
        "import sys\n"
        "from clipper.cli import main\n"
        f"main(['--config', {str(config)!r}, 'report', 'touches', '--format', 'json'],"
        " standalone_mode=False)\n"
        "main(['--help'], standalone_mode=False)\n"
        "print('matplotlib' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_png_is_not_written_to_a_terminal_and_a_table_goes_to_a_file_whole(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    primary, replica = pty.openpty()
    try:
        at_terminal = subprocess.run(
            [sys.executable, "-m", "clipper", "--config", str(config)]
            + ["report", "touches", "--format", "png"],
            stdout=replica,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(replica)
        os.close(primary)
    assert at_terminal.returncode == 1
    assert b"a PNG is not for the terminal: give --out FILE, or pipe it" in at_terminal.stderr

    target = tmp_path / "report.txt"
    written = _report(config, "--out", str(target))
    assert written.returncode == 0 and f"wrote {target}" in written.stderr
    text = target.read_text()
    assert LONG in text and HOSTILE in text and "\x1b[" not in text  # whole, no colour codes
