"""Nothing lost behind "N more": the matches a digest's caps leave out stay reachable ("Show N
more" in the digest's thread, ``/clip news``), the Markdown lists every one, and they count as
shown only once shown.

Pure rendering first; then the Slack app the bolt way (signed ``BoltRequest``s through
``App.dispatch``) and once over real HTTP, with the Slack stand-in, a real feed server and real
SQLite."""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import clipper.slackapp
from clipper.adapters.storage import Storage
from clipper.adapters.storage.sqlite.base import to_db
from clipper.config import load_config
from clipper.exceptions import CommandUsageError
from clipper.logic.blockkit import SHOW_MORE, render_markdown, render_slack, replace_more
from clipper.logic.clip import parse_more_value
from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.digest import DigestCandidate, DigestPolicy, build_digest
from clipper.server import Metrics, Server, make_wsgi
from clipper.types import DigestKind, EventKind, Sink
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub, validate_blocks
from .support.seeding import mention, seed_matches
from .support.slack import BoltApp, button_click, clip_body, signed_headers, slack_clipper, stub

__all__ = ["stub"]

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
SECRET = "more-secret"
REPS = [
    {"email": "sam@example.com", "name": "Sam"},
    {"email": "dana@example.com", "name": "Dana"},
]
ACCOUNTS = [
    {"name": "Acme Robotics", "owner": "sam@example.com"},
    {"name": "Northwind Logistics", "owner": "dana@example.com"},
]
SAM = "sam@example.com"


@pytest.fixture
def slack_users() -> dict[str, str]:
    return {"sam@example.com": "U1", "dana@example.com": "U2"}


# ---------------------------------------------------------------------------------- rendering


def candidate(n: int, account: str = "Acme Robotics", **kw: object) -> DigestCandidate:
    fields: dict[str, object] = {
        "article_id": n,
        "account": account,
        "title": f"Acme Robotics story number {n}",
        "url": f"https://news.example/{n}",
        "source": "Factory Floor News",
        "published_at": NOW - timedelta(hours=n),
        "score": 0.9 - n / 1000,
        "reasons": (f'mentions "{account}"',),
    }
    fields.update(kw)
    return DigestCandidate(**fields)  # type: ignore[arg-type]


def more_buttons(blocks: Any) -> list[dict[str, Any]]:
    return [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == SHOW_MORE
    ]


def test_a_section_over_its_cap_ends_with_a_show_more_button() -> None:
    items = [candidate(n) for n in range(1, 9)] + [candidate(20, "Helix Components")]
    digest = build_digest(SAM, "Sam", items, {}, DigestPolicy(3, 30), NOW)
    acme = next(s for s in digest.sections if s.account == "Acme Robotics")
    assert acme.more == 5 and [i.article_id for i in acme.left_out] == [4, 5, 6, 7, 8]
    (message,) = render_slack(digest)
    assert validate_blocks(list(message.blocks)) == (None, [])
    (button,) = more_buttons(message.blocks)
    assert button["text"]["text"] == "Show 5 more"
    assert parse_more_value(button["value"]) == "Acme Robotics"
    # right after Acme's last item, and the touch line says where the rest is
    blocks = list(message.blocks)
    at = next(n for n, b in enumerate(blocks) if b["block_id"].startswith("more-"))
    assert blocks[at - 2]["text"]["text"].startswith("*<https://news.example/3|")
    assert "5 more matches under *Show 5 more*" in json.dumps(blocks)
    # once pressed, the button becomes a note and nothing else changes
    replaced = replace_more(blocks, "Acme Robotics", "5 more shown in the thread below.")
    assert more_buttons(replaced) == [] and len(replaced) == len(blocks)
    assert replaced[at]["elements"][0]["text"] == "5 more shown in the thread below."
    assert replace_more(blocks, "Helix Components", "x") == blocks


