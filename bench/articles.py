"""Article text like real feeds give it, for the digest benchmarks (bench/digest.py, bench/ab.py).

A feed's summary, as the parser stores it (HTML turned into text): a few sentences with
abbreviations, figures, quotes, ``&`` and ``<``, sometimes the headline repeated first and the
WordPress "The post ... appeared first on ..." tail; the content a few paragraphs longer; an
image URL that is https, http, a format Slack does not show, or a tracking pixel. Seeded, so
both sides of a comparison get the same text. ``seed_digest_matches`` stores such articles
through the storage API; it imports Clipper only when called, so a child process running
another revision's tree gets that revision's code.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SOURCES = ("Reuters", "Bloomberg", "Trade Weekly", "FT")

WORDS = (
    "opens plant hires chief wins contract raises funding cuts jobs launches product expands "
    "into Europe signs partnership reports earnings faces lawsuit acquires rival"
).split()
_SUBJECTS = (
    "The company",
    "Its chief executive, Dr. Ana Ruiz,",
    "Analysts at Morgan Stanley & Co.",
    "The U.S. unit",
    "A spokesperson",
    "Shares",
    "The board",
)
_VERBS = (
    "said the deal would close in the first quarter",
    "expects revenue of $4.2 billion, up 12% from a year earlier",
    "declined to comment on talks with <unnamed> buyers",
    "will add 350 jobs at its plant near St. Louis",
    'called the move "a turning point for the business"',
    "rose 3.5% in early trading on the news",
    "plans to expand into Europe and Asia by 2027",
    "cut its outlook for the year, citing weaker demand",
)
_TAILS = (
    "",
    "",
    " The post {title} appeared first on Trade Weekly.",
    " Continue reading...",
    " [&hellip;]",
)
_IMAGES = (
    "https://cdn.news.example/images/{n}/lead.jpg",
    "https://cdn.news.example/images/{n}/lead.jpg?w=1200&h=630",
    "http://cdn.news.example/images/{n}.jpg",
    "https://cdn.news.example/images/{n}.webp",
    "https://pixel.news.example/1x1.gif",
    None,
)


def title(rng: random.Random, account: str) -> str:
    """Return a headline naming ``account``."""
    return f"{account} " + " ".join(rng.choice(WORDS) for _ in range(8))


def _sentence(rng: random.Random, account: str) -> str:
    subject = rng.choice(_SUBJECTS)
    if subject == "The company":
        subject = account
    return f"{subject} {rng.choice(_VERBS)}."


def summary(rng: random.Random, headline: str, account: str) -> str:
    """Return a feed summary as stored: 2-4 sentences, sometimes the headline first and a
    feed's boilerplate tail; one in ten cut mid-sentence as some feeds do."""
    text = " ".join(_sentence(rng, account) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.2:
        text = f"{headline}. {text}"
    if rng.random() < 0.1:
        text = text[: rng.randint(60, len(text))].rstrip()
    return text + rng.choice(_TAILS).format(title=headline)


def content(rng: random.Random, account: str) -> str | None:
    """Return the feed's full content as text (a few paragraphs), or None for half the items."""
    if rng.random() < 0.5:
        return None
    paragraphs = (
        " ".join(_sentence(rng, account) for _ in range(rng.randint(3, 6)))
        for _ in range(rng.randint(2, 5))
    )
    return "\n\n".join(paragraphs)


def image(rng: random.Random, n: int) -> str | None:
    """Return the feed's image URL: https mostly, else http, webp, a pixel or none."""
    chosen = rng.choice(_IMAGES)
    return chosen.format(n=n) if chosen else None


def write_digest_config(root: Path, reps: int, accounts: int) -> Path:
    """Write ``config/`` for ``reps`` reps of ``accounts`` accounts each (``Account R-A``,
    owned by ``repR@example.com``) under ``root``; return its ``clipper.yaml``. The database
    is ``root/var/clipper.db``."""
    import yaml

    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    (root / "config" / "accounts.yaml").write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {"name": f"Account {r}-{a}", "owner": f"rep{r}@example.com"}
                    for r in range(reps)
                    for a in range(accounts)
                ]
            }
        )
    )
    (root / "config" / "reps.yaml").write_text(
        yaml.safe_dump({"reps": [{"email": f"rep{r}@example.com"} for r in range(reps)]})
    )
    (root / "config" / "clipper.yaml").write_text(
        yaml.safe_dump({"database": "sqlite:///../var/clipper.db", "feeds_dir": "../feeds"})
    )
    return root / "config" / "clipper.yaml"


def seed_digest_matches(storage: Any, reps: int, accounts: int, matches: int, now: datetime) -> int:
    """Store ``matches`` new articles per account of ``write_digest_config``'s reps, each
    matched to its account, through storage methods every revision since a424ae9 has
    (sync_feeds, claim_feeds, apply_feed_update, claim_for_matching, finish_matching); return
    how many matches were stored."""
    from clipper.types import (
        ArticleIdentity,
        ArticleIntent,
        CachingInfo,
        FeedSource,
        FeedUpdateIntent,
        FetchStatus,
        Match,
        MatchResult,
        Stage,
    )

    storage.sync_feeds([FeedSource("https://wire.example/rss", "Wire", None)], now)
    (feed,) = storage.claim_feeds(now, "bench", 60, due_only=False, limit=10)
    rng = random.Random(11)
    intents = []
    owners: dict[str, str] = {}
    for r in range(reps):
        for a in range(accounts):
            name = f"Account {r}-{a}"
            for _m in range(matches):
                n = len(intents)
                key = hashlib.sha1(str(n).encode()).hexdigest()
                headline = title(rng, name)
                intents.append(
                    ArticleIntent(
                        feed_id=feed.id,
                        identity=ArticleIdentity(key, key, key),
                        url=f"https://news.example/{n}",
                        title=headline,
                        summary=summary(rng, headline, name),
                        published_at=now - timedelta(hours=rng.randint(0, 72)),
                        fetched_at=now,
                        source=rng.choice(SOURCES),
                        stage=Stage.NEW,
                        image=image(rng, n),
                        content=content(rng, name),
                    )
                )
                owners[headline] = name
    update = FeedUpdateIntent(
        feed.id, FetchStatus.OK, now, now + timedelta(hours=1), CachingInfo(), 0, None, None
    )
    storage.apply_feed_update(update, intents, "bench")
    claimed = storage.claim_for_matching(now, "bench", 600, len(intents))
    results = []
    for article in claimed:
        account = owners[article.title]
        match = Match(account, 0.8, (f'mentions "{account}"', "similarity 0.62 to the account"))
        results.append((article.id, MatchResult((match,), ())))
    storage.finish_matching(results, "bench", now)
    return len(results)
