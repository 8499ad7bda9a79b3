"""What a configuration reload would do, judged before anything is swapped in: a bad edit is
refused with file and line, and settings that only a restart applies are named."""

from __future__ import annotations

from pathlib import Path

import yaml

from clipper.config import load_config
from clipper.config.reload import check_reload, fingerprint, watched_files

from .conftest import write_config

ACME = {"name": "Acme Robotics", "owner": "rep@example.com"}


def edit_settings(path: Path, **changes: dict[str, object]) -> None:
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value}
    path.write_text(yaml.safe_dump(data))


def test_a_new_account_is_taken_and_a_listen_port_change_needs_a_restart(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[ACME])
    running = load_config(path, {})
    before = fingerprint(watched_files(running))
    globex = {"name": "Globex Corporation", "owner": "rep@example.com"}
    (tmp_path / "config" / "accounts.yaml").write_text(yaml.safe_dump({"accounts": [ACME, globex]}))
    edit_settings(path, slack={"port": 3999}, matching={"account_threshold": 0.6})
    assert fingerprint(watched_files(running)) != before
    found = check_reload(running, {})
    assert found.config is not None and found.problems == ()
    assert [a.name for a in found.config.accounts] == ["Acme Robotics", "Globex Corporation"]
    # the threshold is applied by the reload; the port only by a restart
    assert found.restart == ("slack.port",)
    assert found.changed


def test_an_unchanged_configuration_reloads_as_unchanged(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[ACME])
    found = check_reload(load_config(path, {}), {})
    assert found.config is not None and not found.changed and found.restart == ()


def test_a_new_problem_refuses_the_reload_naming_file_and_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[ACME])
    running = load_config(path, {})
    accounts = tmp_path / "config" / "accounts.yaml"
    accounts.write_text("accounts:\n  - name: Acme Robotics\n    owner: nobody@example.com\n")
    found = check_reload(running, {})
    assert found.config is None
    assert len(found.problems) == 1 and found.problems[0].startswith(f"{accounts}:2:")
    assert "nobody@example.com" in found.problems[0]


def test_an_invalid_settings_file_refuses_the_reload(tmp_path: Path) -> None:
    path = write_config(tmp_path, accounts=[ACME])
    running = load_config(path, {})
    edit_settings(path, fetch={"tick": "soon"})
    found = check_reload(running, {})
    assert found.config is None
    assert any(p.startswith(f"{path}:") and "fetch.tick" in p for p in found.problems), found
