"""Digest delivery through the outbox to a local Slack stand-in over real sockets.

Articles arrive through the real fetcher from a local feed server into real SQLite; matches are
written through the storage port (the matcher has its own tests with the real model), so these
tests are about what a rep sees in Slack: every part valid, each article exactly once, in order,
whatever Slack or the process does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from clipper.adapters.storage import Storage
from clipper.config import load_config
from clipper.core import Clipper
from clipper.exceptions import SlackAuthError
from clipper.logic.delivery import DeliveryPolicy
from clipper.types import ArticleToMatch, Match
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import Fault, SlackStub
from .support.seeding import mention, rss_items, seed_matches
from .support.slack import stub

__all__ = ["stub"]

USERS = {"sam@example.com": "U1", "dana@example.com": "U2"}
REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "dana@example.com", "name": "Dana"},
]
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return USERS


class Setup:
    def __init__(self, tmp_path: Path, server: FeedServer, stub: SlackStub) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.stub = stub
        self.clock = Clock()
        stub.ts_clock = lambda: self.clock().timestamp()
        self.path: Path | None = None
        #: a shorter part lease than the default, for tests of waits that outlast it
        self.lease_s: float | None = None

    reps: list[dict[str, Any]] = REPS
    accounts: list[dict[str, Any]] = ACCOUNTS

    def config_path(self, items: list[dict[str, str]], **settings: Any) -> Path:
        url = self.server.route("/feed", Reply(200, rss(items)))
        base: dict[str, Any] = {
            "fetch": {"max_new_per_feed": 500},
            "slack": {"pace_s": 0.0},
            "digest": {"max_items_per_account": 200, "max_items": 400},
        }
        for key, value in settings.items():
            base[key] = {**base.get(key, {}), **value}
        self.path = write_config(
            self.tmp_path,
            feeds={"x": [{"url": url, "name": "Wire"}]},
            accounts=self.accounts,
            reps=self.reps,
            settings=base,
        )
        return self.path

    def clipper(self, *, storage: Storage | None = None, token: str = "xoxb-test") -> Clipper:
        assert self.path is not None
        config = load_config(
            self.path, {"SLACK_BOT_TOKEN": token, "SLACK_API_BASE_URL": self.stub.base_url}
        )
        delivery = config.settings.slack.delivery_policy()
        if self.lease_s is not None:
            delivery = replace(delivery, part_lease_s=self.lease_s)
        return make_clipper(config, _clock=self.clock, _storage=storage, _delivery=delivery)


def seed(
    setup: Setup,
    titles: list[tuple[str, str]],
    *,
    event: str | None = None,
    shareable: bool = True,
    **settings: Any,
) -> Clipper:
    """Serve one article per (account, title), fetch them, and store one match each."""
    setup.config_path(rss_items(title for _account, title in titles), **settings)
    clipper = setup.clipper()
    clipper.update_feeds()
    accounts = sorted({account for account, _title in titles})

    def match_of(article: ArticleToMatch) -> Match:
        account = next(a for a in accounts if a in article.title)
        return mention(account, event=event, shareable=shareable)

    seed_matches(clipper.storage, setup.clock(), match_of)
    return clipper


def articles_in(message: dict[str, Any]) -> list[int]:
    ids = []
    for block in message["blocks"]:
        if block["type"] == "actions":
            ids.append(json.loads(block["elements"][0]["value"])["article"])
    return ids


@pytest.fixture
def setup(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Setup:
    return Setup(tmp_path, server, stub)


def acme(n: int) -> list[tuple[str, str]]:
    topics = "plant hire deal robot order award contract patent office partner".split()
    return [("Acme Robotics", f"Acme Robotics {topics[i % 10]} update {i}") for i in range(n)]


def test_120_articles_arrive_as_valid_parts_each_once_in_order(setup: Setup) -> None:
    with seed(setup, acme(120), slack={"pace_s": 0.2}) as clipper:
        report = clipper.digest()
        parts = clipper.storage.digest_parts("sam@example.com")
    posts = setup.stub.posts("DU1")
    assert setup.stub.rejected == []
    assert len(posts) == len(parts) > 1 and report.sent == len(posts)
    seen = [aid for post in posts for aid in articles_in(post)]
    assert len(seen) == 120 and len(set(seen)) == 120
    for number, post in enumerate(posts, start=1):
        assert post["unfurl_links"] is False and post["unfurl_media"] is False
        assert post["text"] and len(post["text"]) <= 4000
        assert f"part {number} of {len(posts)}" in post["blocks"][0]["text"]["text"]
        assert post["metadata"]["event_type"] == "clipper_digest"
    assert [p.state for p in parts] == ["sent"] * len(parts)
    # one lookup and one DM open per rep, cached afterwards
    lookups = [c for c in setup.stub.calls if c.method == "users.lookupByEmail"]
    assert [c.body["email"] for c in lookups].count("sam@example.com") == 1
    assert setup.stub.count("conversations.open") == 1
    # posts to one DM are paced
    times = [c.at for c in setup.stub.calls if c.method == "chat.postMessage"]
    assert all(b - a >= 0.2 for a, b in zip(times, times[1:], strict=False))
    # nothing is sent twice: the next run has nothing new
    with setup.clipper() as again:
        again.digest(force=True)
    assert len(setup.stub.posts("DU1")) == len(posts)


def test_hostile_and_oversized_articles_never_break_slack(setup: Setup) -> None:
    titles = [
        ("Acme Robotics", "Acme Robotics Q3 & R&D: 5 < 6 > 4 | *bold* _it_ @channel"),
        ("Acme Robotics", "Acme Robotics " + "very long title " * 40),
    ]
    with seed(setup, titles) as clipper:
        clipper.digest()
    (post,) = setup.stub.posts("DU1")
    assert setup.stub.rejected == []
    sections = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section"]
    hostile = next(t for t in sections if "R&amp;D" in t)
    assert "5 &lt; 6 &gt; 4" in hostile
    assert hostile.count("<") == 1  # only the app's own link
    assert any("…" in t for t in sections)


def test_429_is_honoured_and_the_digest_ends_complete(setup: Setup) -> None:
    setup.stub.faults.append(Fault("chat.postMessage", nth=2, action="429", retry_after=2))
    with seed(setup, acme(120)) as clipper:
        clipper.digest()
    posts = setup.stub.posts("DU1")
    seen = [aid for post in posts for aid in articles_in(post)]
    assert len(seen) == 120 and len(set(seen)) == 120
    calls = [c.at for c in setup.stub.calls if c.method == "chat.postMessage"]
    assert calls[2] - calls[1] >= 2.0  # the retry waited for Retry-After


def test_server_errors_stop_after_bounded_attempts_and_resume_next_run(setup: Setup) -> None:
    setup.stub.faults.append(Fault("chat.postMessage", action="500", always=True))
    with seed(setup, acme(3)) as clipper:
        clipper.outbox.sleep = lambda _s: None
        report = clipper.digest()
        (part,) = clipper.storage.digest_parts("sam@example.com")
    attempts = setup.stub.count("chat.postMessage")
    assert attempts == 4 and setup.stub.posts() == []  # slack.max_attempts
    assert part.state == "sending" or part.state == "pending"
    assert part.last_error and report.pending == 1
    setup.stub.faults.clear()
    setup.clock.advance(hours=2)
    with setup.clipper() as clipper:
        clipper.digest()
    assert len(setup.stub.posts("DU1")) == 1


class CrashAfterPost(Storage):
    """Dies between Slack's answer and the database commit of part 2."""

    def finish_part(self, digest_id: int, part: int, owner: str, *args: Any, **kw: Any) -> bool:
        if part == 2 and kw.get("state") == "sent":
            raise SystemExit("killed")
        return super().finish_part(digest_id, part, owner, *args, **kw)


