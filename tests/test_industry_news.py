"""Issue 12 item 4: the "Your industries" section, industry news that named none of the rep's
accounts, in Slack and Markdown, capped, never repeated, and switched off per rep.

Articles arrive through the real fetcher from a local feed server into real SQLite; matches and
industries are stored through the storage port (``tests/test_cli.py`` runs the real matcher on
the bundled samples: "Port strike averted" reaches the logistics rep there).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import clipper.slackclip
from clipper.adapters.storage import Storage
from clipper.config import load_config
from clipper.core import Clipper
from clipper.logic.blockkit import (
    SHOW_MORE_INDUSTRIES,
    render_markdown,
    render_slack,
    validate,
)
from clipper.logic.clip import parse_clip
from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.digest import DigestCandidate, DigestPolicy, build_digest
from clipper.slackclip import answer_clip
from clipper.types import DigestKind, IndustryMatch, Match, MatchResult, Sink
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub
from .support.seeding import SEED_OWNER, rss_items
from .support.slack import BoltApp, button_click, slack_environ, stub

__all__ = ["stub"]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REPS = [
    {"email": "dana@example.com", "name": "Dana"},
    {"email": "sam@example.com", "name": "Sam"},
]
ACCOUNTS = [
    {"name": "Northwind Logistics", "owner": "dana@example.com", "industry": "logistics"},
    {"name": "Acme Robotics", "owner": "sam@example.com", "industry": "manufacturing"},
]
TITLES = [
    "Northwind Logistics opens a freight hub in Rotterdam",
    "Port strike averted: dockworkers and terminal operators reach deal",
    "Container spot rates fall for a sixth week",
    "Rail freight volumes up 3% on intermodal demand",
    "Trucking capacity tightens before the holidays",
    "Factory orders rise for a third month",
]


@pytest.fixture
def slack_users() -> dict[str, str]:
    return {"dana@example.com": "U1", "sam@example.com": "U2"}


def candidate(n: int, **fields: Any) -> DigestCandidate:
    base: dict[str, Any] = {
        "article_id": n,
        "account": "",
        "title": f"Story {n}",
        "url": f"https://news.example/{n}",
        "source": "Wire",
        "published_at": NOW - timedelta(hours=n),
        "score": 0.5,
        "story_id": n,
        "industry": "logistics",
    }
    return DigestCandidate(**{**base, **fields})


def industry_of(title: str) -> str | None:
    if "Factory" in title:
        return "manufacturing"
    return None if title.startswith("Northwind") else "logistics"


def setup(
    tmp_path: Path,
    server: FeedServer,
    *,
    reps: list[dict[str, Any]] = REPS,
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> Clipper:
    """Serve TITLES, fetch them, and store what the matcher would: Northwind's article matches
    the account; the others are industry news only."""
    url = server.route("/feed", Reply(200, rss(rss_items(TITLES))))
    path = write_config(
        tmp_path,
        feeds={"logistics": [{"url": url, "name": "Freight Wire"}]},
        accounts=ACCOUNTS,
        reps=reps,
        settings={"slack": {"pace_s": 0.0}, **settings},
    )
    clock = Clock(NOW)
    clipper = make_clipper(load_config(path, environ or {}), _clock=clock)
    clipper.update_feeds()
    claimed = clipper.storage.claim_for_matching(clock(), SEED_OWNER, 60, 100)
    results = []
    for n, article in enumerate(claimed):
        industry = industry_of(article.title)
        matches = (
            (Match("Northwind Logistics", 0.9, ('mentions "Northwind Logistics"',)),)
            if industry is None
            else ()
        )
        # earlier titles score higher: "Port strike averted" is the top industry story
        score = 0.9 - n * 0.05
        industries = (IndustryMatch(industry or "logistics", score),)
        results.append((article.id, MatchResult(matches, industries)))
    clipper.storage.finish_matching(results, SEED_OWNER, clock())
    return clipper


def markdown_of(clipper: Clipper, rep: str) -> list[str]:
    return [p.payload for p in clipper.storage.digest_parts(rep)]


def test_industry_only_news_reaches_the_reps_of_that_industry_once(
    tmp_path: Path, server: FeedServer
) -> None:
    with setup(tmp_path, server) as clipper:
        clipper.digest(force=True)
        (dana,) = markdown_of(clipper, "dana@example.com")
        (sam,) = markdown_of(clipper, "sam@example.com")
        mine, industries = dana.split("## Your industries")
        # the account match is in Northwind's section, never again under industries
        assert "Northwind Logistics opens a freight hub" in mine
        assert "Northwind" not in industries
        # the top three industry stories (digest.max_industry_items), best first, with why
        assert industries.index("Port strike averted") < industries.index("Container spot")
        assert industries.count("Why: industry: logistics") == 3
        shown, more = industries.split("\n**More in your industries**")
        assert "Rail freight" in shown and "Trucking capacity" not in shown
        # the story over the cap is listed too, so it counts as shown: nothing waits
        assert "1 more story under **More in your industries**" in shown
        assert (
            "- [Trucking capacity tightens before the holidays](<https://news.example/4>)" in more
        )
        assert clipper.storage.industry_left_out_candidates("dana@example.com") == []
        # the manufacturing rep gets the manufacturing story, not the logistics ones
        assert "Factory orders rise" in sam and "Port strike" not in sam
        # nothing is repeated in the next digest: the section accounted for its stories
        clipper.clock.advance(hours=1)  # type: ignore[attr-defined]
        report = clipper.digest(force=True)
        assert len(markdown_of(clipper, "dana@example.com")) == 1
        assert "dana@example.com" in report.skipped_empty


def test_the_industry_cap_is_a_setting(tmp_path: Path, server: FeedServer) -> None:
    with setup(tmp_path, server, digest={"max_industry_items": 1}) as clipper:
        clipper.digest(force=True)
        (dana,) = markdown_of(clipper, "dana@example.com")
        industries = dana.split("## Your industries")[1]
        assert industries.count("Why: industry:") == 1
        assert "3 more stories under **More in your industries**" in industries


def test_reps_yaml_turns_the_section_off_and_clip_settings_turns_it_back_on(
    tmp_path: Path, server: FeedServer
) -> None:
    reps = [{**REPS[0], "industries": False}, REPS[1]]
    with setup(tmp_path, server, reps=reps) as clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        clipper.digest(rep=dana.email, force=True)
        (first,) = markdown_of(clipper, dana.email)
        assert "Your industries" not in first and "Port strike" not in first
        answer = answer_clip(clipper, dana, parse_clip("settings industries on"), "k1")
        assert "industry news is now on" in answer and "Your industries" in answer
        clipper.clock.advance(hours=1)  # type: ignore[attr-defined]
        clipper.digest(rep=dana.email, force=True)
        second = markdown_of(clipper, dana.email)[-1]
        assert "## Your industries" in second and "Port strike averted" in second


def test_clip_settings_industries_off_leaves_the_section_out(
    tmp_path: Path, server: FeedServer
) -> None:
    with setup(tmp_path, server) as clipper:
        dana = clipper.find_rep(email="dana@example.com")
        assert dana is not None
        before = clipper.storage.next_digest_at(dana.email)
        answer = answer_clip(clipper, dana, parse_clip("settings industries off"), "k1")
        assert "industry news is now off" in answer and "leaves out" in answer
        assert clipper.storage.next_digest_at(dana.email) == before  # the schedule stays
        clipper.digest(rep=dana.email, force=True)
        (only,) = markdown_of(clipper, dana.email)
        assert "Northwind Logistics opens" in only and "Your industries" not in only


def test_a_bad_industries_value_in_reps_yaml_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, reps=[{"email": "dana@example.com", "industries": "sometimes"}])
    config = load_config(path, {})
    (problem,) = config.problems
    assert "reps.yaml:" in problem and "reps[0].industries" in problem
    assert "industries must be true or false" in problem and "'sometimes'" in problem


def test_clip_settings_industries_takes_on_or_off() -> None:
    with pytest.raises(Exception, match="`on` or `off`"):
        parse_clip("settings industries maybe")
    assert parse_clip("settings industries OFF").value == "off"


def test_industry_items_are_delivered_to_slack_within_its_limits(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    environ = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_BASE_URL": stub.base_url}
    with setup(tmp_path, server, environ=environ) as clipper:
        clipper.digest(force=True)
    assert stub.rejected == []
    (message,) = stub.posts("DU1")
    blocks = message["blocks"]
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers[-1] == "Your industries"
    start = [b.get("text", {}).get("text") for b in blocks].index("Your industries")
    texts = [b["text"]["text"] for b in blocks[start:] if b["type"] == "section"]
    assert len(texts) == 3 and "Port strike averted" in texts[0]
    assert all("_Why: industry: logistics_" in t for t in texts)
    # industry items have no account, so no share, feedback or mute buttons: the one button
    # is the section's "Show 1 more"
    actions = [
        e["action_id"] for b in blocks[start:] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [SHOW_MORE_INDUSTRIES]


def test_the_section_splits_across_parts_within_block_kit_limits() -> None:
    accounts = [
        candidate(n, account="Acme", industry=None, title="A" * 300, reasons=("r" * 400,))
        for n in range(1, 60)
    ]
    industry = [candidate(n, title="<b>&" + "I" * 300) for n in range(100, 110)]
    request = DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.SLACK, NOW, None)
    policy = DigestPolicy(max_items_per_account=59, max_items=59, max_industry_items=10)
    composed = compose_digest(request, accounts + industry, {}, policy)
    assert len(composed.parts) > 1
    seen: list[int] = []
    for _text, payload in composed.parts:
        blocks = json.loads(payload)
        assert validate(blocks) == []
        assert "<b>" not in payload  # hostile titles are escaped
        seen += [int(b["text"]["text"].count("IIII") > 0) for b in blocks if b["type"] == "section"]
    assert sum(seen) == 10  # every industry item once
    assert sorted(c[0] for c in composed.industry_covered) == list(range(100, 110))
    assert all(shown for _aid, _industry, shown in composed.industry_covered)


def test_one_item_per_story_and_left_out_stories_are_covered_not_shown() -> None:
    candidates = [
        candidate(1, story_id=7, score=0.6, source="A"),
        candidate(2, story_id=7, score=0.5, source="B", industry="shipping"),
        candidate(3, score=0.4),
        candidate(4, score=0.3),
    ]
    request = DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.SLACK, NOW, None)
    composed = compose_digest(request, candidates, {}, DigestPolicy(max_industry_items=1))
    (payload,) = [payload for _t, payload in composed.parts]
    assert "Story 1" in payload and "Also in B" in payload and "Story 3" not in payload
    assert "Why: industries: logistics, shipping" in payload
    # in Slack the stories over the cap wait behind the section's button: not shown yet
    assert composed.industry_covered == (
        (1, "logistics", True),
        (2, "shipping", True),
        (3, "logistics", False),
        (4, "logistics", False),
    )
    # the Markdown lists them under "More in your industries": shown
    terminal = replace(request, sink=Sink.TERMINAL)
    markdown = compose_digest(terminal, candidates, {}, DigestPolicy(max_industry_items=1))
    head, more = markdown.parts[0][1].split("\n**More in your industries**")
    assert "Story 3" not in head and "- [Story 3](<https://news.example/3>)" in more
    assert all(shown for _aid, _industry, shown in markdown.industry_covered)
    # an alert never carries industry news
    alert = compose_digest(
        DigestRequest("r@x.example", "R", DigestKind.ALERT, Sink.TERMINAL, NOW, None),
        candidates,
        {},
        DigestPolicy(),
    )
    assert alert.parts == () and alert.industry_covered == ()


def test_a_digest_of_industry_news_alone_renders_in_both_sinks() -> None:
    digest = build_digest("r@x.example", "R", [], {}, DigestPolicy(), NOW)
    assert digest.is_empty()
    request = DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.SLACK, NOW, None)
    composed = compose_digest(request, [candidate(1)], {}, DigestPolicy())
    (part,) = composed.parts
    assert "Your industries" in part[1]
    assert render_slack(digest) == [] and "Your industries" not in render_markdown(digest)


# ------------------------------------------------------- nothing lost behind "N more" (Slack)

SECRET = "industry-secret"


class Bolt(BoltApp):
    """Dana's digest over Slack with one industry story a digest, the Bolt app and its queue."""

    def __init__(self, tmp_path: Path, server: FeedServer, stub: SlackStub) -> None:
        environ = slack_environ(stub, SECRET)
        clipper = setup(tmp_path, server, environ=environ, digest={"max_industry_items": 1})
        super().__init__(clipper, stub, SECRET)
        stub.ts_clock = lambda: self.clipper.clock().timestamp()  # type: ignore[attr-defined]

    def status(self, body: str) -> int:
        return int(self.dispatch(body).status)

    def waiting(self) -> list[str]:
        """The titles of Dana's left-out industry stories not shown since."""
        left = self.clipper.storage.industry_left_out_candidates("dana@example.com")
        return sorted(c.title for c in left)

    def ask(self, text: str) -> dict[str, Any]:
        response, rid = self.clip(text)
        assert response.status == 200
        (answer,) = wait_until(lambda: self.stub.responses[rid])
        return dict(answer)


