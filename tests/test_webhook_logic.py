"""The touch webhook's pure rules: the signature a receiver recomputes, the body, and when a
failed POST is tried again or given up."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from clipper.logic.touch_export import guard_cell, unguard_cell
from clipper.logic.webhook import WebhookPolicy, signature, touch_payload, webhook_headers
from clipper.types import Touch, TouchChannel, TouchVoid

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOUCH = Touch(
    id=42,
    rep="dana@example.com",
    account='Acme <b>"Robotics"</b>',
    touched_at=NOW,
    channel=TouchChannel.SLACK_SHARE,
    note="ünïcode & <tags>",
    key="view:V1",
    created_at=NOW,
)


def test_the_signature_is_hmac_sha256_over_v0_timestamp_body() -> None:
    body = touch_payload(TOUCH)
    expected = hmac.new(b"k", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert signature("k", 1700000000, body) == "v0=" + expected
    headers = webhook_headers("k", 1700000000, "clipper-touch-42", body)
    assert headers["X-Clipper-Signature"] == "v0=" + expected
    assert headers["X-Clipper-Timestamp"] == "1700000000"
    assert headers["Idempotency-Key"] == "clipper-touch-42"
    assert signature("other", 1700000000, body) != signature("k", 1700000000, body)
    assert signature("k", 1700000001, body) != signature("k", 1700000000, body)


def test_the_body_carries_the_touch_as_written_and_says_when_it_was_deleted() -> None:
    payload = json.loads(touch_payload(TOUCH))
    assert payload["idempotency_key"] == "clipper-touch-42"
    assert payload["touch"]["account"] == 'Acme <b>"Robotics"</b>'
    assert payload["touch"]["note"] == "ünïcode & <tags>"
    assert payload["touch"]["deleted"] is False
    deleted = json.loads(touch_payload(dataclasses.replace(TOUCH, void=TouchVoid("dana", NOW))))
    assert deleted["touch"]["deleted"] is True
    assert deleted["idempotency_key"] == payload["idempotency_key"]


def test_retries_double_up_to_an_hour_and_stop_after_the_give_up_window() -> None:
    policy = WebhookPolicy(give_up_after=timedelta(days=2))
    queued = NOW
    waits = [policy.next_attempt(n, queued, NOW) for n in (1, 2, 3, 7, 8, 30)]
    assert [w - NOW if w else None for w in waits] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
    assert policy.next_attempt(3, queued, NOW + timedelta(days=2)) is None


def test_formula_cells_are_guarded_and_the_guard_comes_off() -> None:
    for text in ("=1+1", "+49 30 1234", "-5", "@SUM(A1)", "\tx"):
        assert guard_cell(text) == "'" + text
        assert unguard_cell(guard_cell(text)) == text
    assert guard_cell("Acme") == "Acme" and unguard_cell("'quoted'") == "'quoted'"
