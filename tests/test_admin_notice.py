"""A long-running `clipper run` tells the admin once what configuration it skipped: real
`clipper run` processes, the Slack stand-in on a real socket, real files."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from clipper.logic.admin import compose_problem_notice

from .conftest import write_config
from .slackstub import Fault, SlackStub, validate_blocks
from .support.cli import log_of_running, wait_on_log
from .support.health import passes

ADMIN = {"email": "ada@example.com", "role": "admin"}
TYPO = {"email": "bo@example.com", "timezone": "Europe/Berln"}
USERS = {"ada@example.com": "UADA", "bo@example.com": "UBO", "cy@example.com": "UCY"}


def config_with(root: Path, reps: list[dict[str, str]]) -> Path:
    return write_config(
        root,
        accounts=[{"name": "Acme Robotics", "owner": "cy@example.com"}],
        reps=[*reps, {"email": "cy@example.com"}],
        settings={"fetch": {"tick": "1s"}},
    )


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def slack_env(stub: SlackStub) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}


def test_the_admin_gets_one_dm_naming_the_reps_file_line_and_the_bad_zone(tmp_path: Path) -> None:
    config = config_with(tmp_path, [ADMIN, TYPO])
    zone_line = line_of(tmp_path / "config" / "reps.yaml", "Europe/Berln")
    with (
        SlackStub(USERS) as stub,
        log_of_running(config, tmp_path / "run.log", slack_env(stub)) as read,
    ):
        wait_on_log(lambda: bool(stub.posts("DUADA")), "DM to the admin", read)
        wait_on_log(lambda: passes(read()) >= 3, "three fetch-and-match passes", read)
        (dm,) = stub.posts("DUADA")
        assert stub.posts("DUBO") == [] and stub.posts("DUCY") == []
    shown = dm["text"] + "".join(b["text"]["text"] for b in dm["blocks"])
    assert f"reps.yaml:{zone_line}:" in shown and "Europe/Berln" in shown
    assert validate_blocks(dm["blocks"]) == (None, [])
    log = read_log(tmp_path / "run.log")
    assert log.count("told ada@example.com on Slack") == 1
    assert not list((tmp_path / "var" / "digests").glob("admin/*.md"))


def read_log(path: Path) -> str:
    return path.read_text()


def test_a_config_without_problems_tells_nobody(tmp_path: Path) -> None:
    config = config_with(tmp_path, [ADMIN])
    with (
        SlackStub(USERS) as stub,
        log_of_running(config, tmp_path / "run.log", slack_env(stub)) as read,
    ):
        wait_on_log(lambda: passes(read()) >= 2, "two fetch-and-match passes", read)
        assert stub.count("chat.postMessage") == 0 and stub.count("conversations.open") == 0
    assert "configuration" not in read_log(tmp_path / "run.log")
    assert not (tmp_path / "var" / "digests" / "admin").exists()


def test_a_slack_error_is_one_line_and_the_run_goes_on_with_the_list_in_a_file(
    tmp_path: Path,
) -> None:
    config = config_with(tmp_path, [ADMIN, TYPO])
    with (
        SlackStub(USERS) as stub,
        log_of_running(config, tmp_path / "run.log", slack_env(stub)) as read,
    ):
        stub.faults.append(Fault("chat.postMessage", action="error", always=True))
        wait_on_log(lambda: passes(read()) >= 2, "two fetch-and-match passes", read)
    log = read_log(tmp_path / "run.log")
    (failure,) = [line for line in log.splitlines() if "could not tell the admin" in line]
    assert "ada@example.com" in failure and "Traceback" not in log
    (listed,) = (tmp_path / "var" / "digests" / "admin").glob("config-problems-*.md")
    assert "Europe/Berln" in listed.read_text()


def test_without_an_admin_one_line_says_nobody_was_told(tmp_path: Path) -> None:
    config = config_with(tmp_path, [TYPO])
    with (
        SlackStub(USERS) as stub,
        log_of_running(config, tmp_path / "run.log", slack_env(stub)) as read,
    ):
        wait_on_log(lambda: passes(read()) >= 2, "two fetch-and-match passes", read)
        assert stub.count("chat.postMessage") == 0
    log = read_log(tmp_path / "run.log")
    assert log.count("nobody was told") == 1


def test_terminal_mode_writes_the_list_beside_the_digests_and_says_where_once(
    tmp_path: Path,
) -> None:
    config = config_with(tmp_path, [ADMIN, TYPO])
    reps = tmp_path / "config" / "reps.yaml"
    zone_line = line_of(reps, "Europe/Berln")
    folder = tmp_path / "var" / "digests" / "admin"
    with log_of_running(config, tmp_path / "run.log") as read:
        wait_on_log(lambda: passes(read()) >= 2, "two fetch-and-match passes", read)
    (listed,) = folder.glob("config-problems-*.md")
    text = listed.read_text()
    assert f"{reps}:{zone_line}: reps[1].timezone" in text and "Europe/Berln" in text
    assert read_log(tmp_path / "run.log").count(str(listed)) == 1


def test_serve_tells_the_admin_once_at_start(tmp_path: Path) -> None:
    config = config_with(tmp_path, [ADMIN, TYPO])
    with SlackStub(USERS) as stub:
        env = {**slack_env(stub), "SLACK_SIGNING_SECRET": "s3cret"}
        with log_of_running(config, tmp_path / "serve.log", env, ("serve", "--port", "0")) as read:
            wait_on_log(lambda: "Slack app listening" in read(), "Slack app", read)
            wait_on_log(lambda: bool(stub.posts("DUADA")), "DM to the admin", read)
            time.sleep(1.0)
            (dm,) = stub.posts("DUADA")
            assert stub.count("chat.postMessage") == 1
    assert "Europe/Berln" in dm["text"] + "".join(b["text"]["text"] for b in dm["blocks"])


def test_the_notice_redacts_feed_secrets_and_caps_the_list() -> None:
    problems = [
        f"/cfg/feeds/x.yaml:{n}: feeds[{n}].intervall: unknown key "
        f"(feed https://user:hunter2@news.example/feed?token=abc{n})"
        for n in range(25)
    ]
    notice = compose_problem_notice(
        problems, "/cfg/clipper.yaml", datetime(2026, 11, 30, tzinfo=UTC)
    )
    shown = notice.text + notice.markdown + "".join(b["text"]["text"] for b in notice.blocks)
    assert "hunter2" not in shown and "abc1" not in shown
    assert len(notice.listed) == 20 and notice.more == 5
    assert "and 5 more — run `clipper check`" in notice.markdown
    assert validate_blocks(list(notice.blocks)) == (None, [])
