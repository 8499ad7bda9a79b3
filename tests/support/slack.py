"""The Slack stand-in fixture, signed-request builders and ``BoltApp`` (a Clipper's Bolt app
driven by ``dispatch`` alone), shared by the Slack tests.

A module that uses ``stub`` imports it (``from .support.slack import stub``) and defines a
``slack_users`` fixture: the email -> Slack user id directory the stand-in serves. Contains no
assertions about what Clipper answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from clipper.config import load_config
from clipper.core import Clipper
from clipper.slackapp import WorkQueue, make_slack_app
from clipper.wiring import make_clipper

from ..conftest import Clock
from ..slackstub import SlackStub

#: the team most Slack tests use: Sam and Dana (reps) and Max (their manager)
TEAM_REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "dana@example.com", "name": "Dana"},
    {"email": "max@example.com", "name": "Max", "role": "manager"},
]
#: their Slack user ids, as the stand-in serves them (email -> user id)
TEAM_USERS = {"sam@example.com": "U1", "dana@example.com": "U2", "max@example.com": "U3"}


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch, slack_users: dict[str, str]) -> Iterator[SlackStub]:
    """A running Slack stand-in serving ``slack_users`` (a fresh copy per test)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with SlackStub(dict(slack_users)) as running:
        yield running


def sign(body: str, secret: str, timestamp: str) -> str:
    """Slack's v0 signature of a raw body."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str,
    secret: str,
    *,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """Headers Slack would send with ``body``: content type, timestamp (now) and signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(body, secret, ts),
    }


def clip_body(text: str, *, user: str, response_url: str, trigger_id: str) -> str:
    """The form body of a ``/clip`` slash command as Slack posts it."""
    return urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "team_domain": "t",
            "channel_id": "D" + user,
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": "u",
            "command": "/clip",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def button_click(
    stub: SlackStub,
    action: dict[str, Any],
    *,
    message: dict[str, Any] | None = None,
    user: str = "U1",
    channel: str = "DU1",
    trigger_age: float = 0.0,
) -> tuple[str, str]:
    """The form body Slack posts when ``user`` clicks a button (``block_actions``), and its
    response_url id. ``action`` is the action as Slack reports it (action_id, block_id, value,
    type, action_ts); ``message`` the message it sits in, in ``channel`` (None: a click that
    names none); the trigger_id is ``trigger_age`` seconds old."""
    url = stub.response_url()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": stub.trigger(trigger_age),
        "response_url": url,
    }
    if message is not None:
        thread = {"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {}
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
            "is_ephemeral": False,
            **thread,
        }
        payload["channel"] = {"id": channel}
        payload["message"] = {
            k: message[k] for k in ("ts", "text", "blocks", "thread_ts") if k in message
        }
    payload["actions"] = [action]
    return "payload=" + quote(json.dumps(payload)), url.rsplit("/", 1)[-1]


def note_state(note: str, block_id: str = "note") -> dict[str, Any]:
    """A share window's state with ``note`` typed into its note box (``block_id``)."""
    return {"values": {block_id: {"note": {"type": "plain_text_input", "value": note}}}}


def share_submission(view_id: str, metadata: str, state: Any = None, *, user: str = "U1") -> str:
    """The form body Slack posts when ``user`` submits the share window ``view_id`` with its
    ``private_metadata`` and ``state`` (None: a submission without one)."""
    view: dict[str, Any] = {
        "id": view_id,
        "type": "modal",
        "callback_id": "share_modal",
        "private_metadata": metadata,
    }
    if state is not None:
        view["state"] = state
    submission = {
        "type": "view_submission",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "view": view,
    }
    return "payload=" + quote(json.dumps(submission))


def slack_environ(stub: SlackStub, secret: str) -> dict[str, str]:
    """The environment of a Clipper whose Slack is the stand-in: bot token, signing secret,
    API base URL."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_BASE_URL": stub.base_url,
    }


def slack_clipper(config: Path, stub: SlackStub, secret: str, clock: Clock | None) -> Clipper:
    """The Clipper of the config file ``config`` talking to the stand-in (on ``clock``; None:
    the real clock, as the CLI runs)."""
    return make_clipper(load_config(config, slack_environ(stub, secret)), _clock=clock)


class BoltApp:
    """``clipper``'s Bolt app and work queue (2 threads, 8 waiting) on the stand-in, driven by
    ``dispatch`` alone: no HTTP server, no token check. Closing it closes the Clipper too."""

    def __init__(self, clipper: Clipper, stub: SlackStub, secret: str) -> None:
        self.clipper = clipper
        self.stub = stub
        self.secret = secret
        self.work = WorkQueue(2, 8)
        client = WebClient(token="xoxb-test", base_url=stub.base_url, retry_handlers=[])
        self.app: App = make_slack_app(
            clipper, client=client, token_verification=False, work=self.work
        )

    def close(self) -> None:
        self.work.shutdown()
        self.clipper.close()

    def dispatch(self, body: str, *, secret: str | None = None) -> BoltResponse:
        """Dispatch ``body`` signed with ``secret`` (the app's own by default)."""
        headers = signed_headers(body, self.secret if secret is None else secret)
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def clip(
        self, text: str, user: str = "U1", channel: str | None = None
    ) -> tuple[BoltResponse, str]:
        """Dispatch ``/clip text`` (from the user's DM with the bot unless ``channel``); return
        the acknowledgement and the response_url id."""
        url = self.stub.response_url()
        body = clip_body(text, user=user, response_url=url, trigger_id=self.stub.trigger())
        if channel is not None:
            body = body.replace(f"channel_id=D{user}", f"channel_id={channel}")
        return self.dispatch(body), url.rsplit("/", 1)[-1]

    def responses(self, rid: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """What was posted to the response_url ``rid`` once ``count`` posts arrived, or when
        ``timeout`` seconds passed (fewer then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.stub.responses[rid]) < count:
            time.sleep(0.02)
        return self.stub.responses[rid]

    def answer(self, rid: str, timeout: float = 10.0) -> str:
        """The one answer posted to a response_url after the acknowledgement."""
        (posted,) = self.responses(rid, 1, timeout)
        return str(posted["text"])
