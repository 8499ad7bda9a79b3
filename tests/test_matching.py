"""Matching: pure decisions with given evidence, and the real model end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from clipper.cli import main
from clipper.logic.events import main_event
from clipper.logic.matching import (
    AccountEvidence,
    ArticleEvidence,
    IndustryEvidence,
    Thresholds,
    decide_matches,
)
from clipper.logic.sense import SenseEvidence, SenseThresholds, Verdict, decide_sense
from clipper.logic.watch import parse_watch
from clipper.types import Mention, MentionKind

from .conftest import REPO


def mention(account: str, text: str, *, confident: bool = True) -> Mention:
    return Mention(account, text, 0, len(text), MentionKind.NAME, confident)


def test_confident_mentions_match_with_reasons_and_event() -> None:
    sense = decide_sense(SenseEvidence("Acme", [mention("Acme", "Acme")]), SenseThresholds())
    result = decide_matches(
        ArticleEvidence(
            accounts={
                "Acme": AccountEvidence(
                    0.6,
                    mentions=[mention("Acme", "Acme")],
                    sense=sense,
                    event=main_event("Acme lays off 300 workers", about=[0]),
                )
            },
        ),
        Thresholds(),
    )
    (match,) = result.matches
    assert match.account == "Acme" and match.score == pytest.approx(0.88)
    assert match.reasons == ('mentions "Acme"', "layoffs: lays off 300 workers")
    assert match.event == "layoffs" and match.shareable is False
    # numbers are for `clipper explain`, never in the reasons a rep reads
    assert result.notes == ("Acme: similarity 0.60 to the account",)


def test_a_candidate_matches_only_in_the_company_sense_and_says_why_not() -> None:
    weak = [mention("Target", "Target", confident=False)]
    company = decide_sense(
        SenseEvidence("Target", weak, company_similarity=0.55, other_similarity=0.1),
        SenseThresholds(),
    )
    other = decide_sense(
        SenseEvidence(
            "Target",
            weak,
            company_similarity=0.2,
            other_similarity=0.4,
            other_sense="weapons or war",
        ),
        SenseThresholds(),
    )
    about = ArticleEvidence(
        accounts={"Target": AccountEvidence(0.55, mentions=weak, sense=company)}
    )
    unrelated = ArticleEvidence(
        accounts={"Target": AccountEvidence(0.2, mentions=weak, sense=other)}
    )
    assert [m.account for m in decide_matches(about, Thresholds()).matches] == ["Target"]
    result = decide_matches(unrelated, Thresholds())
    assert result.matches == ()
    assert result.dropped[0].startswith('Target: "target" here means weapons or war')
    # without a description, products or industry there is nothing to decide by
    names_only = decide_sense(
        SenseEvidence("Target", weak, company_similarity=0.9, describes=False),
        SenseThresholds(),
    )
    assert names_only.verdict is Verdict.OTHER and "no description" in names_only.reason


def test_watch_terms_semantic_terms_and_vetoes() -> None:
    boolean = parse_watch("cross-dock")
    semantic = parse_watch("~warehouse automation")
    evidence = ArticleEvidence(
        accounts={
            "Northwind": AccountEvidence(
                0.1, watch_hits=[(boolean, ["Cross-Dock"])], semantic=[(semantic, 0.71)]
            ),
            "Shell": AccountEvidence(0.9, mentions=[mention("Shell", "Shell")], vetoed=True),
        }
    )
    (match,) = decide_matches(evidence, Thresholds()).matches
    assert match.account == "Northwind" and match.score == pytest.approx(0.71)
    assert match.reasons == (
        "watch term: cross-dock",
        'close to the watch phrase "~warehouse automation"',
    )


def test_industries_use_the_source_feed_as_a_prior() -> None:
    evidence = ArticleEvidence(
        industries={"logistics": IndustryEvidence(0.37), "energy": IndustryEvidence(0.2)},
        source_industry="logistics",
    )
    (industry,) = decide_matches(evidence, Thresholds(industry=0.4)).industries
    assert industry.industry == "logistics" and industry.score == pytest.approx(0.42)
    assert industry.reason == "close to the industry (from an industry feed)"


def test_industry_keywords_in_the_lead_add_evidence_and_say_so() -> None:
    quiet = ArticleEvidence(industries={"energy": IndustryEvidence(0.36)})
    assert decide_matches(quiet, Thresholds()).industries == ()
    said = ArticleEvidence(
        industries={"energy": IndustryEvidence(0.36, keywords=("Crude", "OPEC", "crude"))}
    )
    (industry,) = decide_matches(said, Thresholds()).industries
    assert industry.industry == "energy" and industry.reason == 'mentions "Crude", "OPEC"'


@pytest.fixture(scope="module")
def sample_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    for folder in ("config", "feeds"):
        shutil.copytree(REPO / folder, root / folder)
    return root / "config" / "clipper.yaml"


def test_match_command_on_the_sample_accounts(sample_config: Path, tmp_path: Path) -> None:
    articles = [
        {
            "id": 1,
            "title": "Acme Robotics to acquire vision start-up Lumen Sight",
            "summary": "The deal adds machine-vision inspection to Acme's cell controllers.",
        },
        {"id": 2, "title": "Helix Components lays off 300 as automotive orders slow"},
        {"id": 3, "title": "Analysts missed their target again as markets slid"},
        {
            "id": 4,
            "title": "Container spot rates fall as Asia-Europe shipping capacity returns",
            "summary": "Carriers restored sailings on the lane; freight forwarders expect more.",
        },
        {
            "id": 5,
            "title": "Helix Components lays off 300 as automotive orders slow",
            "summary": "The supplier will shut a line in Ohio. Separately, Acme Robotics acquired "
            "a vision start-up.",
        },
        "not an object",
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles) + "\n{broken\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main, ["--config", str(sample_config), "match", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "in.jsonl:6: needs an object with id and title" in result.output
    assert "in.jsonl:7: not JSON" in result.output
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {1, 2, 3, 4, 5}
    (acme,) = rows[1]["matches"]
    assert acme["account"] == "Acme Robotics" and acme["event"] == "M&A" and acme["shareable"]
    (helix,) = rows[2]["matches"]
    assert helix["account"] == "Helix Components" and helix["shareable"] is False
    assert rows[3]["matches"] == []
    assert rows[4]["matches"] == []
    assert rows[4]["industries"][0]["industry"] == "logistics"
    assert rows[4]["industries"][0]["reason"]
    # each account gets the event of the sentences that name it
    events = {m["account"]: m["event"] for m in rows[5]["matches"]}
    assert events == {"Helix Components": "layoffs", "Acme Robotics": "M&A"}


def test_explain_prints_reasons(sample_config: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--config",
            str(sample_config),
            "explain",
            "--title",
            "Helix Components sued over late deliveries",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Helix Components score" in result.output and "(for you only)" in result.output
    assert 'mentions "Helix Components"' in result.output


def test_a_rejected_false_positive_does_not_come_back(tmp_path: Path, server) -> None:  # type: ignore[no-untyped-def]
    from clipper.config import load_config
    from clipper.exceptions import CommandUsageError
    from clipper.wiring import make_clipper

    from .conftest import Clock, write_config
    from .feedserver import Reply, rss

    first = [
        {
            "title": "Zentrix releases a new album and a music video",
            "link": "http://music.example/zentrix-album",
            "guid": "g5",
        }
    ]
    later = first + [
        {
            "title": "Zentrix announces a world tour after the new album",
            "link": "http://music.example/zentrix-tour",
            "guid": "g6",
        },
        {
            "title": "Zentrix Logistics opens a cross-dock warehouse in Ohio",
            "link": "http://freight.example/zentrix-ohio",
            "guid": "f1",
        },
    ]
    url = server.route("/feed", Reply(200, rss(first)))
    path = write_config(
        tmp_path,
        feeds={"logistics": [{"url": url, "name": "Mixed news"}]},
        accounts=[
            {
                "name": "Zentrix",
                "aliases": ["Zentrix Logistics"],
                "industry": "logistics",
                "owner": "rep@example.com",
            }
        ],
    )
    clock = Clock()
    clipper = make_clipper(load_config(path, {}), _clock=clock)
    with clipper:
        summary = clipper.update_feeds()
        assert summary.new_articles == 1 and clipper.match_pending() == (1, 1)
        (wrong,) = clipper.storage.recent_matches()
        assert wrong.account == "Zentrix" and "album" in wrong.title
        assert clipper.record_feedback("Zentrix", wrong.article_id, "not_this_company")
        with pytest.raises(CommandUsageError):
            clipper.record_feedback("Zentrix", wrong.article_id, "meh")
        server.route("/feed", Reply(200, rss(later)))
        clock.advance(days=1)
        clipper.update_feeds(due_only=False)
        assert clipper.match_pending() == (2, 1)
        titles = [m.title for m in clipper.storage.recent_matches()]
        assert "Zentrix Logistics opens a cross-dock warehouse in Ohio" in titles
        assert not any("season 6" in t for t in titles)


def test_industry_keywords_match_whole_words_and_capitals_only_in_capitals() -> None:
    from clipper.matcher import _found, _keywords

    pattern = _keywords(["IT", "C++", "3PL", "R&D", "port", " "])
    assert pattern is not None and _keywords([" ", ""]) is None
    assert _found(pattern, "It is what it is; IT budgets and C++ at a 3PL, R&D at the port") == (
        "IT",
        "C++",
        "3PL",
        "R&D",
        "port",
    )
    assert _found(pattern, "Portugal exports, airport news") == ()
