"""The command line: every command documented, and each one run the way a manager would."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import click
import yaml
from click.testing import CliRunner

from clipper.cli import main

from .conftest import REPO, write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import run_clipper


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help_and_is_in_the_docs() -> None:
    docs = (REPO / "README.md").read_text() + (REPO / "docs" / "cli.md").read_text()
    runner = CliRunner()
    for path in all_commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        command = main
        for part in path:
            command = command.commands[part]  # type: ignore[attr-defined]
        assert command.help, f"clipper {' '.join(path)} has no help text"
        assert f"clipper {' '.join(path)}" in docs, f"clipper {' '.join(path)} is not documented"


def test_fetch_once_prints_a_summary_and_status_shows_health(
    tmp_path: Path, server: FeedServer
) -> None:
    good = server.route(
        "/good", Reply(200, rss([{"title": "Hello", "guid": "1", "link": "http://x.example/1"}]))
    )
    bad = server.route("/bad", Reply(500))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": good, "name": "Good feed"}, {"url": bad, "name": "Bad feed"}]},
    )
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "fetch", "--once"])
    # the good feed is stored, and the exit code says that one feed could not be fetched
    assert result.exit_code == 1, result.output
    assert "feeds: 1 ok, 0 not modified, 1 failed; new articles: 1" in result.output
    assert "failed Bad feed" in result.output and "HTTP 500" in result.output
    again = runner.invoke(main, ["--config", str(path), "fetch", "--once", "--all"])
    assert "1 not modified" not in again.output or "new articles: 0" in again.output
    status = runner.invoke(main, ["--config", str(path), "feeds", "status", "--json"])
    rows = {r["name"]: r for r in map(json.loads, status.output.splitlines())}
    assert rows["Good feed"]["items"] == 1 and rows["Good feed"]["error_count"] == 0
    assert rows["Bad feed"]["last_error"] == "HTTP 500 Internal Server Error"
    table = runner.invoke(main, ["--config", str(path), "feeds", "status"])
    assert "Good feed" in table.output and "HTTP 500" in table.output


def test_run_once_on_the_bundled_samples(tmp_path: Path) -> None:
    # the README's main command, on a copy of the bundled configuration
    import shutil

    for folder in ("config", "feeds"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    result = CliRunner().invoke(
        main, ["--config", str(tmp_path / "config" / "clipper.yaml"), "run", "--once"]
    )
    assert result.exit_code == 0, result.output
    assert "feeds: 4 ok, 0 not modified, 0 failed; new articles: 19" in result.output
    assert "matched 19 new articles" in result.output
    assert (tmp_path / "var" / "clipper.db").exists()
    # without a Slack token each rep's first digest is printed and saved as Markdown
    assert "Clipper digest" in result.output and "Acme Robotics" in result.output
    assert "queued digest" in result.output and "delivered 3 digest messages" in result.output
    saved = sorted((tmp_path / "var" / "digests").glob("*/*.md"))
    assert [p.parent.name for p in saved] == [
        "dana@clipper.example",
        "lee@clipper.example",
        "sam@clipper.example",
    ]
    # the manager's weekly team summary goes out on the first run (issue 12 item 5)
    lee = saved[1].read_text()
    assert "# Clipper team summary" in lee and "- 0 of 5 accounts on target" in lee
    sam = saved[2].read_text()
    assert "## Acme Robotics" in sam and "Why: mentions" in sam and "for you only" in sam
    assert "Touches this quarter: 0 of 1" in sam
    # industry news that named no account reaches the reps of that industry (issue 12 item 4)
    mine, industries = saved[0].read_text().split("## Your industries")
    assert "Port strike averted" in industries and "Why: industry: logistics" in industries
    assert "Northwind Logistics opens automated cross-dock hub" in mine
    assert "Northwind" not in industries and "Port strike" not in sam
    # nothing new the second time: no article reaches a rep twice
    again = CliRunner().invoke(
        main, ["--config", str(tmp_path / "config" / "clipper.yaml"), "digest", "--now"]
    )
    assert again.exit_code == 0, again.output
    assert "nothing pending" in again.output
    assert len(list((tmp_path / "var" / "digests").glob("*/*.md"))) == 3


def test_digest_dry_run_and_unknown_rep(tmp_path: Path) -> None:
    import shutil

    for folder in ("config", "feeds"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    config = str(tmp_path / "config" / "clipper.yaml")
    runner = CliRunner()
    assert runner.invoke(main, ["--config", config, "fetch", "--once"]).exit_code == 0
    preview = runner.invoke(main, ["--config", config, "digest", "--dry-run", "--now"])
    assert preview.exit_code == 0, preview.output
    assert "Helix Components" in preview.output  # matched first (--now), then shown
    assert not (tmp_path / "var" / "digests").exists()  # nothing sent, nothing saved
    unknown = runner.invoke(main, ["--config", config, "digest", "--rep", "nobody@x.example"])
    assert unknown.exit_code == 2 and "unknown rep" in unknown.output


def test_discover_lists_feed_links_and_recognises_feeds(tmp_path: Path, server: FeedServer) -> None:
    page = (
        b"<html><head><base href='/news/'><link rel='alternate' type='application/rss+xml'"
        b" title='All news' href='feed.xml'><link rel='alternate' "
        b"type='application/atom+xml' href='https://other.example/atom'></head><body>"
        b"<a href='/comments/rss'>Comments RSS</a><a href='/about'>About</a></body></html>"
    )
    url = server.route("/page", Reply(200, page, {"Content-Type": "text/html"}))
    feed = server.route(
        "/news/feed.xml", Reply(200, rss([{"title": "t", "guid": "1"}], title="All the news"))
    )
    path = write_config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "feeds", "discover", url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{server.base}/news/feed.xml\trss\tAll news"
    assert lines[1] == "https://other.example/atom\tatom\t"
    assert lines[2] == f"{server.base}/comments/rss\tlink\tComments RSS"
    assert len(lines) == 3
    as_feed = runner.invoke(main, ["--config", str(path), "feeds", "discover", feed])
    assert "is a feed: All the news" in as_feed.output
    none = runner.invoke(
        main,
        [
            "--config",
            str(path),
            "feeds",
            "discover",
            server.route("/plain", Reply(200, b"<p>hi</p>")),
        ],
    )
    assert none.exit_code == 1 and "no feeds found" in none.output


CSV_SALESFORCE = """Account Name,Website,Ticker Symbol,Industry,Account Owner
Acme Robotics,https://www.acme-robotics.example/about,ACMR,Manufacturing,Rep One
Helix Components,helix.example,,Manufacturing,rep@example.com
,nameless.example,,,rep@example.com
Ghost Corp,ghost.example,,,Nobody Known
Bad Domain Inc,not a domain,,,rep@example.com
acme robotics,dup.example,,,rep@example.com
"""

CSV_HUBSPOT = """Company name;Company Domain Name;Industry;Company owner
Solara Energy;solara.example;Utilities;rep@example.com
"""


def test_accounts_import_keeps_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        feeds={"manufacturing": []},
        accounts=[
            {
                "name": "Acme Robotics",
                "owner": "rep@example.com",
                "watch": ["cobots"],
                "aliases": ["Acme"],
            }
        ],
        reps=[{"email": "rep@example.com", "name": "Rep One"}],
    )
    export = tmp_path / "salesforce.csv"
    export.write_text(CSV_SALESFORCE)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "accounts", "import", str(export)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{export}:4: no account name" in out
    assert f"{export}:5: owner 'Nobody Known'" in out
    assert f"{export}:6: 'Bad Domain Inc': not a domain" in out
    assert f"{export}:7: account 'acme robotics' already on line 2" in out
    assert "2 good rows, 4 skipped; added 1, updated 1" in out
    accounts = yaml.safe_load((tmp_path / "config" / "accounts.yaml").read_text())["accounts"]
    acme, helix = accounts
    assert acme["watch"] == ["cobots"] and acme["aliases"] == ["Acme"]
    assert acme["domains"] == ["acme-robotics.example"] and acme["tickers"] == ["ACMR"]
    assert acme["industry"] == "manufacturing" and helix["owner"] == "rep@example.com"
    check = runner.invoke(main, ["--config", str(path), "check"])
    assert check.exit_code == 0, check.output

    hubspot = tmp_path / "hubspot.csv"
    hubspot.write_text(CSV_HUBSPOT)
    dry = runner.invoke(
        main, ["--config", str(path), "accounts", "import", str(hubspot), "--dry-run"]
    )
    assert "would add 1" in dry.output and "industry 'utilities' has no feed catalog" in dry.output
    assert "Solara" not in (tmp_path / "config" / "accounts.yaml").read_text()


def test_extract_prints_main_text_of_a_gzip_page(tmp_path: Path, data_dir: Path) -> None:
    bench = data_dir / "article_extraction_benchmark"
    truth = json.loads((bench / "ground-truth.json").read_text())
    page_id = sorted(truth)[1]
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(write_config(tmp_path)),
            "extract",
            str(bench / "html" / f"{page_id}.html.gz"),
        ],
    )
    assert result.exit_code == 0, result.output
    body = truth[page_id]["articleBody"]
    assert body.split("\n")[0][:60] in result.output
    missing = CliRunner().invoke(
        main, ["--config", str(write_config(tmp_path)), "extract", str(tmp_path / "nope.html")]
    )
    assert missing.exit_code == 1 and "cannot read" in missing.output
    plain = tmp_path / "page.html.gz"
    plain.write_bytes(gzip.compress(b"<html><body></body></html>"))
    empty = CliRunner().invoke(
        main, ["--config", str(write_config(tmp_path)), "extract", str(plain)]
    )
    assert empty.exit_code == 1 and "no main text" in empty.output


# --------------------------------------------------------------------------- storage failures


def _clipper(
    config: Path, *args: str, preexec: Callable[[], None] | None = None
) -> tuple[int, str]:
    """Run the ``clipper`` command in a child process; return its exit code and output."""
    result = run_clipper(config, *args, preexec=preexec)
    return result.returncode, result.stdout + result.stderr


def test_unusable_database_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    # a file where the database folder should be, then a folder where the database file
    # should be: the same failures as a read-only folder, without relying on who runs the tests
    path = write_config(tmp_path)  # database: ../var/clipper.db
    var = tmp_path / "var"
    var.write_text("not a folder")
    code, output = _clipper(path, "run", "--once")
    var.unlink()
    (var / "clipper.db").mkdir(parents=True)
    code2, output2 = _clipper(path, "fetch", "--once")
    assert code == 2, output
    assert "Traceback" not in output
    (line,) = output.strip().splitlines()
    assert line.startswith(f"error: cannot create the database folder {var}: "), line
    assert code2 == 2 and "Traceback" not in output2, output2
    assert f"error: database error while opening {var / 'clipper.db'}" in output2


def test_full_disk_during_a_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import resource
    import shutil

    from clipper.adapters.storage import Storage

    for folder in ("config", "feeds"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    storage = Storage(tmp_path / "var" / "clipper.db")
    storage.migrate()
    storage.close()

    def small_disk() -> None:  # writes past 50 kB fail as on a full disk (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    code, output = _clipper(
        tmp_path / "config" / "clipper.yaml", "fetch", "--once", preexec=small_disk
    )
    assert code == 2, output
    assert "Traceback" not in output
    (line,) = [line for line in output.splitlines() if line.strip()]
    assert line.startswith("error: database error while ") and "opening" not in line


# --------------------------------------------------------------------------- accounts import merges

ACCOUNTS_WITH_COMMENTS = """# Customer accounts, kept by hand. Do not lose this comment.
accounts:
  - name: Delta Air Lines   # the airline
    tickers: [DAL]
    industry: airlines
    owner: rep@example.com
    watch: ["fleet order"]
  - name: Helix Components
    domains: [helix.example]
    owner: rep@example.com
