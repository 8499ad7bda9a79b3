"""Configuration: every problem located by file, line and key; bad entries skipped, not fatal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipper.cli import main
from clipper.config import expand_template, load_config, parse_duration
from clipper.exceptions import ConfigError

from .conftest import REPO, write_config


def test_bundled_example_configuration_is_valid() -> None:
    config = load_config(REPO / "config" / "clipper.yaml", {})
    assert config.problems == ()
    assert {c.industry for c in config.catalogs} >= {"logistics", "manufacturing", "energy"}
    assert all(f.url.startswith("file:///") for f in config.feed_sources())
    result = CliRunner().invoke(main, ["--config", str(REPO / "config" / "clipper.yaml"), "check"])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output


def test_typo_in_settings_is_an_error_with_line_and_allowed_keys(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text() + "fetch_:\n  concurrency: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    (problem,) = info.value.problems
    line = path.read_text().splitlines().index("fetch_:") + 1
    assert problem.startswith(f"{path}:{line}: fetch_: unknown key")
    assert "fetch" in problem  # the allowed keys are listed


def test_bad_values_name_their_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"fetch": {"read_timeout": "soon", "concurrency": 0}})
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    text = "\n".join(info.value.problems)
    assert "fetch.read_timeout: Value error, expected a duration" in text
    assert "fetch.concurrency: Input should be greater than or equal to 1" in text


def test_bad_entries_are_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        feeds={
            "retail": [
                {"url": "http://a.example/rss", "name": "A"},
                {"url": "http://b.example/rss", "name": "B", "intervall": "1h"},
                {"url": "ftp://c.example/rss", "name": "C"},
            ]
        },
        accounts=[
            {"name": "Target", "owner": "rep@example.com", "industry": "retail"},
            {"name": "Shell", "owner": "nobody@example.com", "industry": "energy"},
            {"name": "target", "owner": "rep@example.com"},
            {"name": "", "owner": "rep@example.com"},
            {"name": "Gap", "owner": "rep@example.com", "watch": ["denim AND"]},
        ],
        reps=[
            {"email": "rep@example.com", "timezone": "Europe/Berlin"},
            {"email": "x@example.com", "timezone": "Mars/Olympus", "digest": {"time": "25:00"}},
        ],
    )
    broken = tmp_path / "feeds" / "broken.yaml"
    broken.write_text("industry: broken\nfeeds:\n  - url: http://x.example\n    name: [unclosed\n")
    config = load_config(path, {})
    problems = "\n".join(config.problems)
    feeds_file = tmp_path / "feeds" / "retail.yaml"
    assert [f.name for f in config.feed_sources()] == ["A"]
    assert f"{feeds_file}:" in problems and "feeds[1].intervall: unknown key" in problems
    assert "feeds[2].url: Value error, feed URLs must be http(s)://" in problems
    assert f"{broken}:4: YAML syntax error" in problems
    assert "owner: nobody@example.com is not in the reps file" in problems
    assert "industry: 'energy' has no catalog" in problems
    assert "duplicate account 'target'" in problems
    assert "accounts[3].name: String should have at least 1 character" in problems
    assert "accounts[4].watch: Value error, watch term 'denim AND'" in problems
    assert "reps[1].timezone: Value error, unknown IANA time zone 'Mars/Olympus'" in problems
    assert "reps[1].digest.time: Value error, expected a time of day" in problems
    assert [a.name for a in config.accounts] == ["Target", "Shell"]
    # every problem is located as file:line
    assert all(p.split(":", 2)[1].isdigit() for p in config.problems if p.startswith("/"))

    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 1
    assert "problems found" in result.output


def test_duplicate_yaml_keys_are_reported(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "config" / "reps.yaml").write_text(
        "reps:\n  - email: a@example.com\n    email: b@example.com\n"
    )
    config = load_config(path, {})
    assert any("reps.yaml:3: reps[0].email: duplicate key" in p for p in config.problems)


def test_environment_supplies_secrets_and_base_url(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    config = load_config(
        path,
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
        },
    )
    assert config.slack_bot_token == "xoxb-1"
    assert config.slack_api_base_url == "http://127.0.0.1:9/api/"


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = CliRunner().invoke(main, ["check"], env={"CLIPPER_CONFIG": str(path)})
    assert result.exit_code == 0 and str(path) in result.output
    missing = CliRunner().invoke(main, ["check"], env={"CLIPPER_CONFIG": str(tmp_path / "no")})
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_durations_and_account_feed_templates(tmp_path: Path) -> None:
    assert parse_duration("90s") == 90 and parse_duration("2h") == 7200
    assert parse_duration(15) == 15
    with pytest.raises(ValueError):
        parse_duration("-1")
    path = write_config(
        tmp_path,
        accounts=[{"name": "Procter & Gamble", "aliases": ["P&G"], "owner": "rep@example.com"}],
        settings={
            "account_feeds": [{"url": "https://news.example/rss?q={query}", "name": "News: {name}"}]
        },
    )
    config = load_config(path, {})
    (source,) = config.feed_sources()
    assert source.url == "https://news.example/rss?q=%22Procter+%26+Gamble%22+OR+%22P%26G%22"
    assert source.name == "News: Procter & Gamble" and source.account == "Procter & Gamble"
    assert expand_template("x/{name}", config.accounts[0]) == "x/Procter+%26+Gamble"


# --------------------------------------------------------------------------- YAML alias bombs

BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


#: the child reports its own peak memory (VmHWM belongs to the program it runs, unlike
#: ru_maxrss, which also counts the test process it was forked from)
_REPORT_PEAK = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('peak-kib ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['clipper', *sys.argv[1:]]\n"
    "runpy.run_module('clipper', run_name='__main__')\n"
)


def _run_check(path: Path) -> tuple[int, str, int]:
    """Run ``clipper check`` in a child process; return its exit code, output and peak RSS (KiB)."""
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_PEAK, "--config", str(path), "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    output = result.stdout + result.stderr
    peaks = [int(line.split()[1]) for line in output.splitlines() if line.startswith("peak-kib ")]
    shown = "\n".join(line for line in output.splitlines() if not line.startswith("peak-kib "))
    return result.returncode, shown, peaks[-1]


def test_billion_laughs_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:5: YAML alias *d: too many aliases") and "\n" not in problem
    # the same through the command, in a child process: fast, small, one line, exit 2
    code, output, peak_kib = _run_check(path)
    assert code == 2, output
    assert f"{path}:" in output and "alias" in output and "Traceback" not in output
    assert peak_kib < 600 * 1024  # the bomb took 1.24 GB


def test_bomb_in_an_accounts_file_skips_that_file_only(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    accounts = tmp_path / "config" / "accounts.yaml"
    accounts.write_text(BILLION_LAUGHS + "accounts: []\n")
    config = load_config(path, {})
    assert any(p.startswith(f"{accounts}:") and "alias" in p for p in config.problems)


def test_recursive_anchor_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text("feeds_dir: ../feeds\nloop: &loop\n  - x\n  - *loop\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:4:") and "recursive" in problem
    code, output, _peak = _run_check(path)
    assert code == 2 and f"{path}:4:" in output and "Traceback" not in output, output


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(
        "timeouts: &t {connect_timeout: 3s, read_timeout: 3s}\n"
        "fetch:\n  <<: *t\n  total_timeout: 9s\n"
    )
    with pytest.raises(ConfigError) as info:  # 'timeouts' is not a setting, the alias is fine
        load_config(path, {})
    assert all("YAML alias" not in p for p in info.value.problems)
    path.write_text("fetch: &f\n  connect_timeout: 3s\n")
    assert load_config(path, {}).settings.fetch.connect_timeout == 3


# --------------------------------------------------------------------------- one typo, named once


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_one_bad_rep_is_named_once_and_their_accounts_point_to_it(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        accounts=[
            {"name": "Acme", "owner": "ana@example.com"},
            {"name": "Helix", "owner": "ana@example.com"},
            {"name": "Solara", "owner": "bo@example.com"},
            {"name": "Target", "owner": "rep@example.com"},
        ],
        reps=[
            {"email": "ana@example.com", "timezone": "Europe/Berln"},
            {"email": "bo@example.com", "quiet_hour": "20:00-07:00"},
            {"email": "rep@example.com"},
        ],
    )
    reps = tmp_path / "config" / "reps.yaml"
    zone_line = _line_of(reps, "Europe/Berln")
    key_line = _line_of(reps, "quiet_hour")
    config = load_config(path, {})
    assert [r.email for r in config.reps] == ["rep@example.com"]
    assert [a.name for a in config.accounts] == ["Acme", "Helix", "Solara", "Target"]
    zone = [p for p in config.problems if "Europe/Berln" in p]
    assert len(zone) == 1 and zone[0].startswith(f"{reps}:{zone_line}: reps[0].timezone")
    (typo,) = [p for p in config.problems if "quiet_hour" in p and p.startswith(str(reps))]
    assert typo.startswith(f"{reps}:{key_line}: reps[1].quiet_hour: unknown key")
    assert "did you mean 'quiet_hours'?" in typo
    assert not any("is not in the reps file" in p for p in config.problems)
    owners = [p for p in config.problems if "was skipped" in p]
    assert len(owners) == 3
    assert any(
        "Acme: owner: ana@example.com was skipped: see " + f"{reps}:{zone_line}" in p
        for p in owners
    )
    assert any(
        f"Solara: owner: bo@example.com was skipped: see {reps}:{key_line}" in p for p in owners
    )
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 1
    assert "did you mean 'quiet_hours'?" in result.output
    assert "is not in the reps file" not in result.output


def test_did_you_mean_for_nested_and_top_level_keys(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        accounts=[{"name": "Acme", "owner": "rep@example.com", "contacts": [{"nmae": "Jo"}]}],
        reps=[{"email": "rep@example.com", "digest": {"tiem": "08:00"}}],
        settings={"fetch": {"concurency": 3}},
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    text = "\n".join(info.value.problems)
    assert "fetch.concurency: unknown key; did you mean 'concurrency'?" in text
    # check goes on past the settings error and reports the other files too
    assert "reps[0].digest.tiem: unknown key; did you mean 'time'?" in text
    assert "accounts[0].contacts[0].nmae: unknown key; did you mean 'name'?" in text


def test_check_reports_every_file_even_after_a_settings_error(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        reps=[{"email": "rep@example.com", "timezone": "Europe/Berln"}],
        settings={"fetch": {"concurrency": 0}},
    )
    accounts = tmp_path / "config" / "accounts.yaml"
    accounts.write_text("accounts:\n  - name: Acme\n    owner: [rep@example.com\n")
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 2, result.output
    assert "fetch.concurrency: Input should be greater than or equal to 1" in result.output
    assert "Europe/Berln" in result.output
    assert f"{accounts}:3: YAML syntax error" in result.output


def test_broken_accounts_file_makes_run_once_and_check_fail(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    accounts = tmp_path / "config" / "accounts.yaml"
    accounts.write_text("accounts:\n  - name: Acme\n    owner: [rep@example.com\n")
    runner = CliRunner()
    check = runner.invoke(main, ["--config", str(path), "check"])
    assert check.exit_code == 1 and f"{accounts}:3: YAML syntax error" in check.output
    run = runner.invoke(main, ["--config", str(path), "run", "--once"])
    assert run.exit_code == 1, run.output
    assert f"{accounts}:3: YAML syntax error" in run.output
    assert "1 configuration problem" in run.output


def test_an_accounts_file_without_accounts_is_a_warning(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[])
    accounts = tmp_path / "config" / "accounts.yaml"
    config = load_config(path, {})
    assert config.problems == ()
    (warning,) = config.warnings
    assert warning.startswith(f"{accounts}:1: no accounts")
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 0
    assert "no accounts" in result.output and "warning" in result.output


def test_contacts_take_title_or_role_and_a_bad_contact_is_located(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        accounts=[
            {
                "name": "Acme",
                "owner": "rep@example.com",
                "contacts": [
                    {"name": "Jo Park", "email": "jo@acme.example", "title": "VP Operations"},
                    {"name": "Ann Lee", "role": "CFO"},
                ],
            },
            {
                "name": "Helix",
                "owner": "rep@example.com",
                "contacts": [{"name": "Bo Ray", "email": "bo at helix"}],
            },
            {
                "name": "Solara",
                "owner": "rep@example.com",
                "contacts": [{"name": "Cy", "title": "CEO", "role": "CEO"}],
            },
        ],
        reps=[{"email": "rep@example.com"}],
    )
    config = load_config(path, {})
    acme = next(a for a in config.accounts if a.name == "Acme")
    assert [(c.name, c.title) for c in acme.contacts] == [
        ("Jo Park", "VP Operations"),
        ("Ann Lee", "CFO"),
    ]
    problems = "\n".join(config.problems)
    assert "accounts[1].contacts[0].email: Value error, email must be an email address" in problems
    assert "'bo at helix'" in problems
    assert "accounts[2].contacts[0]: Value error, give title or role" in problems
    accounts_file = tmp_path / "config" / "accounts.yaml"
    located = [p for p in config.problems if "contacts" in p]
    assert len(located) == 2 and all(p.startswith(f"{accounts_file}:") for p in located)
    assert all(p.split(":", 2)[1].isdigit() for p in located)
    assert [a.name for a in config.accounts] == ["Acme"]
