"""The Slack stand-in fixture and signed-request builders, shared by the Slack tests.

A module that uses ``stub`` imports it (``from .support.slack import stub``) and defines a
``slack_users`` fixture: the email -> Slack user id directory the stand-in serves. Contains no
assertions.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from ..slackstub import SlackStub


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
