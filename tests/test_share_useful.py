""" "Customer found it useful": after a share, the digest item carries the button; a click (or
``/clip useful ACCOUNT``) marks the share once, whoever retries; a forged or another rep's
value is refused; ``/clip me`` and ``clipper report touches --rep`` count it. Over real HTTP
(waitress + Bolt), the Slack stand-in, real SQLite."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .feedserver import FeedServer
from .slackstub import SlackStub
from .support.cli import run_clipper
from .support.slack import button_click, note_state, share_submission, stub
from .test_slack_app import USERS, App, wait_for

__all__ = ["stub"]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return USERS


@pytest.fixture
def app(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Iterator[App]:
    running = App(tmp_path, server, stub).start()
    yield running
    running.stop()


def _run(app: App, text: str, user: str = "U1") -> str:
    body, rid = app.command(text, user)
    response = app.post(body)[0]
    assert response.status_code == 200
    if response.text:
        return response.text
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1), text
    return str(app.stub.responses[rid][0]["text"])


def _share(app: App) -> dict[str, Any]:
    """Sam shares the first item of his digest; return the digest message as it is after."""
    message = app.seed_digest()
    body, _rid = app.action(message, "share")
    assert app.post(body)[0].status_code == 200
    assert wait_for(lambda: len(app.stub.views) == 1)
    metadata = app.stub.views[0]["private_metadata"]
    assert app.post(share_submission("VSHARE1", metadata, note_state("Hi")))[0].status_code == 200
    assert wait_for(lambda: len(app.stub.updates) == 1)
    (shown,) = app.stub.posts("DU1")
    return copy.deepcopy(shown)


def _click_useful(
    app: App, message: dict[str, Any], *, user: str = "U1", value: str | None = None, ts: str = "1"
) -> str:
    """Click the message's "Customer found it useful" (with another ``value`` if given)."""
    block = next(b for b in message["blocks"] if str(b.get("block_id")).startswith("useful-"))
    clicked = {
        "action_id": "share_useful",
        "block_id": block["block_id"],
        "value": value if value is not None else block["elements"][0]["value"],
        "type": "button",
        "action_ts": f"1700000000.00000{ts}",
    }
    body, rid = button_click(app.stub, clicked, message=message, user=user)
    assert app.post(body)[0].status_code == 200
    return rid


def test_a_share_offers_the_button_and_a_click_marks_it_once(app: App) -> None:
    assert "no share of yours with *Acme Robotics* to mark useful yet" in _run(app, "useful acme")
    message = _share(app)
    shared = [b for b in message["blocks"] if "Shared with the customer by <@U1>" in json.dumps(b)]
    (note,) = shared
    after = message["blocks"][message["blocks"].index(note) + 1]
    assert after["block_id"].startswith("useful-") and after["type"] == "actions"
    assert after["elements"][0]["text"]["text"] == "Customer found it useful"

    _click_useful(app, message)
    assert wait_for(lambda: len(app.stub.updates) == 2)
    blocks = app.stub.updates[1]["blocks"]
    (done,) = [b for b in blocks if b["block_id"] == after["block_id"]]
    assert done["type"] == "context"
    assert done["elements"][0]["text"].startswith(":star: The customer found it useful")
    (mark,) = app.storage.useful_marks("sam@example.com")
    assert (mark.account, mark.marked_by) == ("Acme Robotics", "sam@example.com")

    # Slack's retry of the same click changes nothing; a second click says it was marked
    _click_useful(app, message)
    rid = _click_useful(app, message, ts="2")
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert (
        "was already marked useful (by sam@example.com on 23 Nov)"
        in (app.stub.responses[rid][0]["text"])
    )
    assert "already marked useful" in _run(app, "useful acme robotics")
    assert len(app.storage.useful_marks()) == 1 and len(app.stub.updates) == 2
    # the quarterly review pack flags it among the articles shared
    review = _run(app, "review acme")
    shared = review[review.index("*Shared*") :]
    assert "Acme Robotics opens plant number" in shared
    assert "_the customer found it useful_" in shared


def test_a_forged_or_foreign_value_is_refused(app: App) -> None:
    message = _share(app)
    # Dana neither shared it nor owns Acme Robotics
    rid = _click_useful(app, message, user="U2")
    assert wait_for(lambda: len(app.stub.responses[rid]) == 1)
    assert (
        "only the rep who shared it or the account's owner" in (app.stub.responses[rid][0]["text"])
    )
    for forged, said in (
        ('{"useful": 999}', "names no share Clipper logged"),
        ('{"useful": "1; DROP"}', "is not one Clipper made"),
        ("not json", "is not one Clipper made"),
    ):
        rid = _click_useful(app, message, value=forged, ts="3")
        assert wait_for(lambda rid=rid: len(app.stub.responses[rid]) == 1)  # type: ignore[misc]
        assert said in app.stub.responses[rid][0]["text"]
        time.sleep(0.05)
    assert app.storage.useful_marks() == ()
    assert "no account of yours is called *acme*" in _run(app, "useful acme", user="U2")


def test_clip_me_and_the_rep_report_count_shares_marked_useful(app: App) -> None:
    message = _share(app)
    me = _run(app, "me")
    assert "• Shares: 1 shared, 0 marked useful this quarter (1 shared, 0 marked useful in 12" in me
    _click_useful(app, message)
    assert wait_for(lambda: len(app.stub.updates) == 2)
    me = _run(app, "me")
    assert (
        "• Shares: 1 shared, 1 marked useful this quarter (1 shared, 1 marked useful in 12 "
        "months, to 1 account); 0 other touches logged"
    ) in me
    result = run_clipper(
        app.path,
        *("report", "touches", "--rep", "sam@example.com", "--quarter", "2026Q4"),
        *("--format", "json"),
        env=app.environ,
    )
    assert result.returncode == 0, result.stderr
    shares = json.loads(result.stdout)["shares"]
    assert (shares["shared_quarter"], shares["useful_quarter"]) == (1, 1)
    assert shares["useful_12_months"] == 1