def wait_until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def bolt(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Iterator[Bolt]:
    running = Bolt(tmp_path, server, stub)
    yield running
    running.close()


def section_titles(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        b["text"]["text"].split("|", 1)[1].split(">", 1)[0]
        for b in blocks
        if b["type"] == "section" and b.get("block_id", "").startswith("item-")
    ]


LEFT_OUT = [
    "Container spot rates fall for a sixth week",
    "Rail freight volumes up 3% on intermodal demand",
    "Trucking capacity tightens before the holidays",
]


def test_the_industry_stories_over_the_cap_come_with_a_show_more_button(bolt: Bolt) -> None:
    bolt.clipper.digest(force=True)
    assert bolt.stub.rejected == []
    (message,) = bolt.stub.posts("DU1")
    blocks = message["blocks"]
    (button,) = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == SHOW_MORE_INDUSTRIES
    ]
    assert button["text"]["text"] == "Show 3 more" and blocks[-1]["elements"] == [button]
    assert "3 more stories under *Show 3 more*" in json.dumps(blocks)
    assert section_titles(blocks)[-1].startswith("Port strike averted")
    # covered, not shown: they wait for the button
    assert bolt.waiting() == LEFT_OUT

    clicked = dict(button, block_id=blocks[-1]["block_id"], type="button", action_ts="17.1")
    body, _rid = button_click(bolt.stub, clicked, message=message)
    assert bolt.status(body) == 200
    (update,) = wait_until(lambda: bolt.stub.updates)
    (reply,) = [
        c.body
        for c in bolt.stub.calls
        if c.method == "chat.postMessage" and c.body.get("thread_ts") == message["ts"]
    ]
    reply_blocks = (
        json.loads(reply["blocks"]) if isinstance(reply["blocks"], str) else reply["blocks"]
    )
    assert validate(reply_blocks) == []
    assert reply_blocks[0]["text"]["text"] == "Not yet shown in your industries"
    # best first, as in the digest; industry items carry no buttons
    assert [t.split(" ", 1)[0] for t in section_titles(reply_blocks)] == [
        "Container",
        "Rail",
        "Trucking",
    ]
    assert all(b["type"] != "actions" for b in reply_blocks)
    # shown now, and the button became a note
    assert bolt.waiting() == []
    assert SHOW_MORE_INDUSTRIES not in json.dumps(update["blocks"])
    assert "3 more in your industries shown in the thread below" in json.dumps(update["blocks"])


