"""Embeddings with the real all-MiniLM-L6-v2 weights, through the store's cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipper.adapters.embed_st import SentenceTransformerEmbedder
from clipper.adapters.storage import Storage
from clipper.embeddings import EmbeddingCache, text_key
from clipper.exceptions import EmbedderError

from .conftest import Clock


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(batch_size=16)


def test_related_headlines_are_closer_than_unrelated_ones(
    embedder: SentenceTransformerEmbedder,
) -> None:
    vectors = embedder.encode(
        [
            "Acme Robotics agrees to buy machine-vision start-up",
            "Robot maker acquires computer vision company",
            "Heavy rain expected across the north this weekend",
        ]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_each_distinct_text_is_embedded_once(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    store = Storage(tmp_path / "c.db")
    store.migrate()
    cache = EmbeddingCache(embedder, store, Clock())
    texts = [
        "Helix Components lays off 300",
        "Solara Energy beats estimates",
        "Helix  Components lays off 300",
    ]  # the same text, spaced differently
    first = cache.embed(texts)
    assert cache.computed == 2
    assert np.array_equal(first[0], first[2])
    again = EmbeddingCache(embedder, store, Clock())  # a new process: the store remembers
    second = again.embed(list(reversed(texts)))
    assert again.computed == 0
    assert np.allclose(second[::-1], first)
    assert text_key("a  b") == text_key("a b") != text_key("a b c")


def test_model_key_names_model_and_precision() -> None:
    fp32 = SentenceTransformerEmbedder(precision="fp32")
    bf16 = SentenceTransformerEmbedder(precision="bf16")
    auto = SentenceTransformerEmbedder()
    assert fp32.model_key != bf16.model_key
    assert fp32.model_key.startswith("all-MiniLM-L6-v2:") and fp32.model_key.endswith(":fp32")
    assert auto.resolved_precision in ("fp32", "bf16")
    assert auto.model_key in (fp32.model_key, bf16.model_key)


def test_bf16_agrees_with_fp32(embedder: SentenceTransformerEmbedder) -> None:
    texts = [
        "Port strike averted as dockworkers reach deal",
        "Transmission permitting reform clears Senate committee",
    ]
    fp32 = embedder.encode(texts)
    bf16 = SentenceTransformerEmbedder(precision="bf16").encode(texts)
    assert np.min(np.sum(fp32 * bf16, axis=1)) > 0.99


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "model"
    broken.mkdir()
    with pytest.raises(EmbedderError, match="cannot load the embedding model"):
        SentenceTransformerEmbedder(str(broken)).encode(["x"])
