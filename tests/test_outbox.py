"""The outbox under long Slack waits: two deliverers on one SQLite file, a short part lease and
429s whose Retry-After outlasts it; each part reaches the Slack stand-in exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from clipper.core import Clipper

from .conftest import Clock
from .feedserver import FeedServer
from .slackstub import Fault, SlackStub
from .test_digest_delivery import USERS, Setup, acme, seed


class RunningClock(Clock):
    """Wall time from the test's start date: leases expire while a deliverer waits."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=time.monotonic() - self.started)


def test_a_retry_after_longer_than_the_lease_never_posts_a_part_twice(
    tmp_path: Path, server: FeedServer
) -> None:
    with SlackStub(dict(USERS)) as slack:
        setup = Setup(tmp_path, server, slack)
        setup.lease_s = 1.5
        deliver_twice(setup)


def deliver_twice(setup: Setup) -> None:
    setup.clock = RunningClock()
    titles = acme(60) + [
        ("Northwind Logistics", f"Northwind Logistics hub update {n}") for n in range(30)
    ]
    seed(setup, titles).close()
    # the first three posts are refused with a wait twice as long as the lease
    setup.stub.faults += [
        Fault("chat.postMessage", nth=n, action="429", retry_after=3) for n in (1, 2, 3)
    ]
    first, second = setup.clipper(), setup.clipper()
    errors: list[BaseException] = []
    deadline = time.monotonic() + 60

    def all_sent(clipper: Clipper) -> bool:
        parts = clipper.storage.digest_parts()
        return bool(parts) and all(p.state == "sent" for p in parts)

    def deliverer(clipper: Clipper) -> None:
        try:
            while not all_sent(clipper) and time.monotonic() < deadline:
                clipper.digest()  # what each `clipper run` tick does
                time.sleep(0.1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliverer, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        parts = first.storage.digest_parts()
    finally:
        first.close()
        second.close()
    assert {p.state for p in parts} == {"sent"} and len(parts) >= 3
    assert {p.rep for p in parts} == {"sam@example.com", "dana@example.com"}
    posted = Counter(m["metadata"]["event_payload"]["key"] for m in setup.stub.posts())
    assert posted == Counter({f"{p.digest_id}:{p.part}": 1 for p in parts})
    assert setup.stub.count("chat.postMessage") == len(parts) + 3  # the three 429s
