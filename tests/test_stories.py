"""Same story across outlets: grouping near-duplicates with the real model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clipper.adapters.embed_st import SentenceTransformerEmbedder
from clipper.logic.stories import (
    StoryPolicy,
    group_stories,
    jaccard,
    same_story_pairs,
    title_shingles,
)

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_title_overlap() -> None:
    a = title_shingles("Acme Robotics to acquire Lumen Sight for $200M")
    b = title_shingles("Acme Robotics to acquire Lumen Sight, sources say")
    assert 0.3 < jaccard(a, b) < 1 and jaccard(a, frozenset()) == 0


def test_outlets_covering_one_story_group_and_others_stay_apart() -> None:
    titles = [
        "Acme Robotics to acquire vision start-up Lumen Sight",
        "Acme Robotics agrees to buy Lumen Sight, a machine-vision start-up",
        "Lumen Sight acquired by Acme Robotics",
        "Acme Robotics launches a welding cobot",
        "Acme Robotics to acquire vision start-up Lumen Sight",  # the same, but a week later
    ]
    published = [T0, T0 + timedelta(hours=2), T0 + timedelta(hours=5), T0, T0 + timedelta(days=7)]
    vectors = SentenceTransformerEmbedder().encode(titles)
    labels = group_stories(len(titles), same_story_pairs(vectors, titles, published, StoryPolicy()))
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0] and labels[4] != labels[0]
