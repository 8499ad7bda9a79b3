"""The touch webhook as a CRM integration receives it: a real local HTTP receiver that checks
the HMAC signature the way docs/configuration.md tells receivers to, failures (a 500, a dropped
connection), retries from the outbox, and exactly one accepted copy per touch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.types import TouchChannel
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .support.cli import run_clipper
from .support.webhook import (
    ACCOUNTS,
    ENV,
    REPS,
    WebhookReceiver,
    receiver_clock,
    webhook_config,
)


@pytest.fixture
def clock() -> Clock:
    return receiver_clock()


@pytest.fixture
def receiver(clock: Clock) -> Iterator[WebhookReceiver]:
    found = WebhookReceiver(clock)
    yield found
    found.close()


def _clipper(
    tmp_path: Path, url: str, clock: Clock, env: dict[str, str] = ENV, **webhook: Any
) -> Clipper:
    return make_clipper(load_config(webhook_config(tmp_path, url, **webhook), env), _clock=clock)


def test_each_new_touch_arrives_once_signed_after_a_500_and_a_dropped_connection(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    clipper = _clipper(tmp_path, receiver.url, clock)
    export = tmp_path / "tasks.csv"
    export.write_text(
        "Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description\n"
        "00T01,Check-in,2026-10-14,Acme Robotics,dana@example.com,Call,\"=cmd|' /C calc'!A0\"\n"
    )
    with clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics lunch with the COO", key="trigger:T1")
        assert clipper.import_touches(export).added == 1
        assert clipper.import_touches(export).added == 0  # a merged duplicate is not new
        receiver.script = ["500", "drop"]

        first = clipper.deliver_touch_webhooks()
        assert (first.delivered, first.failed, first.given_up) == (0, 2, 0)
        assert clipper.webhook_backlog().pending == 2
        # not due yet: backoff, nothing is sent
        assert clipper.deliver_touch_webhooks().delivered == 0
        assert len(receiver.requests) == 2

        clock.advance(minutes=2)
        second = clipper.deliver_touch_webhooks()
        assert (second.delivered, second.failed) == (2, 0)
        clock.advance(hours=3)
        assert clipper.deliver_touch_webhooks().delivered == 0  # delivered: never again
        assert clipper.webhook_backlog().pending == 0
        touches = clipper.list_touches()

    assert receiver.bad_signatures == 0
    keys = [p["idempotency_key"] for p in receiver.accepted]
    assert sorted(keys) == sorted(f"clipper-touch-{t.id}" for t in touches)
    assert len(set(keys)) == 2  # exactly one accepted copy per touch
    # the retries carried the same key as the failed attempts
    assert sorted(k for k, _ in receiver.requests) == sorted(keys * 2)
    by_channel = {p["touch"]["channel"]: p for p in receiver.accepted}
    slack = by_channel[TouchChannel.SLACK_COMMAND.value]["touch"]
    assert (slack["account"], slack["rep"], slack["note"]) == (
        "Acme Robotics",
        "dana@example.com",
        "lunch with the COO",
    )
    imported = by_channel[TouchChannel.SALESFORCE.value]
    assert imported["event"] == "touch.created"
    assert imported["touch"]["key"] == "salesforce:00T01"
    assert imported["touch"]["note"] == "=cmd|' /C calc'!A0"  # JSON carries text as it is


def test_a_touch_nobody_accepts_is_given_up_after_the_configured_days_and_kept(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    clipper = _clipper(tmp_path, receiver.url, clock, give_up_after_days=2)
    with clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics call", key="trigger:T9")
        receiver.script = ["500"] * 100
        assert clipper.deliver_touch_webhooks().failed == 1
        for _ in range(5):
            clock.advance(hours=1)
            assert clipper.deliver_touch_webhooks().failed == 1
        clock.advance(days=2)
        assert clipper.deliver_touch_webhooks().given_up == 1
        clock.advance(days=1)
        assert clipper.deliver_touch_webhooks() == type(clipper.deliver_touch_webhooks())()
        backlog = clipper.webhook_backlog()
        assert (backlog.pending, backlog.given_up) == (0, 1)
        assert len(clipper.list_touches()) == 1  # the touch itself is untouched
    assert len(receiver.requests) == 7 and receiver.accepted == []


def test_a_missing_secret_is_a_named_problem_and_touches_wait_for_it(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    clipper = _clipper(tmp_path, receiver.url, clock, env={})
    config_path = clipper.config.path
    with clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics call", key="trigger:T3")
        run = clipper.deliver_touch_webhooks()
        assert run.problem is not None and "CLIPPER_WEBHOOK_SECRET is not set" in run.problem
        assert clipper.webhook_backlog().pending == 1
    assert receiver.requests == []

    check = run_clipper(config_path, "check")
    assert check.returncode == 1
    assert (
        f"{config_path}: touches.webhook.secret_env: the environment variable "
        "CLIPPER_WEBHOOK_SECRET is not set"
    ) in check.stdout

    # the secret set, the waiting touch goes out with the next pass
    with make_clipper(load_config(config_path, ENV), _clock=clock) as later:
        assert later.deliver_touch_webhooks().delivered == 1
    assert len(receiver.accepted) == 1


def test_the_feeds_address_policy_and_https_rule_apply_to_the_webhook(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    path = write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={
            "fetch": {"allow_private_networks": []},
            "touches": {"webhook": {"url": receiver.url, "secret_env": "CLIPPER_WEBHOOK_SECRET"}},
        },
    )
    with make_clipper(load_config(path, ENV), _clock=clock) as clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics call", key="trigger:T4")
        assert clipper.deliver_touch_webhooks().failed == 1
        (queued,) = clipper.storage.due_webhook_touches(clock.now.replace(year=2100))
    assert queued.last_error is not None
    assert "refused to connect to 127.0.0.1" in queued.last_error
    assert "fetch.allow_private_networks" in queued.last_error
    assert receiver.requests == []


def test_bad_webhook_settings_are_named(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={"touches": {"webhook": {"url": "ftp://x", "secret_env": "my secret"}}},
    )
    check = run_clipper(path, "check")
    assert check.returncode != 0
    text = check.stdout + check.stderr
    assert "touches.webhook.url" in text and "not an http(s) URL: 'ftp://x'" in text
    assert "touches.webhook.secret_env" in text and "is not an environment variable name" in text


def test_touches_logged_without_a_webhook_are_not_sent_later(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    path = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
    with make_clipper(load_config(path, {}), _clock=clock) as clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics before", key="trigger:T5")
        assert clipper.deliver_touch_webhooks().skipped == 1
    with _clipper(tmp_path, receiver.url, clock) as clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.log_touch(dana, "Acme Robotics after", key="trigger:T6")
        assert clipper.deliver_touch_webhooks().delivered == 1
    assert [p["touch"]["note"] for p in receiver.accepted] == ["after"]


def test_run_once_sends_the_touches_an_import_added(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    path = webhook_config(tmp_path, receiver.url)
    export = tmp_path / "activities.csv"
    export.write_text(
        "Activity date,Activity type,Associated Company,Activity assigned to,Subject\n"
        "2026-11-10 16:45,CALL,Acme Robotics,dana@example.com,Pricing\n"
    )
    assert run_clipper(path, "touches", "import", str(export)).returncode == 0
    ran = run_clipper(path, "run", "--once", env=ENV)
    assert ran.returncode == 0, ran.stderr
    assert "touch webhook: 1 delivered, 0 to retry" in ran.stdout
    again = run_clipper(path, "run", "--once", env=ENV)
    assert again.returncode == 0 and "touch webhook" not in again.stdout
    (payload,) = receiver.accepted
    assert payload["touch"]["subject"] == "Pricing" and payload["touch"]["channel"] == "hubspot"
