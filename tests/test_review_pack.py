"""``clipper review ACCOUNT`` as a rep runs it before a customer's quarterly review: a child
process on a real SQLite database holding seeded articles and matches (news, a business event,
industry stories) and touches imported with ``clipper touches import``; Markdown and HTML, a
hostile headline shown as text, an unknown account refused with the closest names."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from clipper.exceptions import FetchError
from clipper.logic.feedstate import decide_failure
from clipper.logic.schedule import PollPolicy
from clipper.logic.touches import TouchPolicy
from clipper.types import IndustryMatch, Match, MatchResult, TouchChannel

from .conftest import build, write_config
from .support.cli import run_clipper
from .support.seeding import SEED_OWNER, article_intent, feed_source

HOSTILE = "<script>alert('x')</script> **Acme** [win](javascript:alert(1)) & `rm` | #1"
ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Acme Robotics",
        "aliases": ["Acme"],
        "owner": "dana@example.com",
        "industry": "robotics",
        "contacts": [{"name": "Jo Park"}, {"name": "Ann Lee"}, {"name": "Kim Cho"}],
    },
    {"name": "Helix Components", "owner": "sam@example.com"},
]
REPS = [
    {"email": "dana@example.com", "name": "Dana Lee"},
    {"email": "sam@example.com", "name": "Sam Ortiz"},
]


def _seed(tmp_path: Path) -> tuple[Path, str]:
    """A configuration and last quarter's label, with that quarter's news, events, industry
    stories, imported touches and one share on file (and some outside the quarter)."""
    config = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
    _config, clipper = build(config)
    with clipper:
        policy: TouchPolicy = clipper.touch_policy()
        quarter = policy.quarter_of(clipper.clock()).shifted(-1)
        start = policy.quarter_start(quarter)
        storage = clipper.storage
        storage.sync_feeds([feed_source(0, industry="robotics")], start)
        (feed,) = storage.claim_feeds(start, "w", 60, due_only=False, limit=1)
        failed = decide_failure(feed, FetchError(feed.url, "seeding"), start, PollPolicy())

        def day(offset: int) -> datetime:
            return start + timedelta(days=offset, hours=12)

        articles = [
            ("funding", "Acme Robotics raises $50M Series C", day(5)),
            ("hostile", HOSTILE, day(8)),
            ("before", "Acme Robotics opens an office (last year)", day(-30)),
            ("trend-a", "Warehouse robots get cheaper", day(12)),
            ("trend-b", "Cobots on every line", day(30)),
            ("finance", "Banks raise rates", day(13)),
        ]
        storage.apply_feed_update(
            failed,
            [
                article_intent(
                    feed.id,
                    guid=key,
                    url=f"https://news.example/{key}",
                    title=title,
                    summary=title,
                    at=when,
                    source="Robot Wire",
                )
                for key, title, when in articles
            ],
            "w",
        )
        claimed = storage.claim_for_matching(start, SEED_OWNER, 60, 100)
        ids = {a.title: a.id for a in claimed}
        acme = "Acme Robotics"
        results = {
            ids[articles[0][1]]: MatchResult(
                (Match(acme, 0.9, ('mentions "Acme Robotics"',), "funding", True),), ()
            ),
            ids[HOSTILE]: MatchResult((Match(acme, 0.7, ('mentions "Acme"',), None, True),), ()),
            ids[articles[2][1]]: MatchResult((Match(acme, 0.8, ("old",), None, True),), ()),
            ids[articles[3][1]]: MatchResult((), (IndustryMatch("robotics", 0.9),)),
            ids[articles[4][1]]: MatchResult((), (IndustryMatch("robotics", 0.6),)),
            ids[articles[5][1]]: MatchResult((), (IndustryMatch("finance", 0.95),)),
        }
        storage.finish_matching(list(results.items()), SEED_OWNER, start)
        # a share of the funding story to Ann Lee, as the share window logs it
        storage.add_touch(
            "dana@example.com",
            acme,
            TouchChannel.SLACK_SHARE,
            day(6),
            article_id=ids[articles[0][1]],
            note="Congratulations on the round!",
            contact="Ann Lee",
            idempotency_key="share-1",
        )
    export = tmp_path / "tasks.csv"
    export.write_text(
        "Id,Subject,ActivityDate,Account.Name,Owner.Email,Type,Description,Who.Name\n"
        f"T1,QBR prep,{day(10).date()},Acme Robotics,dana@example.com,Call,Agenda agreed,"
        "Jo Park\n"
        f"T2,Follow-up,{day(20).date()},Acme,dana@example.com,Email,,Jo Park\n"
        f"T3,Old lunch,{day(-40).date()},Acme Robotics,dana@example.com,Meeting,,Kim Cho\n"
        f"T4,Visit,{day(15).date()},Helix Components,sam@example.com,Meeting,,\n"
    )
    imported = run_clipper(config, "touches", "import", str(export))
    assert imported.returncode == 0 and "added 4" in imported.stdout, imported.stderr
    return config, quarter.label


def test_the_markdown_pack_has_the_quarter_s_touches_news_shares_and_trends(
    tmp_path: Path,
) -> None:
    config, label = _seed(tmp_path)
    result = run_clipper(config, "review", "acme", "--quarter", label)
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith(f"# Acme Robotics: quarterly review {label}\n")
    sections = re.findall(r"^## (.+)$", page, flags=re.M)
    assert sections == [
        "Touches",
        "Contacts reached",
        "Business events",
        "News",
        "Articles shared",
        "Industry trends",
    ]
    # three touches in the quarter (the share and two imported), the older one left out
    assert "3 touches this quarter against a target of 1." in page
    assert "| Dana Lee | salesforce | Jo Park | QBR prep · Agenda agreed |" in page
    assert "Old lunch" not in page
    # contacts reached, in order of first touch, and the one not reached this quarter
    reached = page.split("## Contacts reached")[1].split("##")[0]
    assert reached.index("- Ann Lee") < reached.index("- Jo Park")
    assert "Not reached: Kim Cho." in reached
    events = page.split("## Business events")[1].split("##")[0]
    assert "**funding**" in events and "Acme Robotics raises $50M Series C" in events
    assert "(<https://news.example/funding>)" in events and HOSTILE not in events
    news = page.split("## News")[1].split("##")[0]
    assert news.count("\n- ") == 2 and "last year" not in news
    shared = page.split("## Articles shared")[1].split("##")[0]
    assert "Acme Robotics raises $50M Series C" in shared and "to Ann Lee" in shared
    trends = page.split("## Industry trends")[1]
    assert trends.index("Warehouse robots get cheaper") < trends.index("Cobots on every line")
    assert "Banks raise rates" not in page
    # the hostile headline is text: no raw HTML, no emphasis, no link of its own
    assert "<script>" not in page and "[win](javascript" not in page
    assert (
        "\\<script\\>alert('x')\\</script\\> \\*\\*Acme\\*\\* "
        "\\[win\\](javascript:alert(1)) &amp; \\`rm\\` \\| \\#1"
    ) in page

    # Helix: one touch by Sam, no industry, no news
    helix = run_clipper(config, "review", "helix components", "--quarter", label)
    assert helix.returncode == 0, helix.stderr
    assert (
        "1 touch this quarter" in helix.stdout and "No news matched this quarter." in helix.stdout
    )
    assert "The account has no industry in the accounts file." in helix.stdout


def test_the_html_pack_is_one_page_with_every_user_string_escaped(tmp_path: Path) -> None:
    config, label = _seed(tmp_path)
    target = tmp_path / "review.html"
    result = run_clipper(
        config,
        "review",
        "Acme Robotics",
        "--quarter",
        label,
        "--format",
        "html",
        "--out",
        str(target),
    )
    assert result.returncode == 0 and result.stdout == "", result.stderr
    assert f"wrote {target}" in result.stderr
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "javascript:" not in page.replace(
        "[win](javascript:alert(1))", ""
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; **Acme**" in page
    assert '<a href="https://news.example/hostile" rel="noopener noreferrer">' in page
    assert '<span class="event">funding</span>' in page
    assert "<td>Dana Lee</td><td>salesforce</td><td>Jo Park</td>" in page
    assert "src=" not in page and "<link" not in page  # self-contained: nothing to load
    # the same pack to standard output
    piped = run_clipper(config, "review", "acme", "--quarter", label, "--format", "html")
    assert piped.returncode == 0 and piped.stdout == page


def test_an_unknown_account_or_quarter_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    config = write_config(tmp_path, accounts=ACCOUNTS, reps=REPS)
    unknown = run_clipper(config, "review", "Acme Robotcs")
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "unknown account 'Acme Robotcs'. Did you mean 'Acme Robotics'?" in unknown.stderr
    nothing_close = run_clipper(config, "review", "Zebra")
    assert nothing_close.returncode == 1
    assert "Accounts: Acme Robotics, Helix Components" in nothing_close.stderr
    bad = run_clipper(config, "review", "acme", "--quarter", "Q4")
    assert bad.returncode == 1 and "not a quarter: 'Q4'" in bad.stderr
    future = run_clipper(config, "review", "acme", "--quarter", "2999Q1")
    assert future.returncode == 1 and "quarter 2999Q1 has not begun" in future.stderr
    # this quarter, with nothing on file yet: an empty pack, not an error
    empty = run_clipper(config, "review", "acme")
    assert empty.returncode == 0, empty.stderr
    assert "0 touches this quarter" in empty.stdout
    assert "No robotics stories this quarter." in empty.stdout
