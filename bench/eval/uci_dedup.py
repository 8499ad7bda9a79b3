"""Same story across outlets on UCI News Aggregator headlines: pairwise precision/recall/F1.

Gold: two headlines tell the same story when they share the aggregator's STORY id. Pairs are
all pairs of distinct headlines within the same CATEGORY (different-story pairs from the same
section are the hard negatives). Clipper's rule (embeddings + title trigrams, a 2-day window,
``clipper.logic.stories``) is scored beside the keyword baseline: identical normalised titles.
Also B-cubed F1 of the resulting groups. Usage: python bench/eval/uci_dedup.py
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def prf(predicted: set[tuple[int, int]], gold: set[tuple[int, int]]) -> str:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"| {p:.3f} | {r:.3f} | {f:.3f} |"


def bcubed(labels: list[int], gold: list[str]) -> float:
    by_label: dict[int, set[int]] = defaultdict(set)
    by_gold: dict[str, set[int]] = defaultdict(set)
    for i, (label, story) in enumerate(zip(labels, gold, strict=True)):
        by_label[label].add(i)
        by_gold[story].add(i)
    p = r = 0.0
    for i in range(len(labels)):
        cluster, truth = by_label[labels[i]], by_gold[gold[i]]
        overlap = len(cluster & truth)
        p += overlap / len(cluster)
        r += overlap / len(truth)
    p, r = p / len(labels), r / len(labels)
    return 2 * p * r / (p + r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    rows = load(args.data / "uci_news_aggregator" / "uci-news-aggregator.csv")
    titles = [r["TITLE"] for r in rows]
    stories = [r["STORY"] for r in rows]
    categories = [r["CATEGORY"] for r in rows]
    published = [datetime.fromtimestamp(int(r["TIMESTAMP"]) / 1000, UTC) for r in rows]
    n = len(rows)
    same_category = {
        (i, j) for i in range(n) for j in range(i + 1, n) if categories[i] == categories[j]
    }
    gold = {(i, j) for i, j in same_category if stories[i] == stories[j]}

    def norm(t: str) -> str:
        return " ".join(re.findall(r"\w+", t.lower()))

    by_title: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(titles):
        by_title[norm(t)].append(i)
    baseline = {(a, b) for group in by_title.values() for a in group for b in group if a < b}

    from clipper.adapters.embed_st import SentenceTransformerEmbedder
    from clipper.logic.stories import StoryPolicy, group_stories, same_story_pairs

    embedder = SentenceTransformerEmbedder(batch_size=64)
    started = time.perf_counter()
    vectors = embedder.encode(titles)
    embedded = time.perf_counter() - started
    print(f"{n} headlines, {len(same_category):,} same-section pairs, {len(gold):,} same-story\n")
    print("| system | precision | recall | F1 | B-cubed F1 |")
    print("|---|---|---|---|---|")
    labels = [min(g) for t in titles for g in [by_title[norm(t)]]]
    print(
        f"| identical titles (baseline) {prf(baseline & same_category, gold)} "
        f"{bcubed(labels, stories):.3f} |"
    )
    for policy in (
        StoryPolicy(),
        StoryPolicy(strong=0.75, weak=0.55),
        StoryPolicy(strong=0.7, weak=0.5, title_overlap=0.2),
    ):
        started = time.perf_counter()
        pairs = set(same_story_pairs(vectors, titles, published, policy))
        grouped = group_stories(n, sorted(pairs))
        grouped_pairs = {(i, j) for i, j in same_category if grouped[i] == grouped[j]}
        elapsed = time.perf_counter() - started
        print(
            f"| Clipper strong {policy.strong}, weak {policy.weak} + titles "
            f"{policy.title_overlap} (groups) {prf(grouped_pairs, gold)} "
            f"{bcubed(grouped, stories):.3f} |"
        )
    print(f"\nembedding {n / embedded:.0f} headlines/s; grouping {elapsed:.1f}s")


if __name__ == "__main__":
    main()