"""

CSV_DELTA = """Account Name,Website,Ticker Symbol,Industry,Account Owner Email
"Delta Air Lines, Inc.",delta.com,DAL,Transportation,rep@example.com
Helix Components Ltd,https://www.helix.example/,,Airlines,rep@example.com
Northwind,northwind.example,NWND,Airlines,rep@example.com
"""


def _import_setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    path = write_config(
        tmp_path,
        feeds={"airlines": []},
        reps=[{"email": "rep@example.com", "name": "Rep One"}],
    )
    accounts = tmp_path / "config" / "accounts.yaml"
    accounts.write_text(ACCOUNTS_WITH_COMMENTS)
    export = tmp_path / "crm.csv"
    export.write_text(CSV_DELTA)
    return path, accounts, export


def test_import_matches_existing_accounts_and_keeps_known_industries(tmp_path: Path) -> None:
    path, accounts, export = _import_setup(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(path), "accounts", "import", str(export)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(accounts.read_text())["accounts"]
    # "Delta Air Lines, Inc." with the same ticker is the existing account, not a second one
    assert [a["name"] for a in data] == ["Delta Air Lines", "Helix Components", "Northwind"]
    delta, helix, northwind = data
    # a known industry is never replaced by one without a catalog, and the report says so
    assert delta["industry"] == "airlines"
    assert "kept industry 'airlines'" in result.output and "'transportation'" in result.output
    assert delta["domains"] == ["delta.com"] and delta["watch"] == ["fleet order"]
    assert helix["industry"] == "airlines"  # matched by domain and by name without "Ltd"
    assert northwind["tickers"] == ["NWND"]
    assert "added 1, updated 2" in result.output
    # every row was applied, and nothing says otherwise
    said = [line for line in result.output.splitlines() if "good rows" not in line]
    assert len(said) == 3 and not [line for line in said if "skipped" in line]
    # comments, key order and quoting survive the round trip
    text = accounts.read_text()
    assert text.startswith("# Customer accounts, kept by hand. Do not lose this comment.\n")
    assert "  - name: Delta Air Lines   # the airline\n" in text
    assert 'watch: ["fleet order"]' in text
    assert "    tickers: [DAL]\n" in text
    check = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert check.exit_code == 0, check.output


def test_import_out_writes_the_whole_merged_file(tmp_path: Path) -> None:
    path, accounts, export = _import_setup(tmp_path)
    before = accounts.read_text()
    target = tmp_path / "merged.yaml"
    result = CliRunner().invoke(
        main, ["--config", str(path), "accounts", "import", str(export), "--out", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert accounts.read_text() == before  # the configured file is untouched
    names = [a["name"] for a in yaml.safe_load(target.read_text())["accounts"]]
    assert names == ["Delta Air Lines", "Helix Components", "Northwind"]
    assert target.read_text().startswith("# Customer accounts, kept by hand.")


def test_import_dry_run_reports_exactly_what_the_real_run_does(tmp_path: Path) -> None:
    path, accounts, export = _import_setup(tmp_path)
    before = accounts.read_text()
    runner = CliRunner()
    dry = runner.invoke(
        main, ["--config", str(path), "accounts", "import", str(export), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert accounts.read_text() == before
    real = runner.invoke(main, ["--config", str(path), "accounts", "import", str(export)])
    assert real.exit_code == 0, real.output

    def rows(output: str) -> list[str]:
        return [line for line in output.splitlines() if line.startswith(str(export))]

    assert rows(dry.output) == rows(real.output) and len(rows(real.output)) == 3
    assert "would add 1, would update 2" in dry.output and "added 1, updated 2" in real.output
    again = runner.invoke(main, ["--config", str(path), "accounts", "import", str(export)])
    assert "added 0, updated 0" in again.output and again.output.count("no change") == 3


def test_accounts_import_reads_contacts_and_reports_bad_ones_by_line(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        feeds={"manufacturing": []},
        accounts=[
            {
                "name": "Acme Robotics",
                "owner": "rep@example.com",
                "contacts": [{"name": "Jo Park", "email": "jo@acme.example", "title": "COO"}],
            }
        ],
        reps=[{"email": "rep@example.com", "name": "Rep One"}],
    )
    # a Salesforce contact export: the account's row repeats for each contact
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Account.Name,Account Owner Email,Contact.Name,Contact.Email,Contact.Title\n"
        "Acme Robotics,rep@example.com,JO PARK,jo@acme.example,COO\n"
        "Acme Robotics,rep@example.com,Ann Lee,Ann.Lee@acme.example,CFO\n"
        "Acme Robotics,rep@example.com,Bo Ray,bo at acme,CTO\n"
        "Helix Components,rep@example.com,,cy@helix.example,\n"
        "Helix Components,rep@example.com,Cy Tan,cy@helix.example,VP Supply\n"
        "Helix Components,rep@example.com,Di Wu,,\n"
    )
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(path), "accounts", "import", str(export)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{export}:4: 'Acme Robotics': contact 'Bo Ray': not an email address" in out
    assert f"{export}:5: 'Helix Components': a contact without a name" in out
    assert "contacts + Ann Lee" in out  # Jo Park is already known (same email, any case)
    accounts = yaml.safe_load((tmp_path / "config" / "accounts.yaml").read_text())["accounts"]
    acme, helix = accounts
    assert acme["contacts"] == [
        {"name": "Jo Park", "email": "jo@acme.example", "title": "COO"},
        {"name": "Ann Lee", "email": "ann.lee@acme.example", "title": "CFO"},
    ]
    assert helix["contacts"] == [
        {"name": "Cy Tan", "email": "cy@helix.example", "title": "VP Supply"},
        {"name": "Di Wu"},
    ]
    check = runner.invoke(main, ["--config", str(path), "check"])
    assert check.exit_code == 0, check.output

    # a HubSpot-style "Contacts" cell: several contacts, Name <email> (Title)
    hubspot = tmp_path / "hubspot.csv"
    hubspot.write_text(
        "Company name,Company owner email,Contacts\n"
        "Solara Energy,rep@example.com,Eve Stone <eve@solara.example> (CEO); Max Ode\n"
        "Northwind,rep@example.com,Kim <kim@northwind.example> (VP) (extra)\n"
    )
    result = runner.invoke(main, ["--config", str(path), "accounts", "import", str(hubspot)])
    assert result.exit_code == 0, result.output
    assert f"{hubspot}:3: 'Northwind': contact 'Kim <kim@northwind.example> (VP) (extra)'" in (
        result.output
    )
    accounts = yaml.safe_load((tmp_path / "config" / "accounts.yaml").read_text())["accounts"]
    solara = accounts[-1]
    assert solara["name"] == "Solara Energy"
    assert solara["contacts"] == [
        {"name": "Eve Stone", "email": "eve@solara.example", "title": "CEO"},
        {"name": "Max Ode"},
    ]
    check = runner.invoke(main, ["--config", str(path), "check"])
    assert check.exit_code == 0, check.output
