"""Two deliverers on one database (two ``clipper run`` workers): the touch webhook's claims are
leased, so racing threads, each with its own Clipper and SQLite connections, never POST the same
touch twice to a real local receiver; a crashed claimer's touches go out once its lease ends."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .test_touch_webhook import ACCOUNTS, ENV, REPS, SECRET, verify

TOUCHES = 24


class SlowReceiver:
    """A webhook receiver that takes a while to answer (so two deliverers overlap) and counts
    every signed POST by its idempotency key."""

    def __init__(self, clock: Clock) -> None:
        self.received: Counter[str] = Counter()
        self.bad_signatures = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(SECRET, self.headers, body, clock.now.timestamp()):
                    with lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                time.sleep(0.02)
                with lock:
                    receiver.received[json.loads(body)["idempotency_key"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.fromtimestamp(int(time.time()), UTC))


@pytest.fixture
def receiver(clock: Clock) -> Iterator[SlowReceiver]:
    found = SlowReceiver(clock)
    yield found
    found.close()


def _config(tmp_path: Path, url: str) -> Path:
    return write_config(
        tmp_path,
        accounts=ACCOUNTS,
        reps=REPS,
        settings={
            "touches": {
                "webhook": {"url": url, "secret_env": "CLIPPER_WEBHOOK_SECRET", "timeout_s": 5}
            }
        },
    )


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
    tmp_path: Path, receiver: SlowReceiver, clock: Clock
) -> None:
    path = _config(tmp_path, receiver.url)
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
    tmp_path: Path, receiver: SlowReceiver, clock: Clock
) -> None:
    path = _config(tmp_path, receiver.url)
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
