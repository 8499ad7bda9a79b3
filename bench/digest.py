"""Digest building and rendering for 2,000 reps with 10 accounts each.

Two measurements, each beside a baseline in the same process:

1. Pure: ``build_digest`` + ``render_slack`` (with splitting and limits) + ``render_markdown``
   for every rep, against building the same blocks with slack-sdk's validated model classes
   (``SectionBlock``, ``ActionsBlock``..., ``to_dict()``), the obvious alternative.
2. End to end on SQLite: ``clipper digest`` composing every rep's digest into the outbox (read
   candidates, build, render, store parts, advance the schedule; one transaction per rep),
   against the time to read the same candidates alone.

Usage: python bench/digest.py [--reps 2000] [--accounts 10] [--matches 3]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clipper.logic.blockkit import render_markdown, render_slack
from clipper.logic.digest import DigestCandidate, DigestPolicy, TouchStatus, build_digest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WORDS = (
    "opens plant hires chief wins contract raises funding cuts jobs launches product expands "
    "into Europe signs partnership reports earnings faces lawsuit acquires rival"
).split()


def title(rng: random.Random, account: str) -> str:
    return f"{account} " + " ".join(rng.choice(WORDS) for _ in range(8))


def candidates_for(
    rep: int, accounts: int, matches: int, rng: random.Random
) -> list[DigestCandidate]:
    found = []
    for a in range(accounts):
        name = f"Account {rep}-{a}"
        for m in range(matches):
            n = (rep * accounts + a) * matches + m
            found.append(
                DigestCandidate(
                    article_id=n,
                    account=name,
                    title=title(rng, name),
                    url=f"https://news.example/{n}",
                    source=rng.choice(["Reuters", "Bloomberg", "Trade Weekly", "FT"]),
                    published_at=NOW - timedelta(hours=rng.randint(0, 72)),
                    score=rng.uniform(0.5, 1.0),
                    reasons=(f'mentions "{name}"', "similarity 0.62 to the account"),
                    event=rng.choice([None, None, "funding", "layoffs", "M&A"]),
                    shareable=rng.random() > 0.1,
                    story_id=n if rng.random() > 0.2 else (n - n % 2),
                )
            )
    return found


def slack_sdk_blocks(cands: list[DigestCandidate]) -> list[dict[str, object]]:
    """The baseline: the same item blocks through slack-sdk's validated model classes."""
    from slack_sdk.models.blocks import (
        ActionsBlock,
        ButtonElement,
        ContextBlock,
        HeaderBlock,
        MarkdownTextObject,
        SectionBlock,
    )

    blocks: list[dict[str, object]] = []
    by_account: dict[str, list[DigestCandidate]] = {}
    for c in cands:
        by_account.setdefault(c.account, []).append(c)
    for n, (account, items) in enumerate(by_account.items()):
        blocks.append(HeaderBlock(text=account, block_id=f"h{n}").to_dict())
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Touches: 0 of 1")]).to_dict())
        for k, c in enumerate(items):
            blocks.append(
                SectionBlock(
                    block_id=f"s{n}-{k}", text=f"*<{c.url}|{c.title}>*\n{c.source}"
                ).to_dict()
            )
            blocks.append(
                ActionsBlock(
                    block_id=f"a{n}-{k}",
                    elements=[
                        ButtonElement(text=label, action_id=label.lower(), value=str(c.article_id))
                        for label in ("Share", "Not relevant", "Mute")
                    ],
                ).to_dict()
            )
    return blocks


def pure(reps: int, accounts: int, matches: int) -> None:
    rng = random.Random(7)
    per_rep = [candidates_for(r, accounts, matches, rng) for r in range(reps)]
    policy = DigestPolicy(max_items_per_account=5, max_items=30)
    touches = {
        f"Account {r}-{a}": TouchStatus(0, 1, None) for r in range(reps) for a in range(accounts)
    }

    started = time.perf_counter()
    for cands in per_rep:
        slack_sdk_blocks(cands)
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    parts = items = 0
    for r, cands in enumerate(per_rep):
        digest = build_digest(f"rep{r}@example.com", None, cands, touches, policy, NOW)
        messages = render_slack(digest)
        render_markdown(digest)
        parts += len(messages)
        items += digest.item_count
    ours = time.perf_counter() - started
    total = reps * accounts * matches
    print(f"## Pure: {reps:,} reps x {accounts} accounts x {matches} matches ({total:,} matches)\n")
    print("| method | seconds | reps/s | vs baseline |")
    print("|---|---|---|---|")
    print(
        f"| slack-sdk model classes, item blocks only (baseline) | {baseline:.2f} | "
        f"{reps / baseline:,.0f} | 1.00x |"
    )
    print(
        f"| Clipper build + Block Kit (split, limits) + Markdown | {ours:.2f} | "
        f"{reps / ours:,.0f} | {baseline / ours:.2f}x |"
    )
    print(f"\n{items:,} items shown in {parts:,} Slack messages\n")


