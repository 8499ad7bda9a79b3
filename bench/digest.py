"""Digest building and rendering for 2,000 reps with 10 accounts each.

Articles carry text like real feeds (``bench/articles.py``: summaries of a few sentences with
boilerplate tails, content, image URLs), so the lead, headline and image choices are exercised.

1. Pure, interleaved: ``build_digest`` + ``render_slack`` (with splitting and limits) +
   ``render_markdown`` for every rep, against building the item blocks (headline, lead,
   source) with slack-sdk's validated model classes (``SectionBlock``, ``ActionsBlock``...,
   ``to_dict()``), the obvious alternative. After one warm-up of each (which also measures
   each side's peak of Python allocations with ``tracemalloc``), baseline and Clipper alternate
   for ``--pairs`` pairs; the report is the median of the pairwise ratios with min and max.
2. End to end on SQLite, one pass: ``clipper digest`` composing every rep's digest into the
   outbox (read candidates, build, render, store parts, advance the schedule; one transaction
   per rep), beside the time to read the same candidates alone. ``bench/ab.py --workload
   digest`` compares this, as whole processes, between two commits.

Usage: python bench/digest.py [--reps 2000] [--accounts 10] [--matches 3] [--pairs 5]
Does not judge the result: read the range before calling anything a change.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from articles import (  # noqa: E402
    SOURCES,
    content,
    image,
    seed_digest_matches,
    summary,
    title,
    write_digest_config,
)

from clipper.logic.blockkit import render_markdown, render_slack  # noqa: E402
from clipper.logic.digest import (  # noqa: E402
    DigestCandidate,
    DigestPolicy,
    TouchStatus,
    build_digest,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def candidates_for(
    rep: int, accounts: int, matches: int, rng: random.Random
) -> list[DigestCandidate]:
    found = []
    for a in range(accounts):
        name = f"Account {rep}-{a}"
        for m in range(matches):
            n = (rep * accounts + a) * matches + m
            headline = title(rng, name)
            found.append(
                DigestCandidate(
                    article_id=n,
                    account=name,
                    title=headline,
                    url=f"https://news.example/{n}",
                    source=rng.choice(SOURCES),
                    published_at=NOW - timedelta(hours=rng.randint(0, 72)),
                    score=rng.uniform(0.5, 1.0),
                    reasons=(f'mentions "{name}"', "similarity 0.62 to the account"),
                    event=rng.choice([None, None, "funding", "layoffs", "M&A"]),
                    shareable=rng.random() > 0.1,
                    story_id=n if rng.random() > 0.2 else (n - n % 2),
                    summary=summary(rng, headline, name),
                    content=content(rng, name),
                    image=image(rng, n),
                )
            )
    return found


def slack_sdk_blocks(cands: list[DigestCandidate]) -> list[dict[str, object]]:
    """The baseline: the item blocks (headline, the summary's first 280 characters, source)
    through slack-sdk's validated model classes."""
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
                    block_id=f"s{n}-{k}",
                    text=f"*<{c.url}|{c.title}>*\n{c.summary[:280]}\n{c.source}",
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


def _peak_mib(run: Callable[[], object]) -> float:
    """Run once under ``tracemalloc``; return the peak of Python allocations in MiB."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def pure(reps: int, accounts: int, matches: int, pairs: int) -> None:
    rng = random.Random(7)
    per_rep = [candidates_for(r, accounts, matches, rng) for r in range(reps)]
    policy = DigestPolicy(max_items_per_account=5, max_items=30)
    touches = {
        f"Account {r}-{a}": TouchStatus(0, 1, None) for r in range(reps) for a in range(accounts)
    }
    counts = {"parts": 0, "items": 0}

    def baseline() -> None:
        for cands in per_rep:
            slack_sdk_blocks(cands)

    def ours() -> None:
        parts = items = 0
        for r, cands in enumerate(per_rep):
            digest = build_digest(f"rep{r}@example.com", None, cands, touches, policy, NOW)
            messages = render_slack(digest)
            render_markdown(digest)
            parts += len(messages)
            items += digest.item_count
        counts.update(parts=parts, items=items)

    def timed(run: Callable[[], None]) -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    peak_baseline, peak_ours = _peak_mib(baseline), _peak_mib(ours)  # the warm-up
    runs_baseline, runs_ours = [], []
    for _ in range(pairs):
        runs_baseline.append(timed(baseline))
        runs_ours.append(timed(ours))
    ratios = [b / o for b, o in zip(runs_baseline, runs_ours, strict=True)]
    base_s, ours_s = statistics.median(runs_baseline), statistics.median(runs_ours)
    total = reps * accounts * matches
    print(
        f"## Pure: {reps:,} reps x {accounts} accounts x {matches} matches ({total:,} matches), "
        f"{pairs} interleaved pairs after a warm-up\n"
    )
    print("| method | seconds (median) | reps/s | peak allocations | speed-up (median, range) |")
    print("|---|---|---|---|---|")
    print(
        f"| slack-sdk model classes, item blocks only (baseline) | {base_s:.2f} | "
        f"{reps / base_s:,.0f} | {peak_baseline:.0f} MiB | 1.00x |"
    )
    print(
        f"| Clipper build + Block Kit (split, limits) + Markdown | {ours_s:.2f} | "
        f"{reps / ours_s:,.0f} | {peak_ours:.0f} MiB | {statistics.median(ratios):.2f}x "
        f"({min(ratios):.2f}-{max(ratios):.2f}) |"
    )
    print(f"\n{counts['items']:,} items shown in {counts['parts']:,} Slack messages\n")


def end_to_end(reps: int, accounts: int, matches: int) -> None:
    from clipper.config import load_config
    from clipper.wiring import make_clipper

    class Quiet:
        def write(self, *args: object) -> None:
            pass

    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(write_digest_config(Path(tmp), reps, accounts), {})
        names = [[f"Account {r}-{a}" for a in range(accounts)] for r in range(reps)]
        clock = lambda: NOW  # noqa: E731
        clipper = make_clipper(config, _clock=clock, _writer=Quiet())  # type: ignore[arg-type]
        storage = clipper.storage
        stored = seed_digest_matches(storage, reps, accounts, matches, NOW)
        since = NOW - timedelta(days=7)
        started = time.perf_counter()
        for r in range(reps):
            storage.digest_candidates(f"rep{r}@example.com", names[r], since, NOW)
        reading = time.perf_counter() - started
        started = time.perf_counter()
        report = clipper.digests.compose_due()
        composing = time.perf_counter() - started
        clipper.close()
    print(f"## End to end on SQLite, one pass: {reps:,} reps, {stored:,} stored matches\n")
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
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs (pure)")
    args = parser.parse_args()
    pure(args.reps, args.accounts, args.matches, args.pairs)
    end_to_end(args.reps, args.accounts, args.matches)


if __name__ == "__main__":
    main()