def test_a_hostile_account_name_stays_text_in_the_button_and_the_page() -> None:
    name = 'Acme <!channel> & "Co" *x*'
    digest = build_digest(
        SAM, "Sam", [candidate(n, name) for n in range(1, 4)], {}, DigestPolicy(1, 30), NOW
    )
    (message,) = render_slack(digest, title=f"Not yet shown on {name}")
    assert "<!channel>" not in message.text and "&lt;!channel&gt;" in message.text
    (button,) = more_buttons(message.blocks)
    assert parse_more_value(button["value"]) == name
    touch = next(b for b in message.blocks if b["block_id"].startswith("touch-"))
    assert "<!channel>" not in json.dumps(touch)


def test_a_section_with_no_room_left_still_offers_its_matches() -> None:
    items = [candidate(n) for n in range(1, 4)] + [
        candidate(n, "Helix Components", score=0.1) for n in range(10, 12)
    ]
    digest = build_digest(SAM, "Sam", items, {}, DigestPolicy(5, 3), NOW)
    helix = next(s for s in digest.sections if s.account == "Helix Components")
    assert helix.items == () and helix.more == 2
    (message,) = render_slack(digest)
    assert [b["text"]["text"] for b in more_buttons(message.blocks)] == ["Show 2 more"]
    assert validate_blocks(list(message.blocks)) == (None, [])


def test_an_alert_offers_no_button_and_names_the_next_digest() -> None:
    urgent = [candidate(n, event=EventKind.LAYOFFS) for n in range(1, 5)]
    digest = build_digest(SAM, "Sam", urgent, {}, DigestPolicy(2, 30), NOW, kind=DigestKind.ALERT)
    (message,) = render_slack(digest)
    assert more_buttons(message.blocks) == []
    assert "2 more matches in your next digest" in json.dumps(message.blocks)
    assert "2 more matches in your next digest" in render_markdown(digest)
    assert "More on" not in render_markdown(digest)


def test_markdown_lists_every_match_the_left_out_under_more_on() -> None:
    hostile = "Acme *pwned* [x](javascript:alert(1)) <b>"
    items = [candidate(n) for n in range(1, 7)] + [
        candidate(7, title=hostile, url="javascript:alert(1)", score=0.1),
        candidate(8, story_id=9, score=0.05, source="Wire One"),
        candidate(9, story_id=9, score=0.04, source="Wire Two"),
    ]
    digest = build_digest(SAM, "Sam", items, {}, DigestPolicy(3, 30), NOW)
    text = render_markdown(digest)
    assert "not shown" not in text
    head, more = text.split("**More on Acme Robotics**")
    for n in range(1, 4):
        assert f"(<https://news.example/{n}>)" in head
    for n in range(4, 7):
        assert f"- [Acme Robotics story number {n}](<https://news.example/{n}>) · " in more
        assert f"Factory Floor News · {n} h ago" in more
    # the hostile title is text, not a link or markup; the script URL is not linked
    assert "- Acme \\*pwned\\* \\[x\\](javascript:alert(1)) \\<b\\>" in more
    assert "(<javascript:" not in text
    # a story told by two outlets is one line naming both
    assert "Wire One · 8 h ago · also in Wire Two" in more


def test_slack_covers_the_left_out_as_not_shown_markdown_as_shown() -> None:
    items = [candidate(n) for n in range(1, 6)] + [
        candidate(6, story_id=1),
        candidate(7, story_id=1),
    ]

    def covered(sink: Sink) -> dict[int, bool]:
        request = DigestRequest(SAM, "Sam", DigestKind.DIGEST, sink, NOW, NOW + timedelta(days=1))
        composed = compose_digest(request, items, {}, DigestPolicy(2, 30))
        return {aid: shown for aid, _account, shown in composed.covered}

    slack = covered(Sink.SLACK)
    assert len(slack) == 7 and {a for a, shown in slack.items() if shown} == {1, 2}
    assert all(covered(Sink.TERMINAL).values())


