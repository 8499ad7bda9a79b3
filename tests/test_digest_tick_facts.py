"""A digest tick works out each article's lead, image and value once and reuses them for every
rep (``logic.memo.ArticleFacts``): what each rep is sent is exactly what composing their digest
alone gives, in Slack and in Markdown, on a seeded set built here (shared articles, stories in
several outlets, hostile text, images Slack may and may not show, low-value posts, industry
news); and on real SQLite, one tick for every rep queues what each rep's own preview shows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clipper.logic.compose import DigestRequest, compose_digest
from clipper.logic.digest import DigestCandidate, DigestPolicy, TouchStatus
from clipper.logic.memo import ArticleFacts
from clipper.logic.notes import ShareNotes
from clipper.types import ComposedDigest, DigestKind, EventKind, NoteKind, Sink

from .conftest import Clock, build, write_config
from .feedserver import FeedServer, Reply, rss
from .support.seeding import acme_wire, mention, seed_matches

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = DigestPolicy(max_items_per_account=2, max_items=5, max_industry_items=2)
NOTES = ShareNotes(
    {
        NoteKind.DEFAULT: "Hi {contact}, saw this: {title} {url} -- {rep}",
        NoteKind.FUNDING: "Congratulations, {contact}! {title}\n{url}",
        NoteKind.INDUSTRY: "- {title} <{url}>",
    },
    "Rep <Bob> & co",
    {"Acme": "Ann *Lee*"},
)
SUMMARIES = (
    'Acme Inc. said the deal would close in Q1. Dr. Ruiz called it "a turning point" & more. '
    "The post Acme wins contract appeared first on Trade Weekly.",
    "Shares rose 3.5% on the news. <b>Analysts</b> at Morgan Stanley & Co. expect more",
    "Too short",
    "",
)
IMAGES = (
    "https://cdn.news.example/a.jpg?w=1&h=2",
    "http://cdn.news.example/a.jpg",
    "https://cdn.news.example/a.webp",
    "https://pixel.news.example/1x1.gif",
    "https://10.0.0.1/a.png",
    None,
)
TITLES = (
    "{account} raises $85 million in Series C",
    "Boom - Watch This Closely",
    "We're hiring: join our team at {account}",
    "{account} <script>alert(1)</script> & *bold* {{rep}} `code`",
    "{account} opens a plant near St. Louis, adds 350 jobs",
)


def _articles(rng: random.Random, count: int) -> list[dict[str, object]]:
    """Articles, some in the same story from other outlets, with the texts and images above."""
    articles: list[dict[str, object]] = []
    for n in range(count):
        story = n - 1 if n % 4 == 1 else n  # every fourth pair: the same story, two outlets
        articles.append(
            {
                "article_id": 100 + n,
                "title_template": rng.choice(TITLES),
                "url": rng.choice(
                    (f"https://news.example/{n}", f"https://dev.example.com/blog/{n}")
                ),
                "source": rng.choice(("Reuters", "Acme Developer Blog", "FT", "Trade <Weekly>")),
                "published_at": NOW - timedelta(hours=rng.randint(0, 90)),
                "story_id": 100 + story,
                "summary": rng.choice(SUMMARIES),
                "content": rng.choice((None, " ".join(SUMMARIES[:2]) * 3)),
                "image": rng.choice(IMAGES),
                "event": rng.choice((None, EventKind.FUNDING, EventKind.LAYOFFS)),
            }
        )
    return articles


def _candidates(
    rng: random.Random, articles: list[dict[str, object]], accounts: list[str]
) -> list[DigestCandidate]:
    """One rep's candidates: most articles on one or two of their accounts (the same articles
    other reps get), a few through a watch term, and industry-only news."""
    found = []
    for article in articles:
        if rng.random() < 0.3:
            continue
        for account in rng.sample(accounts, rng.choice((1, 1, 2))):
            reasons = (f'mentions "{account}"', "similarity 0.61 to the account")
            if rng.random() < 0.15:
                reasons = ("watch term: hiring", *reasons)
            found.append(
                DigestCandidate(
                    article_id=int(str(article["article_id"])),
                    account=account,
                    title=str(article["title_template"]).format(account="Acme"),
                    url=str(article["url"]),
                    source=str(article["source"]),
                    published_at=article["published_at"],  # type: ignore[arg-type]
                    score=rng.uniform(0.5, 1.0),
                    reasons=reasons,
                    event=article["event"],  # type: ignore[arg-type]
                    shareable=rng.random() > 0.1,
                    story_id=int(str(article["story_id"])),
                    summary=str(article["summary"]),
                    content=article["content"],  # type: ignore[arg-type]
                    image=article["image"],  # type: ignore[arg-type]
                    weight=rng.choice((1.0, 1.0, 0.5)),
                )
            )
    for article in articles[:6]:
        found.append(
            DigestCandidate(
                article_id=int(str(article["article_id"])) + 1000,
                account="",
                title=str(article["title_template"]).format(account="Port"),
                url=str(article["url"]) + "/industry",
                source=str(article["source"]),
                published_at=article["published_at"],  # type: ignore[arg-type]
                score=rng.uniform(0.4, 0.9),
                reasons=("industry: logistics",),
                story_id=int(str(article["story_id"])) + 1000,
                industry="logistics",
                summary=str(article["summary"]),
                image=article["image"],  # type: ignore[arg-type]
            )
        )
    return found


def _compose(
    rep: int, candidates: list[DigestCandidate], sink: Sink, facts: ArticleFacts | None
) -> ComposedDigest:
    request = DigestRequest(
        f"rep{rep}@example.com",
        f"Rep {rep}",
        DigestKind.DIGEST,
        sink,
        NOW,
        NOW + timedelta(days=1),
        notes=NOTES if sink is Sink.TERMINAL else None,
    )
    touches = {"Acme": TouchStatus(0, 1, None, 30), "Globex": TouchStatus(2, 1, NOW)}
    return compose_digest(request, candidates, touches, POLICY, facts)


def test_one_tick_sends_every_rep_what_their_own_digest_alone_would_show() -> None:
    rng = random.Random(3)
    articles = _articles(rng, 24)
    per_rep = [_candidates(rng, articles, ["Acme", "Globex", "Initech"]) for _ in range(6)]
    for sink in (Sink.SLACK, Sink.TERMINAL):
        alone = [_compose(r, c, sink, None) for r, c in enumerate(per_rep)]
        facts = ArticleFacts()  # one tick: every rep's digest shares it
        together = [_compose(r, c, sink, facts) for r, c in enumerate(per_rep)]
        assert together == alone
        # the seeded set reaches what the facts decide: leads, images, ranked-down posts
        text = "".join(payload for composed in alone for _title, payload in composed.parts)
        assert "turning point" in text and "https://cdn.news.example/a.jpg?w=1" in text
        assert "developer blog" in text and "Your industries" in text


def test_an_article_refreshed_during_a_tick_shows_its_new_lead() -> None:
    before = DigestCandidate(
        article_id=7,
        account="Acme",
        title="Acme raises $85 million",
        url="https://news.example/7",
        source="Reuters",
        published_at=NOW,
        score=0.9,
        summary="Acme said the round was led by Sequoia. The money goes to hiring.",
    )
    after = DigestCandidate(
        **{
            **{f: getattr(before, f) for f in before.__slots__},  # type: ignore[attr-defined]
            "summary": "Acme said the round values it at $2 billion. It plans two new plants.",
        }
    )
    facts = ArticleFacts()
    first = _compose(1, [before], Sink.TERMINAL, facts)
    second = _compose(2, [after], Sink.TERMINAL, facts)
    assert "led by Sequoia" in first.parts[0][1]
    assert "values it at $2 billion" in second.parts[0][1]
    assert "Sequoia" not in second.parts[0][1]


def test_on_sqlite_one_tick_queues_what_each_reps_own_preview_shows(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = Clock()
    names = ["Acme", "Globex", "Initech", "Umbrella"]
    items = []
    for n in range(16):
        pair = (names[n % 4], names[(n + 1) % 4])
        items.append(
            {
                "title": f"{pair[0]} and {pair[1]} sign a <deal> & *more* {n}",
                "link": f"https://news.example/{n}",
                "guid": str(n),
                "description": f"<p>{SUMMARIES[n % 2]}</p><p>Second paragraph {n}.</p>",
                "pubDate": (clock() - timedelta(hours=n)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
                **({"image": IMAGES[n % len(IMAGES)]} if IMAGES[n % len(IMAGES)] else {}),
            }
        )
    url = server.route("/feed", Reply(200, rss(items)))
    # four reps, one account each: every article is in two reps' digests
    path = write_config(
        tmp_path,
        feeds={"x": [{"url": url, "name": "Wire"}]},
        accounts=[{"name": a, "owner": f"{a.lower()}@example.com"} for a in names],
        reps=[{"email": f"{a.lower()}@example.com"} for a in names],
        settings={"fetch": {"backfill_window": "30d"}},
    )
    _config, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()

        def both(article: object) -> list[object]:
            title = str(getattr(article, "title", ""))
            return [mention(a) for a in names if title.startswith(a) or f"and {a} " in title]

        seed_matches(clipper.storage, clock(), both)  # type: ignore[arg-type]
        # each rep alone (a tick of its own), then one tick for every rep
        alone = {
            a: clipper.digests.compose_due(rep=f"{a.lower()}@example.com", dry_run=True).previews
            for a in names
        }
        assert all(len(previews) == 1 for previews in alone.values())
        assert len(clipper.digests.compose_due().queued) == 4
        queued = {part.rep: part.payload for part in clipper.storage.digest_parts()}
        assert queued == {f"{a.lower()}@example.com": alone[a][0] for a in names}
        assert "turning point" in queued["acme@example.com"]


@pytest.mark.parametrize(
    "tail",
    [
        "The poſt Acme opens a plant appeared first on Trade Weekly.",
        "THE POST Acme opens a plant APPEARED FIRST ON Trade Weekly.",
        "CLİCK HERE TO subscribe to our newsletter",
        "Keep Reading",
        "Continue reading…",
        "Read the full story at Trade Weekly",
        "This article was originally published on acme.example",
        "[&hellip;]",
        "[…]",
    ],
)
def test_feed_boilerplate_never_reaches_the_lead_in_any_letter_case(tail: str) -> None:
    lead = ArticleFacts().lead(
        "Acme expands in the Midwest",
        f"Acme opens a plant in Ohio,\u00a0adding 350 jobs.\n\nIt cost $85 million. {tail}",
        None,
        None,
    )
    assert lead == "Acme opens a plant in Ohio, adding 350 jobs. It cost $85 million."


def test_a_due_digest_still_waits_for_unmatched_articles_once_most_are_matched(
    tmp_path: Path, server: FeedServer
) -> None:
    """Matching progress reads the waiting articles through their index (not a scan of every
    article per rep); the count is the same after ``PRAGMA optimize`` has seen the table."""
    clock = Clock()
    path = acme_wire(tmp_path, server, 30)
    _config, clipper = build(path, clock)
    with clipper:
        clipper.update_feeds()
        seed_matches(clipper.storage, clock(), lambda _a: mention("Acme"), limit=26)
    _config, clipper = build(path, clock)  # reopened: closing ran PRAGMA optimize
    with clipper:
        assert clipper.storage.matching_progress(clock(), clock()).waiting_articles == 4
        report = clipper.digests.compose_due()
        assert report.waiting == ["rep@example.com"] and report.queued == []
        seed_matches(clipper.storage, clock(), lambda _a: mention("Acme"))
        assert clipper.storage.matching_progress(clock(), clock()).waiting_articles == 0
        assert len(clipper.digests.compose_due().queued) == 1