def test_a_crash_between_parts_resends_nothing_already_posted(setup: Setup) -> None:
    seed(setup, acme(120)).close()
    db = setup.tmp_path / "var" / "clipper.db"
    crashing = CrashAfterPost(db)
    with setup.clipper(storage=crashing) as clipper, pytest.raises(SystemExit):
        clipper.digest()
    assert len(setup.stub.posts("DU1")) == 2  # part 2 reached Slack; the database never heard
    setup.clock.advance(seconds=DeliveryPolicy().part_lease_s + 1)
    with setup.clipper() as clipper:
        clipper.digest()
        parts = clipper.storage.digest_parts("sam@example.com")
    posts = setup.stub.posts("DU1")
    assert len(posts) == len(parts)
    seen = [aid for post in posts for aid in articles_in(post)]
    assert len(seen) == 120 and len(set(seen)) == 120
    assert setup.stub.count("conversations.history") >= 1


def test_a_dropped_connection_after_the_post_leaves_one_copy(setup: Setup) -> None:
    setup.stub.faults.append(Fault("chat.postMessage", nth=1, action="drop_after"))
    with seed(setup, acme(2)) as clipper:
        clipper.outbox.sleep = lambda _s: None
        clipper.digest()
    assert len(setup.stub.posts("DU1")) == 1
    assert setup.stub.count("chat.postMessage") == 1  # found in history, not re-sent