def end_to_end(reps: int, accounts: int, matches: int) -> None:
    import yaml

    from clipper.config import load_config
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
    from clipper.wiring import make_clipper

    class Quiet:
        def write(self, *args: object) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "config").mkdir()
        (root / "feeds").mkdir()
        names = [[f"Account {r}-{a}" for a in range(accounts)] for r in range(reps)]
        (root / "config" / "accounts.yaml").write_text(
            yaml.safe_dump(
                {
                    "accounts": [
                        {"name": n, "owner": f"rep{r}@example.com"}
                        for r in range(reps)
                        for n in names[r]
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
        config = load_config(root / "config" / "clipper.yaml", {})
        clock = lambda: NOW  # noqa: E731
        clipper = make_clipper(config, _clock=clock, _writer=Quiet())  # type: ignore[arg-type]
        storage = clipper.storage
        storage.sync_feeds([FeedSource("https://wire.example/rss", "Wire", None)], NOW)
        (feed,) = storage.claim_feeds(NOW, "bench", 60, due_only=False, limit=10)
        rng = random.Random(11)
        intents = []
        owners = []
        for r in range(reps):
            for name in names[r]:
                for _m in range(matches):
                    n = len(intents)
                    digest_hash = hashlib.sha1(str(n).encode()).hexdigest()
                    intents.append(
                        ArticleIntent(
                            feed_id=feed.id,
                            identity=ArticleIdentity(digest_hash, digest_hash, digest_hash),
                            url=f"https://news.example/{n}",
                            title=title(rng, name),
                            summary="",
                            published_at=NOW - timedelta(hours=rng.randint(0, 72)),
                            fetched_at=NOW,
                            source="Wire",
                            stage=Stage.NEW,
                        )
                    )
                    owners.append(name)
        storage.apply_feed_update(
            FeedUpdateIntent(
                feed.id, FetchStatus.OK, NOW, NOW + timedelta(hours=1), CachingInfo(), 0, None, None
            ),
            intents,
            "bench",
        )
        claimed = storage.claim_for_matching(NOW, "bench", 600, len(intents))
        by_title = {}
        for intent, owner in zip(intents, owners, strict=True):
            by_title[intent.title] = owner
        storage.finish_matching(
            [
                (a.id, MatchResult((Match(by_title[a.title], 0.8, ("mentions",)),), ()))
                for a in claimed
            ],
            "bench",
            NOW,
        )
        since = NOW - timedelta(days=7)
        started = time.perf_counter()
        for r in range(reps):
            storage.digest_candidates(f"rep{r}@example.com", names[r], since, NOW)
        reading = time.perf_counter() - started
        started = time.perf_counter()
        report = clipper.digests.compose_due()
        composing = time.perf_counter() - started
        clipper.close()
    print(f"## End to end on SQLite: {reps:,} reps, {len(intents):,} stored matches\n")
    print("| step | seconds | reps/s | vs reading alone |")
    print("|---|---|---|---|")
    print(
        f"| reading each rep's candidates (baseline) | {reading:.2f} | "
        f"{reps / reading:,.0f} | 1.00x |"
    )
    print(
        f"| composing every digest into the outbox | {composing:.2f} | {reps / composing:,.0f} | "
        f"{composing / reading:.2f}x the time |"
    )
    print(f"\n{len(report.queued):,} digests queued")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--matches", type=int, default=3)
    args = parser.parse_args()
    pure(args.reps, args.accounts, args.matches)
    end_to_end(args.reps, args.accounts, args.matches)


if __name__ == "__main__":
    main()
