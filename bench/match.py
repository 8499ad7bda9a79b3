"""Matching performance, each figure beside its baseline from the same run.

1. Mentions: articles/s against 20,000 accounts (S&P 500 names plus synthetic company names),
   Clipper's one-pass automaton beside one regex per name (PERF.md: 4 articles/s) on a sample.
2. Semantic scoring: 50,000 articles x 20,000 accounts, 384-d: chunked matmul with the threshold
   applied before anything else, beside a per-article mat-vec loop on a sample.
3. Pipeline overhead: ``Matcher.match`` on N real headlines (embedding, mentions, watch terms,
   events, decisions) beside embedding the same texts alone; both with an empty cache.
Usage: python bench/match.py [--articles 5000]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=5000)
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

    print("## Mentions: 20,000 accounts\n")
    started = time.perf_counter()
    index = MentionIndex(accounts)
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = sum(len(index.find(t)) for t in texts)
    rate = len(texts) / (time.perf_counter() - started)
    sample = texts[:20]
    patterns = [re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)", re.I) for n in names]
    started = time.perf_counter()
    for t in sample:
        for p in patterns:
            p.search(t)
    loop_rate = len(sample) / (time.perf_counter() - started)
    print("| method | articles/s (~600 chars) |")
    print("|---|---|")
    print(f"| one regex per name, looped (baseline, {len(sample)} articles) | {loop_rate:.1f} |")
    print(
        f"| Clipper MentionIndex ({len(texts)} Reuters articles, {found} mentions) | "
        f"{rate:,.0f} ({rate / loop_rate:,.0f}x) |"
    )
    print(f"\nindex built in {built:.1f}s\n")

    print("## Semantic scoring: 50,000 articles x 20,000 accounts, 384-d float32\n")
    rng = np.random.default_rng(7)
    accounts_m = rng.standard_normal((20_000, 384)).astype(np.float32)
    accounts_m /= np.linalg.norm(accounts_m, axis=1, keepdims=True)
    articles_m = rng.standard_normal((50_000, 384)).astype(np.float32)
    articles_m /= np.linalg.norm(articles_m, axis=1, keepdims=True)
    # make some pairs genuinely close so the threshold keeps something
    articles_m[:5000] = accounts_m[rng.integers(0, 20_000, 5000)] * 0.9 + articles_m[:5000] * 0.1
    articles_m /= np.linalg.norm(articles_m, axis=1, keepdims=True)
    started = time.perf_counter()
    kept = 0
    for start in range(0, len(articles_m), 2048):
        sims = articles_m[start : start + 2048] @ accounts_m.T
        rows, cols = np.nonzero(sims >= 0.5)
        kept += len(rows)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for vector in articles_m[:200]:
        np.nonzero(accounts_m @ vector >= 0.5)
    loop = 200 / (time.perf_counter() - started)
    print("| method | articles/s | 50,000 articles |")
    print("|---|---|---|")
    print(
        f"| per-article mat-vec (baseline, 200 articles) | {loop:,.0f} | "
        f"{50_000 / loop:.0f} s (projected) |"
    )
    print(
        f"| Clipper: chunked matmul, threshold 0.5 first | {50_000 / elapsed:,.0f} | "
        f"{elapsed:.1f} s ({kept:,} pairs kept) |\n"
    )

    print(f"## Pipeline overhead: {args.articles} headlines\n")
    from clipper.adapters.embed_st import SentenceTransformerEmbedder
    from clipper.adapters.ner_spacy import SpacyEntityRecognizer
    from clipper.adapters.storage import Storage
    from clipper.config import Account, Catalog, Config, Settings
    from clipper.embeddings import EmbeddingCache
    from clipper.matcher import TEXT_CHARS, Matcher
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
    embedder = SentenceTransformerEmbedder(batch_size=32)
    embedder.encode(["warm up"])
    started = time.perf_counter()
    embedder.encode([f"{a.title}. {a.text[:TEXT_CHARS]}" for a in items])
    alone = args.articles / (time.perf_counter() - started)
    config = Config(
        path=Path("bench.yaml"),
        settings=Settings(),
        catalogs=(Catalog(industry="business", description="company and market news"),),
        accounts=tuple(Account(name=n, industry="business") for n in names[:2000]),
        reps=(),
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Storage(Path(tmp) / "m.db")
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
        whole = args.articles / (time.perf_counter() - started)
        store.close()
    print("| stage | articles/s | ratio |")
    print("|---|---|---|")
    print(f"| embedding alone (fp32, batch 32) | {alone:.0f} | 1.00 |")
    print(
        f"| whole matching pipeline (2,000 accounts, cache writes included) | {whole:.0f} | "
        f"{whole / alone:.2f} |"
    )


if __name__ == "__main__":
    main()