@pytest.mark.parametrize(
    "value",
    ["", "not json", "[1]", '{"more": 5}', '{"more": ""}', '{"article": 1}', '{"more": null}'],
)
def test_forged_show_more_values_are_refused(value: str) -> None:
    with pytest.raises(CommandUsageError, match="not one Clipper made"):
        parse_more_value(value)
    with pytest.raises(CommandUsageError):
        parse_more_value(json.dumps({"more": "x" * 501}))


# ---------------------------------------------------------------------------------- the Slack app


class Bolt(BoltApp):
    """A Clipper with 8 Acme (Sam's) and 4 Northwind (Dana's) articles matched, its Bolt app
    and work queue; digests hold 3 items per account."""

    def __init__(self, tmp_path: Path, server: FeedServer, stub: SlackStub) -> None:
        self.clock = Clock()
        stub.ts_clock = lambda: self.clock().timestamp()
        items = [
            {"title": f"Acme Robotics news {n}", "link": f"https://n.example/a{n}", "guid": f"a{n}"}
            for n in range(8)
        ] + [
            {
                "title": f"Northwind Logistics news {n}",
                "link": f"https://n.example/n{n}",
                "guid": f"n{n}",
            }
            for n in range(4)
        ]
        url = server.route("/feed", Reply(200, rss(items)))
        path = write_config(
            tmp_path,
            feeds={"x": [{"url": url, "name": "Wire"}]},
            accounts=ACCOUNTS,
            reps=REPS,
            settings={"slack": {"pace_s": 0.0}, "digest": {"max_items_per_account": 3}},
        )
        super().__init__(slack_clipper(path, stub, SECRET, self.clock), stub, SECRET)
        self.clipper.update_feeds()
        scores = iter(range(100))
        seed_matches(
            self.clipper.storage,
            self.clock(),
            lambda a: mention(
                "Acme Robotics" if "Acme" in a.title else "Northwind Logistics",
                score=0.9 - next(scores) / 100,
            ),
        )

    def digest(self, channel: str = "DU1") -> dict[str, Any]:
        """Send the digests; return the rep's digest message as posted."""
        self.clipper.digest()
        return copy.deepcopy(self.stub.posts(channel)[-1])  # as sent, before any chat.update

    def left_out(self, account: str = "Acme Robotics", rep: str = SAM) -> list[int]:
        """The ids of the rep's matches on ``account`` left out and not shown since."""
        return sorted(c.article_id for c in self.clipper.storage.left_out_candidates(rep, account))


def press(
    stub: SlackStub,
    message: dict[str, Any] | None,
    value: str | None = None,
    *,
    user: str = "U1",
    channel: str = "DU1",
    action_ts: str = "1700000000.000001",
) -> tuple[str, str]:
    """Return (the signed-ready body of a Show more click on ``message``, its response_url id);
    ``value`` replaces the button's own (a forged click)."""
    block_id = "b1"
    if message is not None:
        (button,) = more_buttons(message["blocks"])
        block_id = next(b["block_id"] for b in message["blocks"] if button in b.get("elements", []))
        value = button["value"] if value is None else value
    clicked = {
        "action_id": SHOW_MORE,
        "block_id": block_id,
        "value": value,
        "type": "button",
        "action_ts": action_ts,
    }
    return button_click(stub, clicked, message=message, user=user, channel=channel)


def thread_posts(stub: SlackStub, ts: str) -> list[dict[str, Any]]:
    """The chat.postMessage calls made in the thread of message ``ts``."""
    posts = [c.body for c in stub.calls if c.method == "chat.postMessage"]
    return [
        dict(p, blocks=json.loads(p["blocks"]) if isinstance(p["blocks"], str) else p["blocks"])
        for p in posts
        if p.get("thread_ts") == ts
    ]


