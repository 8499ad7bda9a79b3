"""Embedding throughput: Clipper's cached embedder beside plain ``SentenceTransformer.encode``.

Texts: headlines from ../shared/data/uci_news_aggregator (real news titles). In one process:
plain fp32 ``encode`` (the baseline), Clipper fp32 and bf16 through the SQLite cache (first run
embeds, so it includes the cache writes), and a second run over the same texts (embeds nothing).
Usage: python bench/embed.py [--texts 2000] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = parser.parse_args()
    with (args.data / "uci_news_aggregator" / "uci-news-aggregator.csv").open(
        encoding="utf-8"
    ) as handle:
        titles = list(dict.fromkeys(row["TITLE"] for row in csv.DictReader(handle)))
    texts = titles[: args.texts]

    from sentence_transformers import SentenceTransformer

    from clipper.adapters.embed_st import SentenceTransformerEmbedder, resolve_model
    from clipper.adapters.storage import Storage
    from clipper.embeddings import EmbeddingCache

    plain = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")
    plain.encode(texts[:64])  # warm up
    started = time.perf_counter()
    reference = plain.encode(texts, batch_size=32, normalize_embeddings=True)
    baseline = len(texts) / (time.perf_counter() - started)
    print(f"{len(texts)} distinct headlines\n")
    print("| configuration | texts/s | vs plain fp32 encode | min cosine to fp32 |")
    print("|---|---|---|---|")
    print(f"| plain SentenceTransformer.encode fp32, batch 32 | {baseline:.0f} | 1.00x | 1 |")
    with tempfile.TemporaryDirectory() as tmp:
        for precision, batch in (("fp32", 32), ("bf16", 64)):
            store = Storage(Path(tmp) / f"{precision}.db")
            store.migrate()
            embedder = SentenceTransformerEmbedder(precision=precision, batch_size=batch)
            embedder.encode(texts[:64])  # load and warm up outside the timing
            cache = EmbeddingCache(embedder, store, lambda: datetime.now(UTC))
            started = time.perf_counter()
            vectors = cache.embed(texts)
            rate = len(texts) / (time.perf_counter() - started)
            agreement = float(np.min(np.sum(vectors * reference, axis=1)))
            print(
                f"| Clipper {precision}, batch {batch}, first run (embeds, caches) | "
                f"{rate:.0f} | {rate / baseline:.2f}x | {agreement:.4f} |"
            )
            again = EmbeddingCache(embedder, store, lambda: datetime.now(UTC))
            started = time.perf_counter()
            again.embed(texts)
            rate = len(texts) / (time.perf_counter() - started)
            print(
                f"| Clipper {precision}, second run ({again.computed} embedded) | "
                f"{rate:,.0f} | {rate / baseline:.1f}x | - |"
            )
            store.close()


if __name__ == "__main__":
    main()
