"""Same story across outlets: near-duplicate articles grouped, so a digest shows one of them
with "also in ...".

Two articles tell the same story when they were published within the time window and either
their embeddings are very close, or they are fairly close and their titles share many word
trigrams. Groups are transitive (union-find). Does not compute embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class StoryPolicy:
    #: this similar alone is the same story
    strong: float = 0.8
    #: this similar is the same story when the titles also overlap (``title_overlap``)
    weak: float = 0.6
    #: Jaccard overlap of title word trigrams that confirms a ``weak`` pair
    title_overlap: float = 0.3
    window: timedelta = timedelta(days=2)


def title_shingles(title: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    """Return the set of word n-grams of a lower-cased title (the words themselves if shorter)."""
    words = _WORD.findall(title.lower())
    if len(words) < n:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_story_pairs(
    vectors: NDArray[np.float32],
    titles: Sequence[str],
    published: Sequence[datetime],
    policy: StoryPolicy,
) -> list[tuple[int, int]]:
    """Return the index pairs (i < j) that tell the same story."""
    n = len(titles)
    if n < 2:
        return []
    shingles = [title_shingles(t) for t in titles]
    times = np.array([p.timestamp() for p in published])
    window = policy.window.total_seconds()
    pairs: list[tuple[int, int]] = []
    chunk = 1024
    for start in range(0, n, chunk):
        sims = vectors[start : start + chunk] @ vectors.T
        rows, cols = np.nonzero(sims >= policy.weak)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i = start + r
            if c <= i or abs(times[i] - times[c]) > window:
                continue
            if sims[r, c] >= policy.strong or (
                jaccard(shingles[i], shingles[c]) >= policy.title_overlap
            ):
                pairs.append((i, c))
    return pairs


def group_stories(n: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """Return a story label per item: the smallest index in its group (union-find)."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(n)]
