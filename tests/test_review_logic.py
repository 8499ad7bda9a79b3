"""The review pack's pure parts: which industry stories are trends, who was reached, and a
Slack summary that stays within one section however much there is to say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from clipper.logic.review import (
    SLACK_SECTION,
    ReviewNews,
    ReviewPack,
    ReviewTouch,
    contacts_reached,
    review_markdown,
    review_mrkdwn,
    top_trends,
)
from clipper.types import ArticleBrief, EventKind, IndustryArticle, TouchChannel

AT = datetime(2026, 10, 5, 12, tzinfo=UTC)


def _industry(n: int, story: int, score: float) -> IndustryArticle:
    brief = ArticleBrief(n, f"story {story} #{n}", f"https://n.example/{n}", "Wire", AT, "")
    return IndustryArticle(brief, "robotics", score, story)


def test_trends_are_the_stories_most_written_about_each_by_its_best_article() -> None:
    found = [
        _industry(1, 7, 0.99),  # one article: a strong score, a small story
        _industry(2, 8, 0.5),
        _industry(3, 8, 0.7),
        _industry(4, 8, 0.6),
        _industry(5, 9, 0.4),
        _industry(6, 9, 0.3),
    ]
    trends = top_trends(found, limit=2)
    assert [(t.title, t.articles) for t in trends] == [("story 8 #3", 3), ("story 9 #5", 2)]
    assert top_trends([]) == ()


def _touch(day: int, contact: str | None) -> ReviewTouch:
    return ReviewTouch(
        AT + timedelta(days=day),
        "dana@example.com",
        "Dana",
        TouchChannel.HUBSPOT,
        contact,
        None,
        None,
    )


def test_contacts_reached_are_distinct_in_order_of_first_touch() -> None:
    touches = [_touch(9, "Jo Park"), _touch(1, "ann lee"), _touch(3, None), _touch(5, "JO PARK ")]
    assert contacts_reached(touches) == ("ann lee", "JO PARK")


def test_the_slack_summary_fits_one_section_and_escapes_every_headline() -> None:
    hostile = "<!channel> <https://evil.example|click> & " + "x" * 300
    news = tuple(
        ReviewNews(hostile, f"https://n.example/{n}", "Wire", AT, EventKind.FUNDING, None)
        for n in range(200)
    )
    pack = ReviewPack(
        account="Acme <b>",
        owner="dana@example.com",
        industry="robotics",
        quarter="2026Q4",
        first_day=date(2026, 10, 1),
        last_day=date(2026, 12, 31),
        timezone="UTC",
        quarter_target=1,
        made_at=AT,
        touches=tuple(_touch(n % 60, f"Contact {n}") for n in range(300)),
        contacts_reached=tuple(f"Contact {n}" for n in range(300)),
        contacts_known=("Kim Cho",),
        news=news,
        trends=(),
    )
    text = review_mrkdwn(pack)
    assert len(text) <= SLACK_SECTION
    assert "<!channel>" not in text and "<https://evil" not in text and "<b>" not in text
    assert text.startswith("*Acme &lt;b&gt;: quarterly review 2026Q4*")
    assert "• *News:* 200 articles, 200 business events" in text
    assert "(not reached: Kim Cho)" in text
    assert text.endswith(
        "`clipper review 'Acme &lt;b&gt;' --quarter 2026Q4 --format html --out review.html`"
    )


def test_markdown_links_go_only_to_http_and_keep_their_target_whole() -> None:
    pack = ReviewPack(
        account="Acme",
        owner=None,
        industry=None,
        quarter="2026Q4",
        first_day=date(2026, 10, 1),
        last_day=date(2026, 12, 31),
        timezone="UTC",
        quarter_target=1,
        made_at=AT,
        touches=(),
        contacts_reached=(),
        contacts_known=(),
        news=(
            ReviewNews("Odd > link", "https://x.example/a b>c\n", "Wire", AT, None, None),
            ReviewNews("Script link", "javascript:alert(1)", "Wire", AT, None, None),
        ),
        trends=(),
    )
    page = review_markdown(pack)
    assert "[Odd \\> link](<https://x.example/a%20b%3Ec%0A>)" in page
    assert "- 2026-10-05 · Script link (Wire)" in page and "javascript" not in page
    assert "No business events this quarter." in page
    assert "The account has no industry in the accounts file." in page
