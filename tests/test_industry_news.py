"""Issue 12 item 4: the "Your industries" section, industry news that named none of the rep's
accounts, in Slack and Markdown, capped, never repeated, and switched off per rep.

Articles arrive through the real fetcher from a local feed server into real SQLite; matches and
industries are stored through the storage port (``tests/test_cli.py`` runs the real matcher on
the bundled samples: "Port strike averted" reaches the logistics rep there).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clipper.config import load_config
from clipper.core import Clipper
from clipper.logic.blockkit import render_markdown, render_slack, validate
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
from .support.slack import stub

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
        assert "Rail freight" in industries and "Trucking capacity" not in industries
        assert "1 more not shown" in industries
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
        assert industries.count("Why: industry:") == 1 and "3 more not shown" in industries


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
    # industry items have no account, so no share, feedback or mute buttons
    assert all(b["type"] != "actions" for b in blocks[start:])


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
    request = DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.TERMINAL, NOW, None)
    composed = compose_digest(request, candidates, {}, DigestPolicy(max_industry_items=1))
    (markdown,) = [payload for _t, payload in composed.parts]
    assert "Story 1" in markdown and "Also in B" in markdown and "Story 3" not in markdown
    assert "Why: industries: logistics, shipping" in markdown
    assert composed.industry_covered == (
        (1, "logistics", True),
        (2, "shipping", True),
        (3, "logistics", False),
        (4, "logistics", False),
    )
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