def test_clip_news_industries_shows_what_the_digest_left_out_a_page_at_a_time(
    bolt: Bolt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clipper.slackclip, "NEWS_LEFT_OUT", 2)
    bolt.clipper.digest(force=True)
    answer = bolt.ask("news industries")
    assert validate(answer["blocks"]) == []
    assert [t.split(" ", 1)[0] for t in section_titles(answer["blocks"])] == ["Container", "Rail"]
    assert "1 more not yet shown: `/clip news industries` again shows the next ones." in json.dumps(
        answer["blocks"]
    )
    # counted as shown once Slack took the answer, and only those
    wait_until(lambda: bolt.waiting() == [LEFT_OUT[2]])
    again = bolt.ask("news industry Logistics")  # one industry, by name
    assert [t.split(" ", 1)[0] for t in section_titles(again["blocks"])] == ["Trucking"]
    wait_until(lambda: bolt.waiting() == [])
    assert bolt.ask("news industries")["text"] == (
        "Nothing more in *logistics*: every industry story your digests had has been shown."
    )
    unknown = bolt.ask("news industry farming")["text"]
    assert unknown.startswith(":warning: none of your accounts is in an industry called *farming*")


def test_an_upgraded_database_dates_what_it_showed_and_keeps_the_rest_waiting(
    tmp_path: Path,
) -> None:
    old = Storage(tmp_path / "c.db")
    old.migrate(upto="0018_touch_webhook")
    old.close()
    at = "2026-11-20T08:00:00.000000+00:00"
    with sqlite3.connect(tmp_path / "c.db") as conn:  # rows as that release wrote them
        conn.execute(
            "INSERT INTO digests (id, rep, kind, due_at, created_at, sink, items) "
            "VALUES (1, 'dana@example.com', 'digest', ?, ?, 'slack', 1)",
            (at, at),
        )
        conn.executemany(
            "INSERT INTO digest_industry_items (rep, article_id, industry, digest_id, shown) "
            "VALUES ('dana@example.com', ?, 'logistics', 1, ?)",
            [(1, 1), (2, 0)],
        )
    conn.close()
    new = Storage(tmp_path / "c.db")
    assert "0022_industry_items_shown_at" in new.migrate()
    # the one shown then is dated by its digest; the one left out waits, and is shown once
    assert new.mark_industry_shown("dana@example.com", [1, 2], NOW) == 1
    new.close()
    with sqlite3.connect(tmp_path / "c.db") as conn:
        rows = conn.execute(
            "SELECT article_id, shown, shown_at FROM digest_industry_items ORDER BY article_id"
        ).fetchall()
    conn.close()
    assert rows[0] == (1, 1, at) and rows[1][:2] == (2, 1) and rows[1][2].startswith("2026-11-23")
