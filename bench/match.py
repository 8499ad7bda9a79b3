"""Matching performance, each figure beside its baseline from the same run.

1. Mentions: articles/s against 20,000 accounts (S&P 500 names plus synthetic company names),
   Clipper's one-pass automaton beside one regex per name (PERF.md: 4 articles/s) on a sample.
2. Semantic scoring: 50,000 articles x 20,000 accounts, 384-d: chunked matmul with the threshold
   applied before anything else, beside a per-article mat-vec loop on a sample.
3. Pipeline overhead: ``Matcher.match`` on N real headlines (embedding, mentions, watch terms,
   events, decisions) beside embedding the same texts alone; both with an empty cache, both with
   the shipped embedder (``model:`` defaults: ONNX int8).

Since issue 14 each comparison runs one warm-up of each side (measuring its peak of Python
allocations with ``tracemalloc``: numpy's arrays are counted, ONNX Runtime's and the automaton's
C memory are not), then ``--pairs`` pairs, baseline then Clipper; it reports the median rates and
the median of the pairwise speed-ups with min and max, so load on a shared machine lands on
both sides of every pair.
Usage: python bench/match.py [--articles 1000] [--pairs 5]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ten",
    "va",
    "lor",
    "ix",
    "qua",
    "zen",
    "dur",
    "fel",
    "gar",
    "hel",
    "jun",
    "kel",
    "mor",
    "nex",
    "pra",
    "sol",
    "tri",
    "ul",
    "vex",
]
SUFFIXES = [
    "Holdings",
    "Systems",
    "Logistics",
    "Energy",
    "Foods",
    "Labs",
    "Group",
    "Partners",
    "Industries",
    "Networks",
    "Capital",
    "Materials",
    "Health",
    "Robotics",
    "Analytics",
]


def synthetic_names(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        names.add(f"{stem} {rng.choice(SUFFIXES)}" if rng.random() < 0.7 else stem)
    return sorted(names)


def reuters_texts(root: Path, count: int) -> list[str]:
    texts: list[str] = []
    for file in sorted(root.glob("reut2-*.sgm")):
        raw = file.read_bytes().decode("latin-1")
        for body in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S):
            texts.append(" ".join(body.split())[:600])
            if len(texts) >= count:
                return texts
    return texts


def peak_mib(work: Callable[[], object]) -> float:
    """Run ``work`` once; return its peak of Python allocations in MiB (the warm-up run)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def pairs(
    baseline: Callable[[], float], clipper: Callable[[], float], count: int
) -> tuple[list[float], list[float]]:
    """Run ``count`` pairs, baseline then Clipper; each returns a rate. Return both lists."""
    base: list[float] = []
    ours: list[float] = []
    for _pair in range(count):
        base.append(baseline())
        ours.append(clipper())
    return base, ours


