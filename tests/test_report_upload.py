"""``/clip report`` uploads the team chart to Slack (``files_upload_v2`` against the stand-in's
files.getUploadURLExternal, upload URL and files.completeUploadExternal), through signed
``BoltRequest``s on real SQLite: the same PNG ``clipper report touches --format png`` draws,
where the command was run, else in the manager's DM; a failed upload still answers, saying why.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from clipper.adapters.chart_mpl import NUMBERS_KEY

from .conftest import write_config
from .slackstub import ALL_SCOPES, PNG_MAGIC, Fault, SlackStub
from .support.cli import run_clipper
from .support.slack import BoltApp, slack_clipper

SECRET = "upload-secret"
REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "max@example.com", "name": "Max", "role": "manager"},
]
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Initech", "owner": "sam@example.com"},
]
USERS = {"sam@example.com": "U1", "max@example.com": "U3"}


class Bolt(BoltApp):
    """A Clipper (on the real clock, as the CLI runs) and its Bolt app, driven by dispatch."""

    def __init__(self, tmp_path: Path, stub: SlackStub) -> None:
        self.config_path = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
        super().__init__(slack_clipper(self.config_path, stub, SECRET, None), stub, SECRET)

    def answer(self, rid: str, timeout: float = 60.0) -> str:
        return super().answer(rid, timeout)


def _bolt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **stub_args: object) -> Iterator[Bolt]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with SlackStub(dict(USERS), **stub_args) as stub:  # type: ignore[arg-type]
        running = Bolt(tmp_path, stub)
        yield running
        running.close()


@pytest.fixture
def bolt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bolt]:
    yield from _bolt(tmp_path, monkeypatch)


@pytest.fixture
def scopeless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bolt]:
    """The app installed before ``files:write`` was in its manifest."""
    yield from _bolt(tmp_path, monkeypatch, scopes=ALL_SCOPES - {"files:write"})


def _png_text(data: bytes) -> dict[str, str]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (1600, 800)
        return dict(image.text)  # type: ignore[attr-defined]


def test_a_manager_s_report_carries_the_cli_s_chart_into_the_conversation(
    bolt: Bolt, tmp_path: Path
) -> None:
    response, rid = bolt.clip("report", user="U3")
    assert (response.status, response.body) == (200, "")  # drawing waits for the work queue
    text = bolt.answer(rid)
    assert text.startswith("*Touch coverage this quarter*: 0 of 2 accounts on target")
    assert text.endswith("is attached below._")
    (shared,) = bolt.stub.shared_files("DU3")
    assert shared["data"].startswith(PNG_MAGIC)
    assert shared["length"] == len(shared["data"])
    assert shared["filename"].startswith("touch-coverage-") and shared["filename"] in text
    assert shared["title"].startswith("Touch coverage ")
    assert "Sam 0 of" in shared["alt_txt"]

    target = tmp_path / "chart.png"
    result = run_clipper(
        bolt.config_path, "report", "touches", "--format", "png", "--out", str(target)
    )
    assert result.returncode == 0, result.stderr
    cli, uploaded = _png_text(target.read_bytes()), _png_text(shared["data"])
    assert json.loads(uploaded[NUMBERS_KEY]) == json.loads(cli[NUMBERS_KEY])
    assert uploaded["Title"] == cli["Title"]
    # the upload's three steps, in order, and the report answered once
    methods = [c.method for c in bolt.stub.calls if c.method != "response_url"]
    assert methods[-3:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_a_channel_the_bot_is_not_in_sends_the_chart_to_the_manager_s_dm(bolt: Bolt) -> None:
    bolt.stub.other_channels.add("C42")
    _response, rid = bolt.clip("report", user="U3", channel="C42")
    text = bolt.answer(rid)
    assert text.startswith("*Touch coverage this quarter*")
    assert "Clipper cannot post in this conversation, so the chart" in text
    assert "went to your DM with Clipper" in text
    assert bolt.stub.shared_files("C42") == []
    (shared,) = bolt.stub.shared_files("DU3")
    assert shared["data"].startswith(PNG_MAGIC)

    # and when the DM cannot be opened either, the text still comes, saying both
    bolt.stub.faults.append(Fault("conversations.open", error="user_disabled", always=True))
    _response, rid = bolt.clip("report", user="U3", channel="C42")
    assert bolt.answer(rid).endswith(
        ":warning: The chart could not be attached: Clipper cannot post in this conversation, "
        "nor in your DM with it (Slack said user_disabled)."
    )
    bolt.stub.faults.clear()

    bolt.stub.member_channels.add("C7")  # a channel the bot is in gets the chart itself
    _response, rid = bolt.clip("report", user="U3", channel="C7")
    assert bolt.answer(rid).endswith("is attached below._")
    assert len(bolt.stub.shared_files("C7")) == 1


def test_a_failed_upload_still_answers_and_says_why(bolt: Bolt) -> None:
    bolt.stub.faults.append(Fault("upload", action="500", always=True))
    _response, rid = bolt.clip("report", user="U3")
    text = bolt.answer(rid)
    assert text.startswith("*Touch coverage this quarter*: 0 of 2 accounts on target")
    assert text.endswith(
        ":warning: The chart could not be attached: the upload was refused: HTTP 500."
    )
    assert bolt.stub.shared_files() == []

    bolt.stub.faults[:] = [Fault("files.completeUploadExternal", error="internal_error", nth=1)]
    _response, rid = bolt.clip("report", user="U3")
    assert bolt.answer(rid).endswith(
        ":warning: The chart could not be attached: Slack said internal_error."
    )


def test_without_files_write_the_answer_names_the_missing_scope(scopeless: Bolt) -> None:
    _response, rid = scopeless.clip("report", user="U3")
    text = scopeless.answer(rid)
    assert text.startswith("*Touch coverage this quarter*")
    assert text.endswith(
        ":warning: The chart could not be attached: the Slack app lacks the files:write scope; "
        "an admin adds it and reinstalls the app."
    )


def test_a_rep_who_is_not_a_manager_gets_no_chart(bolt: Bolt) -> None:
    _response, rid = bolt.clip("report", user="U1")
    assert (
        bolt.answer(rid).split("\n")[0]
        == "The team report is for managers; `/clip accounts` shows yours."
    )
    assert bolt.stub.count("files.getUploadURLExternal") == 0
    assert bolt.stub.shared_files() == []


def test_the_stand_in_checks_uploads_as_slack_does(bolt: Bolt) -> None:
    client = WebClient(token="xoxb-test", base_url=bolt.stub.base_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as refused:
        client.files_getUploadURLExternal(filename="", length=10)
    assert refused.value.response["error"] == "invalid_arguments"
    # bytes that are not a PNG, under a .png name: the upload URL refuses them
    with pytest.raises(OSError, match="400"):
        client.files_upload_v2(channel="DU3", content=b"GIF89a....", filename="chart.png")
    # a conversation nobody knows
    with pytest.raises(SlackApiError) as unknown:
        client.files_upload_v2(channel="C404", content=PNG_MAGIC + b"x", filename="chart.png")
    assert unknown.value.response["error"] == "channel_not_found"
    done = client.files_upload_v2(channel="DU1", content=PNG_MAGIC + b"x", filename="c.png")
    assert done["file"]["name"] == "c.png"
    assert [f["channels"] for f in bolt.stub.shared_files()] == [["DU1"]]