def wait_for(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def bolt(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Iterator[Bolt]:
    running = Bolt(tmp_path, server, stub)
    yield running
    running.close()


def item_titles(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        b["text"]["text"].split("|", 1)[1].split(">", 1)[0]
        for b in blocks
        if b["type"] == "section" and b.get("block_id", "").startswith("item-")
    ]


def test_show_more_posts_the_rest_in_the_thread_and_marks_them_shown(bolt: Bolt) -> None:
    message = bolt.digest()
    assert item_titles(message["blocks"]) == [f"Acme Robotics news {n}" for n in range(3)]
    (button,) = more_buttons(message["blocks"])
    assert button["text"]["text"] == "Show 5 more"
    left = bolt.left_out()
    assert len(left) == 5
    week = (bolt.clock() - timedelta(days=7), bolt.clock() + timedelta(days=1))
    assert bolt.clipper.storage.shown_counts(*week, rep=SAM) == {(SAM, "Acme Robotics"): 3}

    body, rid = press(bolt.stub, message)
    assert bolt.dispatch(body).status == 200
    assert wait_for(lambda: len(bolt.stub.updates) == 1)
    (reply,) = thread_posts(bolt.stub, message["ts"])
    assert validate_blocks(reply["blocks"]) == (None, [])
    assert item_titles(reply["blocks"]) == [f"Acme Robotics news {n}" for n in range(3, 8)]
    assert reply["blocks"][0]["text"]["text"] == "Not yet shown on Acme Robotics"
    # each item has its usual buttons, so it can be shared or muted like any other
    assert sum(1 for b in reply["blocks"] if b["type"] == "actions") == 5
    assert more_buttons(reply["blocks"]) == []
    # counted as shown now, and the digest's button has become a note
    assert bolt.left_out() == []
    assert bolt.clipper.storage.shown_counts(*week, rep=SAM) == {(SAM, "Acme Robotics"): 8}
    (update,) = bolt.stub.updates
    assert more_buttons(update["blocks"]) == []
    assert "5 more on Acme Robotics shown in the thread below" in json.dumps(update["blocks"])
    # the same click again (a retry) posts nothing more
    assert bolt.dispatch(body).status == 200
    time.sleep(0.3)
    assert len(thread_posts(bolt.stub, message["ts"])) == 1 and bolt.stub.responses[rid] == []
    # a new click on a stale copy of the button says everything was shown
    body, rid = press(bolt.stub, message, action_ts="1700000001.000001")
    bolt.dispatch(body)
    (answer,) = bolt.responses(rid)
    assert answer["text"].startswith("Nothing more on *Acme Robotics*: everything your digests")


def test_a_long_remainder_comes_a_page_at_a_time(
    bolt: Bolt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clipper.slackapp, "MORE_PAGE", 3)
    message = bolt.digest()
    body, _rid = press(bolt.stub, message)
    bolt.dispatch(body)
    assert wait_for(lambda: len(thread_posts(bolt.stub, message["ts"])) == 1)
    (first,) = thread_posts(bolt.stub, message["ts"])
    assert item_titles(first["blocks"]) == [f"Acme Robotics news {n}" for n in range(3, 6)]
    (button,) = more_buttons(first["blocks"])
    assert button["text"]["text"] == "Show 2 more"
    # recorded as shown once Slack took the posts (right after them, on the work thread)
    assert wait_for(lambda: len(bolt.left_out()) == 2)
    # the reply's own button continues the same thread
    posted = next(m for m in bolt.stub.posts("DU1") if m["blocks"] == first["blocks"])
    body, _rid = press(bolt.stub, dict(posted, thread_ts=message["ts"]), action_ts="17.2")
    bolt.dispatch(body)
    assert wait_for(lambda: len(thread_posts(bolt.stub, message["ts"])) == 2)
    second = thread_posts(bolt.stub, message["ts"])[1]
    assert item_titles(second["blocks"]) == ["Acme Robotics news 6", "Acme Robotics news 7"]
    assert wait_for(lambda: bolt.left_out() == [])


@pytest.mark.parametrize(
    ("value", "user", "said"),
    [
        ("not json at all", "U1", "this *Show more* button is not one Clipper made"),
        (json.dumps({"more": ["Acme Robotics"]}), "U1", "not one Clipper made"),
        (json.dumps({"more": "Nowhere Inc"}), "U1", "no account of yours is called *Nowhere Inc*"),
        (json.dumps({"more": "Northwind Logistics"}), "U1", "no account of yours is called"),
        (json.dumps({"more": "Acme Robotics"}), "U9", "cannot read your Slack profile"),
    ],
)
def test_forged_unknown_and_foreign_show_more_buttons_are_refused(
    bolt: Bolt, value: str, user: str, said: str
) -> None:
    message = bolt.digest()
    dana = ("Northwind Logistics", "dana@example.com")
    before = bolt.left_out(), bolt.left_out(*dana)
    assert (len(before[0]), len(before[1])) == (5, 1)
    body, rid = press(bolt.stub, message, value, user=user)
    assert bolt.dispatch(body).status == 200
    (answer,) = bolt.responses(rid)
    assert answer["text"].startswith(":warning:") and said in answer["text"]
    time.sleep(0.2)
    assert thread_posts(bolt.stub, message["ts"]) == [] and bolt.stub.updates == []
    assert (bolt.left_out(), bolt.left_out(*dana)) == before


def test_a_show_more_not_on_a_message_answers_privately(bolt: Bolt) -> None:
    bolt.digest()
    body, rid = press(bolt.stub, None, json.dumps({"more": "acme"}))
    bolt.dispatch(body)
    (answer,) = bolt.responses(rid)
    assert item_titles(answer["blocks"]) == [f"Acme Robotics news {n}" for n in range(3, 8)]
    assert answer["response_type"] == "ephemeral"
    assert wait_for(lambda: bolt.left_out() == [])


def clip(bolt: Bolt, text: str, user: str = "U1") -> dict[str, Any]:
    url = bolt.stub.response_url()
    body = clip_body(text, user=user, response_url=url, trigger_id=bolt.stub.trigger())
    assert bolt.dispatch(body).status == 200
    (answer,) = bolt.responses(url.rsplit("/", 1)[-1])
    return answer


def test_clip_news_shows_the_leftovers_first_then_how_many_more(
    bolt: Bolt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clipper.slackclip, "NEWS_LEFT_OUT", 2)
    bolt.digest()
    answer = clip(bolt, "news acme")
    blocks = answer["blocks"]
    assert validate_blocks(blocks) == (None, [])
    assert item_titles(blocks) == ["Acme Robotics news 3", "Acme Robotics news 4"]
    assert sum(1 for b in blocks if b["type"] == "actions") == 2  # share, mute ... per item
    text = json.dumps(blocks)
    assert "3 more not yet shown: `/clip news Acme Robotics` again shows the next ones." in text
    latest = next(b for b in blocks if b.get("block_id") == "news-latest")["text"]["text"]
    assert latest.startswith("*Latest on Acme Robotics*\n• <")  # one match a line
    assert "news 3<" not in latest and "news 4<" not in latest  # not listed twice
    # recorded as shown once Slack took the answer (right after it, on the work thread)
    assert wait_for(lambda: len(bolt.left_out()) == 3)
    # again: the next ones; then only the latest, as before
    assert item_titles(clip(bolt, "news acme")["blocks"]) == [
        "Acme Robotics news 5",
        "Acme Robotics news 6",
    ]
    assert wait_for(lambda: len(bolt.left_out()) == 1)
    assert item_titles(clip(bolt, "news acme")["blocks"]) == ["Acme Robotics news 7"]
    assert wait_for(lambda: bolt.left_out() == [])
    answer = clip(bolt, "news acme")
    assert "blocks" not in answer and answer["text"].startswith("*Latest on Acme Robotics*")
    # another rep's account shows nothing of theirs
    assert clip(bolt, "news northwind")["text"].startswith(":warning: no account of yours")


def test_left_out_matches_are_not_offered_again_as_new(bolt: Bolt) -> None:
    bolt.digest()
    assert len(bolt.left_out()) == 5
    bolt.clock.advance(days=1)
    report = bolt.clipper.digest(rep=SAM, force=True)
    assert report.sent == 0 and len(bolt.stub.posts("DU1")) == 1
    assert len(bolt.left_out()) == 5  # still reachable


def test_buttons_on_a_private_news_answer_work_without_editing_it(bolt: Bolt) -> None:
    bolt.digest()
    blocks = clip(bolt, "news acme")["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"]

    def click_private(action_id: str, n: int) -> str:
        button = next(e for e in actions[n]["elements"] if e["action_id"] == action_id)
        url = bolt.stub.response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": "U1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "container": {"type": "message", "message_ts": "1.000001", "is_ephemeral": True},
            "trigger_id": bolt.stub.trigger(),
            "response_url": url,
            "actions": [dict(button, block_id=actions[n]["block_id"], action_ts=f"1.{n}")],
        }
        bolt.dispatch("payload=" + quote(json.dumps(payload)))
        return url.rsplit("/", 1)[-1]

    (answer,) = bolt.responses(click_private("not_relevant", 0))
    assert answer["text"] == "Marked not relevant; similar articles will be held back."
    click_private("share", 1)
    assert wait_for(lambda: len(bolt.stub.views) == 1)
    hidden = json.loads(bolt.stub.views[0]["private_metadata"])
    assert hidden["channel"] is None and hidden["ts"] is None  # nothing to update afterwards
    assert bolt.stub.updates == []


def test_without_slack_the_markdown_file_lists_every_match(
    tmp_path: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = [f"Acme Robotics *news* [{n}]" for n in range(8)]
    items = [
        {"title": t, "link": f"https://n.example/{n}", "guid": str(n)} for n, t in enumerate(titles)
    ]
    url = server.route("/feed", Reply(200, rss(items)))
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=ACCOUNTS,
        reps=REPS,
        settings={"digest": {"max_items_per_account": 3}},
    )
    clock = Clock()
    with make_clipper(load_config(path, {}), _clock=clock) as running:
        running.update_feeds()
        seed_matches(running.storage, clock(), lambda _a: mention("Acme Robotics"))
        running.digest(rep=SAM)
        (written,) = (tmp_path / "var" / "digests" / SAM).glob("*.md")
        text = written.read_text()
        head, more = text.split("**More on Acme Robotics**")
        assert head.count("- **[Acme Robotics \\*news\\* \\[") == 3
        assert more.count("- [Acme Robotics \\*news\\* \\[") == 5
        assert more.count("(<https://n.example/") == 5 and more.count("· Wire · ") == 5
        # every match was listed, so every one counts as shown; none waits behind a button
        assert running.storage.left_out_candidates(SAM, "Acme Robotics") == []
        week = (clock() - timedelta(days=7), clock() + timedelta(days=1))
        assert running.storage.shown_counts(*week) == {(SAM, "Acme Robotics"): 8}


def test_an_upgraded_database_counts_what_it_showed_before_from_the_digest_s_time(
    tmp_path: Path,
) -> None:
    old = Storage(tmp_path / "c.db")
    old.migrate(upto="0009_feed_source_type")
    old.close()
    at = to_db(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    with sqlite3.connect(tmp_path / "c.db") as conn:  # rows as that release wrote them
        conn.execute(
            "INSERT INTO digests (id, rep, kind, due_at, created_at, sink, items) "
            "VALUES (1, ?, 'digest', ?, ?, 'slack', 1)",
            (SAM, at, at),
        )
        conn.executemany(
            "INSERT INTO digest_items (rep, account, article_id, digest_id, shown) "
            "VALUES (?, 'Acme Robotics', ?, 1, ?)",
            [(SAM, 1, 1), (SAM, 2, 0)],
        )
    conn.close()
    new = Storage(tmp_path / "c.db")
    assert "0012_digest_items_shown_at" in new.migrate()
    day = datetime(2026, 11, 20, tzinfo=UTC)
    assert new.shown_counts(day, day + timedelta(days=1)) == {(SAM, "Acme Robotics"): 1}
    assert new.shown_counts(day + timedelta(days=1), day + timedelta(days=9)) == {}
    # the one left out becomes shown when shown, and counts on that day
    assert new.mark_shown(SAM, [(2, "Acme Robotics"), (3, "Acme Robotics")], NOW) == 1
    assert new.shown_counts(NOW, NOW + timedelta(seconds=1)) == {(SAM, "Acme Robotics"): 1}
    assert new.mark_shown(SAM, [(2, "Acme Robotics")], NOW) == 0
    new.close()


# ---------------------------------------------------------------------------------- over HTTP


def test_over_http_the_button_the_thread_and_news(
    bolt: Bolt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole path through the running server (waitress + Bolt): a digest over the cap,
    /clip news with its leftovers, the button posting the rest, a forged button refused."""
    monkeypatch.setattr(clipper.slackclip, "NEWS_LEFT_OUT", 2)
    server = Server(make_wsgi(bolt.app, Metrics(), bolt.clipper.health), "127.0.0.1", 0).start()
    try:
        base = f"http://127.0.0.1:{server.port}/slack/events"

        def post(body: str) -> int:
            headers = signed_headers(body, SECRET)
            return httpx.post(base, content=body, headers=headers, timeout=10).status_code

        message = bolt.digest()
        assert more_buttons(message["blocks"])[0]["text"]["text"] == "Show 5 more"
        url = bolt.stub.response_url()
        body = clip_body("news acme", user="U1", response_url=url, trigger_id=bolt.stub.trigger())
        assert post(body) == 200
        (news,) = bolt.responses(url.rsplit("/", 1)[-1])
        assert item_titles(news["blocks"]) == ["Acme Robotics news 3", "Acme Robotics news 4"]
        assert "3 more not yet shown" in json.dumps(news["blocks"])
        assert wait_for(lambda: len(bolt.left_out()) == 3)

        body, rid = press(bolt.stub, message)
        assert post(body) == 200
        assert wait_for(lambda: len(bolt.stub.updates) == 1)
        (reply,) = thread_posts(bolt.stub, message["ts"])
        assert item_titles(reply["blocks"]) == [f"Acme Robotics news {n}" for n in range(5, 8)]
        assert bolt.left_out() == []
        assert "3 more on Acme Robotics shown" in json.dumps(bolt.stub.updates[0]["blocks"])
        week = (bolt.clock() - timedelta(days=7), bolt.clock() + timedelta(days=1))
        assert bolt.clipper.storage.shown_counts(*week, rep=SAM) == {(SAM, "Acme Robotics"): 8}

        forged = json.dumps({"more": "Northwind Logistics"})
        body, rid = press(bolt.stub, message, forged, action_ts="1700000002.000001")
        assert post(body) == 200
        (answer,) = bolt.responses(rid)
        assert answer["text"].startswith(":warning: no account of yours is called")
        assert len(thread_posts(bolt.stub, message["ts"])) == 1
        assert bolt.left_out("Northwind Logistics", "dana@example.com") != []
    finally:
        server.close()


def test_a_left_out_item_for_you_only_says_so_in_the_markdown() -> None:
    # a layoff left out by the cap must not read as forwardable in the More on list
    items = [candidate(n) for n in range(1, 4)] + [
        candidate(4, event=EventKind.LAYOFFS, shareable=False, score=0.1)
    ]
    digest = build_digest(SAM, "Sam", items, {}, DigestPolicy(3, 30), NOW)
    _head, more = render_markdown(digest).split("**More on Acme Robotics**")
    (line,) = [line for line in more.splitlines() if "news.example/4" in line]
    assert line.endswith("· ⚠️ layoffs · for you only")
