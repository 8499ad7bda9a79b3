"""Two deliverers on one database (two ``clipper run`` workers): the touch webhook's claims are
leased, so racing threads, each with its own Clipper and SQLite connections, never POST the same
touch twice to a real local receiver; a crashed claimer's touches go out once its lease ends."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.wiring import make_clipper

from .conftest import Clock
from .support.webhook import ENV, WebhookReceiver, receiver_clock, webhook_config

TOUCHES = 24


@pytest.fixture
def clock() -> Clock:
    return receiver_clock()


@pytest.fixture
def receiver(clock: Clock) -> Iterator[WebhookReceiver]:
    """A receiver that takes a while to answer, so two deliverers overlap."""
    found = WebhookReceiver(clock, delay=0.02)
    yield found
    found.close()


def _worker(path: Path, clock: Clock) -> Clipper:
    """A deliverer of its own: its own Clipper, storage and SQLite connections."""
    return make_clipper(load_config(path, ENV), _clock=clock)


def _log_touches(clipper: Clipper) -> list[str]:
    dana = clipper.find_rep(email="dana@example.com")
    assert dana is not None
    for n in range(TOUCHES):
        clipper.log_touch(dana, f"Acme Robotics call number {n}", key=f"trigger:T{n}")
    return [f"clipper-touch-{t.id}" for t in clipper.list_touches()]


def test_two_racing_deliverers_send_each_touch_exactly_once(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    path = webhook_config(tmp_path, receiver.url, timeout_s=5)
    first, second = _worker(path, clock), _worker(path, clock)
    keys = _log_touches(first)
    start = threading.Barrier(2)
    delivered: list[int] = []

    def deliver(worker: Clipper) -> None:
        start.wait()
        while worker.webhook_backlog().pending:
            # small claims, so the two interleave claim by claim
            delivered.append(worker.deliver_touch_webhooks(limit=3).delivered)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    first.close()
    second.close()

    assert receiver.bad_signatures == 0
    assert receiver.received == Counter(keys)  # every touch, each exactly once
    assert sum(delivered) == TOUCHES
    assert len([n for n in delivered if n]) >= 2  # both took part


def test_a_crashed_claimer_s_touches_go_out_once_its_lease_has_run_out(
    tmp_path: Path, receiver: WebhookReceiver, clock: Clock
) -> None:
    path = webhook_config(tmp_path, receiver.url, timeout_s=5)
    crashed, survivor = _worker(path, clock), _worker(path, clock)
    keys = _log_touches(crashed)
    # the first worker claims everything, then dies before POSTing anything
    claimed = crashed.storage.claim_webhook_touches(clock.now, "crashed-worker", 65.0)
    assert len(claimed) == TOUCHES
    crashed.close()

    assert survivor.deliver_touch_webhooks().delivered == 0  # leased to the dead worker
    assert receiver.received == Counter()
    clock.advance(seconds=66)
    assert survivor.deliver_touch_webhooks().delivered == TOUCHES
    assert survivor.deliver_touch_webhooks().delivered == 0
    survivor.close()
    assert receiver.received == Counter(keys)