def speedup(base: list[float], ours: list[float]) -> str:
    """Median pairwise speed-up (Clipper's rate over the baseline's) with min and max."""
    ratios = [o / b for b, o in zip(base, ours, strict=True)]
    return f"{statistics.median(ratios):,.2f}x ({min(ratios):,.2f}-{max(ratios):,.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = parser.parse_args()

    from clipper.adapters.mentions_ac import MentionIndex
    from clipper.types import AccountNames

    with (args.data / "sp500_companies" / "constituents.csv").open(encoding="utf-8") as f:
        sp500 = [(r["Symbol"], r["Security"]) for r in csv.DictReader(f)]
    names = [n for _, n in sp500] + synthetic_names(20_000 - len(sp500))
    accounts = [AccountNames(name) for name in names]
    for i, (ticker, _name) in enumerate(sp500):
        accounts[i] = AccountNames(sp500[i][1], tickers=(ticker,))
    texts = reuters_texts(args.data / "reuters21578", 10_000)

    print(f"## Mentions: 20,000 accounts, {args.pairs} pairs\n")
    started = time.perf_counter()
    index = MentionIndex(accounts)
    built = time.perf_counter() - started
    found = sum(len(index.find(t)) for t in texts)
    sample = texts[:20]
    patterns = [re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)", re.I) for n in names]

    def regex_loop() -> float:
        started = time.perf_counter()
        for t in sample:
            for p in patterns:
                p.search(t)
        return len(sample) / (time.perf_counter() - started)

    def automaton() -> float:
        started = time.perf_counter()
        for t in texts:
            index.find(t)
        return len(texts) / (time.perf_counter() - started)

    peak_loop, peak_index = peak_mib(regex_loop), peak_mib(lambda: MentionIndex(accounts))
    loop_rates, index_rates = pairs(regex_loop, automaton, args.pairs)
    print("| method | articles/s (~600 chars), median | peak Python allocations |")
    print("|---|---|---|")
    print(
        f"| one regex per name, looped (baseline, {len(sample)} articles) | "
        f"{statistics.median(loop_rates):.1f} | {peak_loop:.0f} MiB |"
    )
    print(
        f"| Clipper MentionIndex ({len(texts)} Reuters articles, {found} mentions) | "
        f"{statistics.median(index_rates):,.0f} | {peak_index:.0f} MiB (building the index) |"
    )
    print(f"\nspeed-up, median of pairs: {speedup(loop_rates, index_rates)}; ")
    print(f"index built in {built:.1f}s\n")

    print("## Semantic scoring: 50,000 articles x 20,000 accounts, 384-d float32\n")
    rng = np.random.default_rng(7)
    accounts_m = rng.standard_normal((20_000, 384)).astype(np.float32)
    accounts_m /= np.linalg.norm(accounts_m, axis=1, keepdims=True)
    articles_m = rng.standard_normal((50_000, 384)).astype(np.float32)
    articles_m /= np.linalg.norm(articles_m, axis=1, keepdims=True)
    # make some pairs genuinely close so the threshold keeps something
    articles_m[:5000] = accounts_m[rng.integers(0, 20_000, 5000)] * 0.9 + articles_m[:5000] * 0.1
    articles_m /= np.linalg.norm(articles_m, axis=1, keepdims=True)
    kept = 0

    def chunked() -> float:
        nonlocal kept
        kept = 0
        started = time.perf_counter()
        for start in range(0, len(articles_m), 2048):
            sims = articles_m[start : start + 2048] @ accounts_m.T
            rows, _cols = np.nonzero(sims >= 0.5)
            kept += len(rows)
        return len(articles_m) / (time.perf_counter() - started)

    def per_article() -> float:
        started = time.perf_counter()
        for vector in articles_m[:200]:
            np.nonzero(accounts_m @ vector >= 0.5)
        return 200 / (time.perf_counter() - started)

    peak_loop, peak_chunked = peak_mib(per_article), peak_mib(chunked)
    loop_rates, chunk_rates = pairs(per_article, chunked, args.pairs)
    loop, rate = statistics.median(loop_rates), statistics.median(chunk_rates)
    print("| method | articles/s, median | 50,000 articles | peak Python allocations |")
    print("|---|---|---|---|")
    print(
        f"| per-article mat-vec (baseline, 200 articles) | {loop:,.0f} | "
        f"{50_000 / loop:.0f} s (projected) | {peak_loop:.0f} MiB |"
    )
    print(
        f"| Clipper: chunked matmul, threshold 0.5 first | {rate:,.0f} | "
        f"{50_000 / rate:.1f} s ({kept:,} pairs kept) | {peak_chunked:.0f} MiB |\n"
    )
    print(f"speed-up, median of pairs: {speedup(loop_rates, chunk_rates)}\n")

    print(f"## Pipeline overhead: {args.articles} headlines\n")
    from clipper.adapters.ner_spacy import SpacyEntityRecognizer
    from clipper.adapters.storage import Storage
    from clipper.config import Account, Catalog, Config, Settings
    from clipper.core import make_embedder
    from clipper.embeddings import EmbeddingCache
    from clipper.matcher import Matcher, embedding_text
    from clipper.types import ArticleText

    with (args.data / "uci_news_aggregator" / "uci-news-aggregator.csv").open(
        encoding="utf-8"
    ) as handle:
        titles = list(dict.fromkeys(r["TITLE"] for r in csv.DictReader(handle)))
    bodies = reuters_texts(args.data / "reuters21578", args.articles)
    items = [
        ArticleText(str(i), titles[i % len(titles)] + f" ({i})", bodies[i % len(bodies)])
        for i in range(args.articles)
    ]
    config = Config(
        path=Path("bench.yaml"),
        settings=Settings(),
        catalogs=(Catalog(industry="business", description="company and market news"),),
        accounts=tuple(Account(name=n, industry="business") for n in names[:2000]),
        reps=(),
    )
    embedder = make_embedder(config)  # the shipped model settings
    embedder.encode(["warm up"])
    texts_alone = [embedding_text(a.title, a.text) for a in items]

    def alone() -> float:
        started = time.perf_counter()
        embedder.encode(texts_alone)
        return args.articles / (time.perf_counter() - started)

    def whole() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            store = Storage(Path(tmp) / "m.db")  # an empty cache every time
            store.migrate()
            matcher = Matcher(
                config,
                EmbeddingCache(embedder, store, lambda: datetime.now(UTC)),
                MentionIndex,
                SpacyEntityRecognizer(config.settings.model.entities),
            )
            matcher.match(items[:1])  # profiles embedded outside the timing
            started = time.perf_counter()
            for start in range(0, len(items), 256):
                matcher.match(items[start : start + 256])
            rate = args.articles / (time.perf_counter() - started)
            store.close()
        return rate

    peak_alone, peak_whole = peak_mib(alone), peak_mib(whole)
    alone_rates, whole_rates = pairs(alone, whole, args.pairs)
    print(f"| stage ({args.pairs} pairs) | articles/s, median | peak Python allocations |")
    print("|---|---|---|")
    print(
        f"| embedding alone ({embedder.model_key}) | "
        f"{statistics.median(alone_rates):.0f} | {peak_alone:.0f} MiB |"
    )
    print(
        f"| whole matching pipeline (2,000 accounts, cache writes included) | "
        f"{statistics.median(whole_rates):.0f} | {peak_whole:.0f} MiB |"
    )
    print(
        f"\nwhole pipeline / embedding alone, median of pairs: {speedup(alone_rates, whole_rates)}"
    )


if __name__ == "__main__":
    main()