def test_two_schedulers_firing_at_once_send_each_part_once(setup: Setup) -> None:
    seed(setup, acme(60)).close()
    first, second = setup.clipper(), setup.clipper()
    errors: list[BaseException] = []

    def fire(clipper: Clipper) -> None:
        try:
            clipper.digest()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fire, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    second.close()
    assert errors == []
    posts = setup.stub.posts("DU1")
    seen = [aid for post in posts for aid in articles_in(post)]
    assert len(seen) == 60 and len(set(seen)) == 60


def test_invalid_token_stops_delivery_with_a_clear_message(setup: Setup) -> None:
    setup.stub.revoked.add("xoxb-test")
    with seed(setup, acme(2)) as clipper, pytest.raises(SlackAuthError, match="SLACK_BOT_TOKEN"):
        clipper.digest()
    assert setup.stub.count("users.lookupByEmail") == 1
    assert setup.stub.posts() == []


def test_unknown_email_and_missing_scope_skip_one_rep_and_name_the_problem(setup: Setup) -> None:
    del setup.stub.users["sam@example.com"]
    titles = acme(2) + [("Northwind Logistics", "Northwind Logistics opens a hub")]
    with seed(setup, titles) as clipper:
        report = clipper.digest()
    assert any("sam@example.com" in p and "no Slack user" in p for p in report.problems)
    assert setup.stub.count("users.lookupByEmail") == 2  # once per rep in the run
    assert len(setup.stub.posts("DU2")) == 1  # Dana still gets hers
    setup.stub.tokens["xoxb-test"].discard("im:write")
    setup.stub.users["sam@example.com"] = "U1"
    setup.clock.advance(days=1)
    with setup.clipper() as clipper:
        report = clipper.digest(rep="sam@example.com", force=True)
    assert any("im:write" in p for p in report.problems)
    assert setup.stub.count("conversations.open") <= 2  # no retry storm


def add_layoffs(setup: Setup, clipper: Clipper) -> None:
    setup.server.route(
        "/feed",
        Reply(
            200,
            rss(
                [
                    {
                        "title": "Acme Robotics lays off 300",
                        "link": "https://n.example/x",
                        "guid": "x",
                    }
                ]
            ),
        ),
    )
    clipper.update_feeds(due_only=False)
    layoffs = Match("Acme Robotics", 0.9, ("mentions",), "layoffs", False)
    seed_matches(clipper.storage, setup.clock(), lambda _article: layoffs)


def test_urgent_events_alert_at_once(setup: Setup) -> None:
    with seed(setup, acme(1)) as clipper:
        clipper.digest()  # the first digest; the next is tomorrow at 08:00
    assert len(setup.stub.posts("DU1")) == 1
    setup.clock.advance(hours=1)
    with setup.clipper() as clipper:
        add_layoffs(setup, clipper)
        clipper.digest()
    posts = setup.stub.posts("DU1")
    assert len(posts) == 2 and "Clipper alert" in posts[1]["text"]
    assert "for you only" in json.dumps(posts[1]["blocks"], ensure_ascii=False)


def test_quiet_hours_hold_an_alert_until_they_end(setup: Setup) -> None:
    # Monday 09:00 UTC; Sam's quiet hours are 10:00-12:00 UTC
    setup.reps = [{"email": "sam@example.com", "timezone": "UTC", "quiet_hours": "10:00-12:00"}]
    with seed(setup, acme(1)) as clipper:
        clipper.digest()
    setup.clock.advance(hours=1, minutes=30)  # 10:30: quiet
    with setup.clipper() as clipper:
        add_layoffs(setup, clipper)
        clipper.digest()
        assert len(setup.stub.posts("DU1")) == 1  # held
        setup.clock.advance(hours=2)  # 12:30: quiet hours are over
        clipper.digest()
    posts = setup.stub.posts("DU1")
    assert len(posts) == 2 and "Clipper alert" in posts[1]["text"]


