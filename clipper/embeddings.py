"""Embeddings through a cache: each distinct text is embedded once per model, ever.

    keys    = text_key(text) for each text            # sha256 of NFKC, white-space-collapsed text
    cached  = storage.get_embeddings(model_key, keys)
    missing = embedder.encode(texts without a cached vector)   # batched, deduplicated
    storage.put_embeddings(model_key, missing)
    return the vectors in the order asked

Does not choose the model: ``make_clipper`` passes the embedder.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from .ports import EmbedderType, MetricsType, NoMetrics, StorageType


def text_key(text: str) -> str:
    """Return the cache key of a text: whitespace and Unicode forms do not change it."""
    normal = " ".join(unicodedata.normalize("NFKC", text).split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Embeds through the store's cache; the model loads only when something is missing."""

    def __init__(
        self,
        embedder: EmbedderType,
        storage: StorageType,
        clock: Callable[[], datetime],
        metrics: MetricsType | None = None,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.embedder = embedder
        self.storage = storage
        self.clock = clock
        self.metrics: MetricsType = metrics or NoMetrics()
        self.monotonic = monotonic
        #: texts embedded by the model (not served from the cache) since this object was made
        self.computed = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one normalised vector per text, in order."""
        keys = [text_key(t) for t in texts]
        model_key = self.embedder.model_key
        cached = self.storage.get_embeddings(model_key, keys)
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in cached and key not in todo:
                todo[key] = text
        vectors: dict[str, NDArray[np.float32]] = {
            key: np.frombuffer(blob, dtype=np.float32) for key, blob in cached.items()
        }
        if todo:
            started = self.monotonic()
            fresh = self.embedder.encode(list(todo.values()))
            self.metrics.embedded(len(todo), self.monotonic() - started)
            self.computed += len(todo)
            rows = [(key, fresh[i].tobytes()) for i, key in enumerate(todo)]
            self.storage.put_embeddings(model_key, fresh.shape[1], rows, self.clock())
            for i, key in enumerate(todo):
                vectors[key] = fresh[i]
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([vectors[k] for k in keys]).astype(np.float32, copy=False)
