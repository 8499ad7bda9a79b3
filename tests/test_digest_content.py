"""What a digest item says: the article's lead, its image, its date, the story's headline, one
item per story however many of the rep's accounts it names, and low-value posts ranked down.

Pure rules are checked directly; rendering is checked with the Slack stand-in's own validator;
the two-accounts case runs end to end (local feed server, real SQLite, the Slack stand-in).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipper.config import load_config
from clipper.exceptions import ConfigError
from clipper.logic.blockkit import render_markdown, render_slack
from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.content import (
    LowValue,
    headline_score,
    image_url,
    is_teaser,
    lead_text,
    low_value_kind,
    story_headline,
)
from clipper.logic.digest import (
    DigestCandidate,
    DigestPolicy,
    build_digest,
    build_industry_section,
    date_text,
)
from clipper.server import Metrics, Server, make_wsgi
from clipper.slackapp import WorkQueue, make_slack_app
from clipper.types import DigestKind, EventKind, Sink
from clipper.wiring import make_clipper

from .conftest import Clock, write_config
from .feedserver import FeedServer, Reply, rss
from .slackstub import SlackStub, validate_blocks
from .support.seeding import mention, seed_matches
from .support.slack import button_click, signed_headers, stub

__all__ = ["stub"]

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def candidate(n: int, account: str = "AT&T", **kw: object) -> DigestCandidate:
    fields: dict[str, object] = {
        "article_id": n,
        "account": account,
        "title": f"{account} signs a network deal with Contoso number {n}",
        "url": f"https://news.example/{n}",
        "source": "Wire",
        "published_at": NOW - timedelta(hours=n),
        "score": 0.9 - n / 100,
        "reasons": (f'mentions "{account}"',),
    }
    fields.update(kw)
    return DigestCandidate(**fields)  # type: ignore[arg-type]


def sections_text(blocks: Any) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# ------------------------------------------------------------------------------------- leads


def test_the_lead_is_one_or_two_whole_sentences_without_boilerplate() -> None:
    summary = (
        "AT&T agreed to sell its stake in DirecTV to TPG for $7.6 billion. The deal closes in "
        "the second half of the year, the U.S. carrier said on Tuesday. Analysts expect more "
        "sales. The post AT&T sells DirecTV stake appeared first on Telecom Daily."
    )
    lead = lead_text("AT&T sells DirecTV stake", summary)
    assert lead == (
        "AT&T agreed to sell its stake in DirecTV to TPG for $7.6 billion. The deal closes in "
        "the second half of the year, the U.S. carrier said on Tuesday."
    )
    # "Continue reading" and the like never reach the rep
    assert lead_text("T", "Acme opened a plant in Ohio today. Continue reading →") == (
        "Acme opened a plant in Ohio today."
    )


def test_a_long_first_sentence_is_cut_after_a_whole_word() -> None:
    long = "Acme " + " ".join(f"word{n}" for n in range(200)) + "."
    lead = lead_text("T", long, budget=120)
    assert len(lead) <= 120 and lead.endswith("…")
    assert lead[:-1].split()[-1] in long.split()  # never mid-word


def test_the_lead_falls_back_to_the_articles_content_and_skips_a_repeated_title() -> None:
    title = "Port strike averted at the last minute"
    content = "Dock workers and operators agreed a deal. Ports reopen Monday. Talks took a week."
    assert lead_text(title, title, None, content) == (
        "Dock workers and operators agreed a deal. Ports reopen Monday."
    )
    assert lead_text(title, "", "", None) == ""


def test_a_summary_the_feed_cut_short_says_so_and_any_script_has_a_lead() -> None:
    cut_by_feed = "No one needs to go to this annual gadget show when it is covered by every"
    assert lead_text("CES", cut_by_feed) == cut_by_feed + "…"
    russian = "Работы по возведению детского сада идут с опережением графика. Деньги есть."
    assert lead_text("В Бузулуке детсад", russian) == russian


# ------------------------------------------------------------------------------------ images


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/a.jpg",
        "javascript:alert(1)",
        "https://127.0.0.1/a.jpg",
        "https://10.0.0.5/a.jpg",
        "https://[::1]/a.jpg",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/a.jpg",
        "https://intranet/a.jpg",
        "https://printer.local/a.jpg",
        "https://user:pw@cdn.example.com/a.jpg",
        "https://cdn.example.com:8443/a.jpg",
        "https://cdn.example.com/a b.jpg",
        "https://cdn.example.com/a.jpg?x=<!channel>",
        "https://127.1/a.jpg",  # loopback written short (inet_aton reads it as 127.0.0.1)
        "https://10.1/a.jpg",
        "https://0177.0.0.1/a.jpg",  # octal
        "https://cdn.example.com/a.jpg\u202e",  # a right-to-left override
        "https://cdn.example.com/a\u200b.jpg",
        "https://cdn.example.com/" + "x" * 3000,
        "https://cdn.example.com/photo.webp",
        "https://cdn.example.com/logo.svg",
        "https://stats.example.com/pixel.gif?id=1",
        "https://cdn.example.com/i/1x1.png",
        "https://secure.gravatar.com/avatar/abc?s=96",
        "https://feeds.feedburner.com/~r/acme/~4/xyz",
        "",
        None,
    ],
)
def test_only_public_https_images_are_shown(url: str | None) -> None:
    assert image_url(url) is None


def test_a_public_https_image_is_kept() -> None:
    assert image_url("https://cdn.example.com/i/a.jpg?w=300") == (
        "https://cdn.example.com/i/a.jpg?w=300"
    )
    assert image_url("https://93.184.216.34/a.jpg") == "https://93.184.216.34/a.jpg"
    assert image_url("https://img.example.com/pixelated-art.jpg") is not None
    assert image_url("https://cdn.example.com/photos/1200x630/acme") is not None


# ------------------------------------------------------------------------------------- dates


def test_dates_read_as_hours_under_a_day_then_as_a_date() -> None:
    assert date_text(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h ago"
    assert date_text(NOW - timedelta(minutes=12), NOW) == "12 min ago"
    assert date_text(datetime(2026, 11, 28, 8, 0, tzinfo=UTC), NOW) == "Nov 28"
    assert date_text(datetime(2026, 1, 2, 8, 0, tzinfo=UTC), NOW) == "Jan 2"
    # an old article names its year, never "4585 d ago"
    old = NOW - timedelta(days=4585)
    assert date_text(old, NOW) == f"{old:%b} {old.day}, {old.year}"
    assert "d ago" not in date_text(old, NOW)
    assert date_text(None, NOW) == ""


# --------------------------------------------------------------------------------- headlines


def test_a_teaser_scores_below_the_news_headline() -> None:
    teaser = "Boom - Watch This Closely"
    news = "Reports: DOJ Could Seek CNN Sale Before AT&T-Time Warner Merger"
    assert is_teaser(teaser) and not is_teaser(news)
    assert headline_score(news) > headline_score(teaser)
    assert headline_score("You won't believe what Acme did!") < headline_score(
        "Acme buys Contoso for $2 billion"
    )


def test_the_story_headline_is_the_one_outlets_share_else_the_most_informative() -> None:
    shared = "AT&T agrees to buy Time Warner for $85 billion"
    titles = ["Boom - Watch This Closely", "AT&T, Time Warner: the deal", shared, shared]
    assert story_headline(titles) == 2
    teaser_first = ["Boom - Watch This Closely", "DOJ could seek CNN sale before merger"]
    assert story_headline(teaser_first) == 1


def test_a_story_is_shown_with_its_outlets_headline_not_the_teaser() -> None:
    headline = "Reports: DOJ Could Seek CNN Sale Before AT&T-Time Warner Merger"
    items = [
        candidate(1, title="Boom - Watch This Closely", story_id=5, source="Blog", score=0.95),
        candidate(2, title=headline, story_id=5, source="Variety", score=0.7),
        candidate(3, title=headline, story_id=5, source="Deadline", score=0.6),
    ]
    digest = build_digest("sam@x.com", None, items, {}, DigestPolicy(), NOW)
    (item,) = digest.sections[0].items
    assert item.title == headline and item.url == "https://news.example/2"
    assert set(item.also_ids) == {1, 3} and set(item.also_in) == {"Blog", "Deadline"}
    (message,) = render_slack(digest)
    (text,) = sections_text(message.blocks)
    assert "Boom" not in text and "CNN Sale" in text


def test_a_lone_teaser_headline_gives_way_to_the_articles_lead_sentence() -> None:
    summary = (
        "The DOJ could seek a sale of CNN before approving the AT&T-Time Warner merger. "
        "More here. The deal is worth $85 billion, people familiar with it said. Read more."
    )
    items = [
        candidate(1, title="Boom - Watch This Closely", summary=summary, source="Blog"),
        candidate(2, title="You won't believe what AT&T did", source="Buzz", score=0.5),
    ]
    digest = build_digest("sam@x.com", None, items, {}, DigestPolicy(), NOW)
    first, second = digest.sections[0].items
    (message,) = render_slack(digest)
    text = sections_text(message.blocks)[0]
    # the headline is the lead's first sentence, the lead goes on from there, no filler
    assert text.startswith(
        "*<https://news.example/1|The DOJ could seek a sale of CNN before approving the "
        "AT&amp;T-Time Warner merger.>*\nThe deal is worth $85 billion, people familiar"
    )
    assert "Boom" not in text and "More here" not in text and "Read more" not in text
    markdown = render_markdown(digest)
    assert "**[The DOJ could seek a sale of CNN" in markdown and "Watch This" not in markdown
    # with nothing to say it, the teaser is never alone: the source names who says it
    assert second.title == "Buzz: You won't believe what AT&T did"
    # a factual headline stays as it is, however short
    short = [candidate(3, title="Acme IPO", summary=summary)]
    (plain,) = build_digest("sam@x.com", None, short, {}, DigestPolicy(), NOW).sections[0].items
    assert plain.title == "Acme IPO"


def test_filler_sentences_never_reach_the_lead() -> None:
    text = (
        "Acme opened a plant in Ohio on Monday. Details below. Click here to read the full "
        "story. It employs 500 people. More."
    )
    assert lead_text("Acme opens a plant", text) == (
        "Acme opened a plant in Ohio on Monday. It employs 500 people."
    )
    assert lead_text("T", "More than 500 workers lost their jobs at Acme. Read more.") == (
        "More than 500 workers lost their jobs at Acme."
    )
    # filler alone is no lead: the next text is used
    assert lead_text("T", "Read more. Click here.", "Acme buys Contoso for $2 billion.") == (
        "Acme buys Contoso for $2 billion."
    )


def test_an_industry_item_says_what_its_article_says_too() -> None:
    headline = "Port strike averted as dockworkers accept wage deal"
    items = [
        candidate(1, "", title="Boom - Watch This Closely", story_id=9, industry="logistics"),
        candidate(
            2,
            "",
            title=headline,
            story_id=9,
            industry="logistics",
            summary="Union members approved the contract on Sunday. Ports reopen Monday. More.",
            image="https://cdn.example.com/port.jpg",
        ),
        candidate(3, "", title=headline, story_id=9, industry="logistics"),
    ]
    section = build_industry_section(items, DigestPolicy(), NOW)
    assert section is not None
    (item,) = section.items
    assert item.title == headline
    assert item.lead == "Union members approved the contract on Sunday. Ports reopen Monday."
    assert item.image == "https://cdn.example.com/port.jpg"


# ------------------------------------------------------------------------------ two accounts


def test_an_article_about_two_of_my_accounts_is_one_item_naming_both() -> None:
    both = "AT&T to buy Time Warner in $85 billion deal"
    items = [
        candidate(1, "AT&T", title=both, score=0.9),
        candidate(1, "Time Warner", title=both, score=0.8),
        candidate(2, "Time Warner", title="Time Warner names a new chief executive", score=0.7),
    ]
    request = DigestRequest("sam@x.com", "Sam", DigestKind.DIGEST, Sink.SLACK, NOW, None)
    composed = compose_digest(request, items, {}, DigestPolicy())
    digest = build_digest("sam@x.com", None, items, {}, DigestPolicy(), NOW)
    assert [(s.account, [i.article_id for i in s.items]) for s in digest.sections] == [
        ("AT&T", [1]),
        ("Time Warner", [2]),
    ]
    assert digest.sections[0].items[0].also_about == ("Time Warner",)
    # shown for both accounts: neither digest brings it back
    assert set(composed.covered) == {
        (1, "AT&T", True),
        (1, "Time Warner", True),
        (2, "Time Warner", True),
    }
    (message,) = render_slack(digest)
    first = sections_text(message.blocks)[0]
    assert "Also about: Time Warner" in first
    # the rep can share it for either account
    actions = [b for b in message.blocks if b["type"] == "actions"][0]["elements"]
    shares = {
        e["action_id"]: json.loads(e["value"])["account"]
        for e in actions
        if "share" in e["action_id"]
    }
    assert shares == {"share": "AT&T", "share_also_1": "Time Warner"}
    assert "Share for Time Warner" in json.dumps(actions)
    assert "Also about: Time Warner" in render_markdown(digest)
    # shared for AT&T already: it can still be shared for Time Warner
    shared = [candidate(1, "AT&T", title=both, shared_by="dana@x.com"), items[1]]
    (again,) = render_slack(build_digest("sam@x.com", None, shared, {}, DigestPolicy(), NOW))
    elements = [b for b in again.blocks if b["type"] == "actions"][0]["elements"]
    assert [e["action_id"] for e in elements][:2] == ["share_also_1", "not_relevant"]


# ---------------------------------------------------------------------------------- low value


def test_low_value_posts_are_classified_by_headline_url_and_source() -> None:
    assert low_value_kind("Gemini API tips", "https://developers.googleblog.com/x", "Google") is (
        LowValue.DEVELOPER_BLOG
    )
    assert low_value_kind("Our new SDK", "https://acme.com/engineering/sdk", None) is (
        LowValue.DEVELOPER_BLOG
    )
    assert low_value_kind("Faster builds", None, "Acme Engineering Blog") is LowValue.DEVELOPER_BLOG
    assert low_value_kind("We're hiring: 40 engineers in Austin", None, None) is LowValue.JOBS
    assert low_value_kind("Team news", "https://acme.com/careers/austin", None) is LowValue.JOBS
    assert low_value_kind("Join our webinar on cloud costs", None, None) is LowValue.PROMOTION
    assert (
        low_value_kind("Alphabet profit beats forecasts", "https://reuters.com/a", "Reuters")
        is None
    )
    # news about jobs and offers is news
    assert low_value_kind("Job openings rise in January, but hiring slows", None, None) is None
    assert low_value_kind("Google is hiring 500 engineers in Zurich", None, None) is None
    assert low_value_kind("Scotland must sign up for the euro", None, None) is None
    assert low_value_kind("State-sponsored hackers hit Acme", None, None) is None


def test_developer_blog_and_job_posts_rank_below_business_news() -> None:
    dev = [
        candidate(
            n,
            "Alphabet",
            title=f"Building agents with Gemini part {n}",
            score=0.95,
            url=f"https://developers.googleblog.com/{n}",
            source="Google Developers Blog",
        )
        for n in range(1, 6)
    ]
    jobs = candidate(6, "Alphabet", title="We're hiring: 500 engineers in Zurich", score=0.9)
    news = candidate(7, "Alphabet", title="Alphabet shares jump as cloud revenue soars", score=0.7)
    digest = build_digest("sam@x.com", None, [*dev, jobs, news], {}, DigestPolicy(3, 30), NOW)
    (section,) = digest.sections
    assert section.items[0].article_id == 7
    assert section.items[1].low_value is LowValue.DEVELOPER_BLOG
    (message,) = render_slack(digest)
    assert "developer blog" in sections_text(message.blocks)[1]


def test_a_watch_term_asking_for_them_keeps_their_rank() -> None:
    dev = candidate(
        1,
        "Alphabet",
        title="Building agents with Gemini",
        score=0.95,
        url="https://developers.googleblog.com/1",
        reasons=("watch term: gemini",),
    )
    news = candidate(2, "Alphabet", title="Alphabet shares jump on cloud revenue", score=0.7)
    digest = build_digest("sam@x.com", None, [dev, news], {}, DigestPolicy(), NOW)
    assert [i.article_id for i in digest.sections[0].items] == [1, 2]
    assert digest.sections[0].items[0].low_value is None


def test_a_feeds_catalog_weight_ranks_its_articles() -> None:
    light = candidate(1, "Acme", title="Acme opens a plant in Ohio", score=0.9, weight=0.5)
    normal = candidate(2, "Acme", title="Acme wins a Navy contract", score=0.6)
    digest = build_digest("sam@x.com", None, [light, normal], {}, DigestPolicy(), NOW)
    assert [i.article_id for i in digest.sections[0].items] == [2, 1]


# ------------------------------------------------------------------------------- rendering


def test_leads_and_images_render_within_block_kit_limits_and_escaped() -> None:
    hostile = "<!channel> Acme & Co <https://evil.example|click> *wins* big. " * 3
    items = [
        candidate(
            n,
            "Acme",
            title=f"Acme news {n}: " + "T" * 290,
            summary=hostile + "x" * 5000,
            image=f"https://cdn.example.com/{'i' * 2900}{n}.jpg",
        )
        for n in range(1, 80)
    ]
    items.append(
        candidate(100, "Acme", summary="Acme builds. It ships.", image="javascript:alert(1)")
    )
    items.append(candidate(101, "Acme", image="http://cdn.example.com/a.jpg"))
    items.append(candidate(102, "Acme", image="https://192.168.1.10/a.jpg"))
    digest = build_digest("sam@x.com", None, items, {}, DigestPolicy(200, 200), NOW)
    messages = render_slack(digest)
    for message in messages:
        assert validate_blocks(list(message.blocks)) == (None, [])
    sections = [b for m in messages for b in m.blocks if b["type"] == "section"]
    pictured = [s for s in sections if "accessory" in s]
    assert len(pictured) == 79
    assert all(s["accessory"]["image_url"].startswith("https://cdn.example.com/") for s in pictured)
    assert all(1 <= len(s["accessory"]["alt_text"]) <= 2000 for s in pictured)
    texts = [s["text"]["text"] for s in sections]
    assert all("<!channel>" not in t and "<https://evil" not in t for t in texts)
    assert any("&lt;!channel&gt; Acme &amp; Co" in t for t in texts)
    markdown = render_markdown(digest)
    assert "javascript:" not in markdown and "192.168.1.10" not in markdown
    assert "http://cdn.example.com/a.jpg" not in markdown


def test_the_markdown_item_says_the_same_as_the_slack_item() -> None:
    items = [
        candidate(
            1,
            "Acme",
            title="Acme buys Contoso",
            summary="Acme agreed to buy Contoso. The deal is worth $2 billion. Shares rose.",
            event=EventKind.MERGER,
            image="https://cdn.example.com/a.jpg",
            published_at=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        )
    ]
    digest = build_digest("sam@x.com", "Sam", items, {}, DigestPolicy(), NOW)
    (message,) = render_slack(digest)
    (slack,) = sections_text(message.blocks)
    markdown = render_markdown(digest)
    for shown in ("Acme agreed to buy Contoso. The deal is worth $2 billion.", "Nov 28", "Wire"):
        assert shown in slack and shown.replace("$", "$") in markdown
    assert "M&A" in markdown
    assert "![Acme buys Contoso](<https://cdn.example.com/a.jpg>)" in markdown


# ------------------------------------------------------------------------------- end to end

USERS = {"sam@example.com": "U1"}


@pytest.fixture
def slack_users() -> dict[str, str]:
    return USERS


SECRET = "s3cret"
ITEMS = [
    {
        "title": "AT&T to buy Time Warner in $85 billion deal",
        "link": "https://news.example/deal",
        "guid": "deal",
        "description": "AT&T agreed to buy Time Warner. Regulators will review it. "
        "<!channel> The post AT&T deal appeared first on Wire.",
        "image": "https://cdn.example.com/deal.jpg",
    },
    {
        "title": "Time Warner names a new chief executive",
        "link": "https://news.example/ceo",
        "guid": "ceo",
        "image": "http://cdn.example.com/ceo.jpg",
    },
]


def two_account_config(tmp_path: Path, server: FeedServer, stub: SlackStub) -> Any:
    url = server.route("/feed", Reply(200, rss(ITEMS)))
    path = write_config(
        tmp_path,
        feeds={"media": [{"url": url, "name": "Wire", "weight": 0.8}]},
        accounts=[
            {"name": "AT&T", "owner": "sam@example.com", "contacts": [{"name": "Ann Ops"}]},
            {"name": "Time Warner", "owner": "sam@example.com", "contacts": [{"name": "Tim W"}]},
        ],
        reps=[{"email": "sam@example.com", "name": "Sam"}],
        settings={"slack": {"pace_s": 0.0}},
    )
    environ = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_BASE_URL": stub.base_url,
    }
    return load_config(path, environ)


def seed_two_accounts(clipper: Any, clock: Clock) -> None:
    clipper.update_feeds()

    def matches(article: Any) -> Any:
        return [mention(a) for a in ("AT&T", "Time Warner") if a in article.title]

    seed_matches(clipper.storage, clock(), matches)


def test_two_accounts_one_item_end_to_end(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    """An article about two of Sam's accounts reaches Slack once, names both, offers a share
    for each, and does not come back in the next digest."""
    clock = Clock()
    stub.ts_clock = lambda: clock().timestamp()
    config = two_account_config(tmp_path, server, stub)
    with make_clipper(config, _clock=clock) as clipper:
        seed_two_accounts(clipper, clock)
        stored = clipper.storage.digest_candidates(
            "sam@example.com", ["AT&T"], clock() - timedelta(days=30), clock()
        )
        assert [(c.weight, c.image) for c in stored] == [(0.8, "https://cdn.example.com/deal.jpg")]
        clipper.digest()
        (post,) = stub.posts("DU1")
        assert stub.rejected == []
        sections = [b for b in post["blocks"] if b["type"] == "section"]
        assert len(sections) == 2  # three matches, two items
        deal = next(s for s in sections if "$85 billion" in s["text"]["text"])
        text = deal["text"]["text"]
        assert "Also about: Time Warner" in text
        assert "AT&amp;T agreed to buy Time Warner. Regulators will review it." in text
        assert "appeared first" not in text and "<!channel>" not in text
        assert deal["accessory"]["image_url"] == "https://cdn.example.com/deal.jpg"
        ceo = next(s for s in sections if "chief executive" in s["text"]["text"])
        assert "accessory" not in ceo  # an http image is not shown
        headers = [b["text"]["text"] for b in post["blocks"] if b["type"] == "header"]
        assert headers[1:] == ["AT&T", "Time Warner"]
        clock.advance(days=1)
        clipper.digest(force=True)
        assert len(stub.posts("DU1")) == 1  # nothing left: it counted for both accounts


def test_an_image_slack_cannot_download_costs_the_picture_not_the_digest(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    clock = Clock()
    stub.ts_clock = lambda: clock().timestamp()
    stub.unreachable_images.add("https://cdn.example.com/deal.jpg")
    config = two_account_config(tmp_path, server, stub)
    with make_clipper(config, _clock=clock) as clipper:
        seed_two_accounts(clipper, clock)
        report = clipper.digest()
        (part,) = clipper.storage.digest_parts("sam@example.com")
    assert [error for error, _details in stub.rejected] == ["invalid_blocks"]
    (post,) = stub.posts("DU1")
    assert not any("accessory" in b for b in post["blocks"])
    assert "$85 billion" in json.dumps(post["blocks"])
    assert part.state == "sent" and report.sent == 1


def test_share_for_the_other_account_opens_its_share_window(
    tmp_path: Path, server: FeedServer, stub: SlackStub
) -> None:
    clock = Clock()
    stub.ts_clock = lambda: clock().timestamp()
    config = two_account_config(tmp_path, server, stub)
    clipper = make_clipper(config, _clock=clock)
    work = WorkQueue.from_settings(config.settings.slack)
    running = Server(
        make_wsgi(make_slack_app(clipper, work=work), Metrics(), clipper.health),
        "127.0.0.1",
        0,
        on_close=work.shutdown,
    ).start()
    try:
        seed_two_accounts(clipper, clock)
        clipper.digest()
        (post,) = stub.posts("DU1")
        actions = next(b for b in post["blocks"] if b["type"] == "actions")
        button = next(e for e in actions["elements"] if e["action_id"] == "share_also_1")
        clicked = {
            "action_id": "share_also_1",
            "block_id": actions["block_id"],
            "value": button["value"],
            "type": "button",
            "action_ts": "1700000000.000001",
        }
        body, _rid = button_click(stub, clicked, message=post)
        response = httpx.post(
            f"http://127.0.0.1:{running.port}/slack/events",
            content=body,
            headers=signed_headers(body, SECRET),
            timeout=10,
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 15
        while not stub.views and time.monotonic() < deadline:
            time.sleep(0.05)
        (view,) = stub.views
        shown = json.dumps(view)
        assert "Tim W" in shown and "Time Warner" in shown and "Ann Ops" not in shown
    finally:
        running.close()
        clipper.close()


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        ("heavy", "weight must be a number such as 0.5 or 1.0, got 'heavy'"),
        (20, "weight must be from 0 to 10 (1.0 is normal, 0.5 halves the feed's rank), got 20"),
        (-1, "weight must be from 0 to 10"),
        (True, "weight must be a number"),
    ],
)
def test_a_bad_catalog_weight_is_located(tmp_path: Path, weight: object, message: str) -> None:
    feed = {"url": "http://a.example/feed", "name": "A", "weight": weight}
    path = write_config(tmp_path, feeds={"x": [feed]})
    config = load_config(path, {})
    (problem,) = config.problems
    assert problem.startswith(f"{tmp_path / 'feeds' / 'x.yaml'}:")
    assert problem.split(":")[1].isdigit()
    assert "feeds[0].weight" in problem and message in problem
    assert config.feed_sources() == ()


def test_a_catalog_weight_defaults_to_one(tmp_path: Path) -> None:
    feeds = [
        {"url": "http://a.example/feed", "name": "A"},
        {"url": "http://b.example/f", "name": "B", "weight": 0.5},
    ]
    config = load_config(write_config(tmp_path, feeds={"x": feeds}), {})
    assert [f.weight for f in config.feed_sources()] == [1.0, 0.5]


def test_in_slack_an_item_keeps_its_lines_headline_lead_facts_and_why() -> None:
    # mrkdwn shows line breaks; an item run together on one line cannot be read in five seconds
    items = [
        candidate(
            1,
            summary="AT&T agreed to sell its DirecTV stake to TPG.   The deal closes next year.",
        )
    ]
    (message,) = render_slack(build_digest("sam@x.com", None, items, {}, DigestPolicy(), NOW))
    (text,) = sections_text(message.blocks)
    lines = text.split("\n")
    assert lines[0].startswith("*<https://news.example/1|") and lines[0].endswith(">*")
    lead = "AT&amp;T agreed to sell its DirecTV stake to TPG. The deal closes next year."
    assert lines[1] == lead
    assert lines[2].startswith("Wire · ")
    assert lines[3].startswith("_Why: ")


HOSTILE_SOURCE = "*Wire* _daily_ <!here> <http://evil.example|click> ~x~ `y` snake_case"


def test_a_feeds_name_never_formats_or_links_the_digest() -> None:
    items = [
        candidate(1, source=HOSTILE_SOURCE, story_id=1),
        candidate(2, source="*Other* Wire", story_id=1, score=0.1),
        candidate(3, "", source=HOSTILE_SOURCE, industry="telecom", title="Telecom capex falls"),
    ]
    slack = compose_digest(
        DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.SLACK, NOW, None),
        items,
        {},
        DigestPolicy(),
    )
    (part,) = slack.parts
    blocks = json.loads(part[1])
    assert validate_blocks(blocks) == (None, [])
    account_item, industry_item = sections_text(blocks)
    for text in (account_item, industry_item):
        facts = text.split("\n")[1]
        # no bold, italic, strike or code from the name; no mention or link either
        assert facts.startswith(
            "∗Wire∗ ˍdailyˍ &lt;!here&gt; &lt;http://evil.example|click&gt; ∼x∼ ˋyˋ snake_case · "
        )
    assert "Also in ∗Other∗ Wire" in account_item
    # the terminal and the Markdown file show the name as text too
    terminal = compose_digest(
        DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.TERMINAL, NOW, None),
        items,
        {},
        DigestPolicy(),
    )
    markdown = terminal.parts[0][1]
    assert (
        markdown.count(
            "\\*Wire\\* \\_daily\\_ \\<!here\\> \\<http://evil.example\\|click\\> \\~x\\~ \\`y\\` "
            "snake\\_case · "
        )
        == 2
    )
    assert "Also in \\*Other\\* Wire" in markdown


# ---------------------------------------------------------------------------------- recency


def test_todays_news_comes_before_last_weeks_unless_last_weeks_is_far_more_relevant() -> None:
    week_old = NOW - timedelta(days=7)
    items = [
        candidate(1, title="Acme wins a network contract", score=0.8, published_at=week_old),
        candidate(2, title="Acme opens a data centre", score=0.7, published_at=NOW),
        candidate(3, title="Acme signs a spectrum deal", score=0.95, published_at=week_old),
        candidate(4, title="Acme names a new CFO", score=0.4, published_at=NOW),
    ]
    request = DigestRequest("r@x.example", "R", DigestKind.DIGEST, Sink.TERMINAL, NOW, None)
    (part,) = compose_digest(request, items, {}, DigestPolicy()).parts
    order = [
        line.split("[", 1)[1].split("]", 1)[0]
        for line in part[1].splitlines()
        if line.startswith("- **[")
    ]
    assert order == [
        "Acme opens a data centre",  # today, 0.7
        "Acme signs a spectrum deal",  # a week old but far more relevant, 0.95
        "Acme wins a network contract",  # a week old, 0.8
        "Acme names a new CFO",  # today, but weak, 0.4
    ]
    # with the half-life at 0, age only breaks ties: relevance alone orders them
    (flat,) = compose_digest(request, items, {}, DigestPolicy(recency_half_life_hours=0)).parts
    assert flat[1].index("spectrum deal") < flat[1].index("network contract")
    assert flat[1].index("network contract") < flat[1].index("data centre")


def test_the_recency_half_life_is_a_setting(tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"digest": {"recency_half_life_hours": 12}})
    assert load_config(path, {}).settings.digest.recency_half_life_hours == 12
    bad = write_config(tmp_path, settings={"digest": {"recency_half_life_hours": -1}})
    with pytest.raises(ConfigError) as info:
        load_config(bad, {})
    (problem,) = info.value.problems
    assert "clipper.yaml:" in problem and "digest.recency_half_life_hours" in problem