def test_empty_digests_are_skipped_and_the_schedule_advances(setup: Setup) -> None:
    with seed(setup, []) as clipper:
        report = clipper.digest()
        assert report.queued == [] and setup.stub.posts() == []
        next_at = clipper.storage.next_digest_at("sam@example.com")
    assert next_at is not None and next_at > setup.clock()
    assert next_at - setup.clock() <= timedelta(days=3)


def test_a_rep_without_a_time_zone_gets_slacks(setup: Setup) -> None:
    with seed(setup, acme(1)) as clipper:
        clipper.digest()
        next_at = clipper.storage.next_digest_at("sam@example.com")
    # Monday 09:00 UTC is 04:00 in New York (the stand-in's zone): next is 08:00 EST, 13:00 UTC
    assert next_at is not None and next_at.isoformat() == "2026-11-23T13:00:00+00:00"
    infos = [c.body["user"] for c in setup.stub.calls if c.method == "users.info"]
    assert infos.count("U1") == 1  # cached afterwards


def test_pacing_under_a_realistic_limiter(setup: Setup) -> None:
    """The stand-in allows one post per second per DM (429 otherwise); six reps with three
    parts each all arrive, in order, without a single 429."""
    names = [f"Rep{n}" for n in range(6)]
    setup.reps = [{"email": f"{n.lower()}@example.com"} for n in names]
    setup.accounts = [
        {"name": f"{n} Industries", "owner": f"{n.lower()}@example.com"} for n in names
    ]
    setup.stub.users.update({f"{n.lower()}@example.com": f"U{n}" for n in names})
    setup.stub.per_channel_rate = 1.0
    topics = "plant hire deal robot order award contract patent office partner".split()
    titles = [
        (f"{n} Industries", f"{n} Industries {topics[i % 10]} news {i}")
        for n in names
        for i in range(50)
    ]
    with seed(setup, titles, slack={"pace_s": 1.1, "workspace_rate": 20}) as clipper:
        report = clipper.digest()
    assert report.problems == []
    statuses = [c for c in setup.stub.calls if c.method == "chat.postMessage"]
    assert len(statuses) == len(setup.stub.posts()) == 18  # no 429, so no second attempt
    for n in names:
        posts = setup.stub.posts(f"DU{n}")
        headers = [p["blocks"][0]["text"]["text"] for p in posts]
        assert [h.endswith(f"(part {i} of 3)") for i, h in enumerate(headers, 1)] == [True] * 3
        seen = [aid for post in posts for aid in articles_in(post)]
        assert len(seen) == 50 and len(set(seen)) == 50
    opens = [c.body["users"] for c in setup.stub.calls if c.method == "conversations.open"]
    assert sorted(opens) == sorted(f"U{n}" for n in names)  # once per rep


def test_a_rate_limited_dm_lookup_waits_and_the_digest_still_arrives(setup: Setup) -> None:
    setup.stub.faults.append(Fault("conversations.open", nth=1, action="429", retry_after=1))
    with seed(setup, acme(2)) as clipper:
        report = clipper.digest()
    assert report.problems == [] and len(setup.stub.posts("DU1")) == 1
    opens = [c.at for c in setup.stub.calls if c.method == "conversations.open"]
    assert len(opens) == 2 and opens[1] - opens[0] >= 1.0


def test_a_schedule_is_read_without_slack_and_the_time_zone_is_an_explicit_step(
    setup: Setup,
) -> None:
    with seed(setup, []) as clipper:
        sam = clipper.config.reps[0]
        schedule = clipper.digests.schedule_of(sam)  # settings and config only
        assert setup.stub.count("users.info") == 0 and schedule.timezone == "UTC"
        zone = clipper.digests.slack_timezone(sam)  # the step that asks Slack
        assert zone == "America/New_York" and setup.stub.count("users.info") == 1
        assert clipper.digests.schedule_of(sam, zone).timezone == "America/New_York"
