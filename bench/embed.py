"""Embedding throughput: Clipper's embedder against plain ``SentenceTransformer.encode``,
interleaved.

Texts: distinct headlines from ../shared/data/uci_news_aggregator (real news titles). Each run
is a fresh child process, so each side pays its own imports and model load and has its own peak
RSS:

    baseline   plain fp32 ``SentenceTransformer.encode`` (bundled all-MiniLM-L6-v2, batch 32,
               torch's default threads, normalize_embeddings)
    candidate  Clipper's embedder as ``model:`` builds it (``clipper.core.make_embedder``; the
               shipped settings, or ``--backend``), its ``encode`` (no SQLite cache)

After one warm-up run of each (not counted), baseline and candidate alternate (A B A B ...) for
``--pairs`` pairs. Reported: the median of the pairwise ratios (baseline time / candidate time)
with min and max, for the encode loop (after a warm-up batch inside the child) and for the whole
child process (start, imports, model load, encode: what a user running a command pays); each
side's median peak RSS; the least cosine between the candidate's and the baseline's vectors; and
the 1-minute load average at the start, after each pair and at the end (a loaded machine moves
the ratio: docs/benchmarks.md).
The ONNX backend's export must be cached first (``clipper model prepare``).

Usage: python bench/embed.py [--texts 1000] [--pairs 5] [--backend torch|onnx|onnx-fp32]
Does not judge the result: read the range before calling anything faster.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()
BACKENDS: dict[str, dict[str, Any]] = {
    "torch": {"backend": "torch", "precision": "fp32"},
    "onnx": {"backend": "onnx", "quantize": "int8"},
    "onnx-fp32": {"backend": "onnx", "quantize": "none"},
}


def child(side: str, texts_path: Path, out: Path, backend: str | None) -> None:
    """One timed run in this process: load, warm up, encode every text; write the figures."""
    texts = json.loads(texts_path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if side == "baseline":
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        from clipper.adapters.model_files import resolve_model

        transformers_logging.disable_progress_bar()
        model = SentenceTransformer(resolve_model("all-MiniLM-L6-v2"), device="cpu")

        def encode(batch: list[str]) -> Any:
            return model.encode(batch, batch_size=32, normalize_embeddings=True)

    else:
        from clipper.config import Config, Settings
        from clipper.core import make_embedder

        settings = Settings.model_validate({"model": BACKENDS[backend] if backend else {}})
        embedder = make_embedder(
            Config(path=HERE, settings=settings, catalogs=(), accounts=(), reps=())
        )
        encode = embedder.encode
    encode(texts[:32])  # loads the model; warm-up outside the timed loop
    loaded = time.perf_counter()
    vectors = encode(texts)
    done = time.perf_counter()
    np.save(out.with_suffix(".npy"), np.asarray(vectors, dtype=np.float32))
    out.write_text(
        json.dumps(
            {
                "load_s": loaded - started,
                "encode_s": done - loaded,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "torch_imported": "torch" in sys.modules,
            }
        )
    )


def run(side: str, texts_path: Path, folder: Path, backend: str | None) -> dict[str, Any]:
    out = folder / f"{side}.json"
    command = [sys.executable, str(HERE), "--child", side, "--texts-file", str(texts_path)]
    command += ["--out", str(out)] + (["--backend", backend] if backend else [])
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    result: dict[str, Any] = json.loads(out.read_text())
    result["process_s"] = time.perf_counter() - started
    result["vectors"] = np.load(out.with_suffix(".npy"))
    return result


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (min {min(values):.2f}x, max {max(values):.2f}x)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--backend", choices=sorted(BACKENDS), default=None)
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--child", choices=["baseline", "candidate"], help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.texts_file, args.out, args.backend)
        return
    with (args.data / "uci_news_aggregator" / "uci-news-aggregator.csv").open(
        encoding="utf-8"
    ) as handle:
        titles = list(dict.fromkeys(row["TITLE"] for row in csv.DictReader(handle)))
    texts = titles[: args.texts]
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts_path = folder / "texts.json"
        texts_path.write_text(json.dumps(texts), encoding="utf-8")
        run("baseline", texts_path, folder, args.backend)  # warm-up pair: disk cache, pages
        run("candidate", texts_path, folder, args.backend)
        pairs = []
        for _ in range(args.pairs):
            a = run("baseline", texts_path, folder, args.backend)
            b = run("candidate", texts_path, folder, args.backend)
            pairs.append((a, b))
            print(
                f"pair {len(pairs)}: encode {a['encode_s']:.2f} s / {b['encode_s']:.2f} s, "
                f"process {a['process_s']:.2f} s / {b['process_s']:.2f} s, "
                f"load average {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
    encode = [a["encode_s"] / b["encode_s"] for a, b in pairs]
    process = [a["process_s"] / b["process_s"] for a, b in pairs]
    cosine = min(float(np.min(np.sum(a["vectors"] * b["vectors"], axis=1))) for a, b in pairs)
    torch_in_candidate = any(b["torch_imported"] for _, b in pairs)

    def median(key: str, index: int) -> float:
        return statistics.median(p[index][key] for p in pairs)

    print(
        f"{len(texts)} distinct headlines; {args.pairs} interleaved pairs after a warm-up pair; "
        f"candidate: {args.backend or 'shipped model settings'}; {os.cpu_count()} CPUs; "
        f"load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n"
    )
    print("| measurement | baseline (plain fp32 encode) | Clipper | Clipper vs baseline |")
    print("|---|---|---|---|")
    print(
        f"| encode loop, texts/s (median) | {len(texts) / median('encode_s', 0):.0f} | "
        f"{len(texts) / median('encode_s', 1):.0f} | {spread(encode)} |"
    )
    print(
        f"| whole process, s (median) | {median('process_s', 0):.1f} | "
        f"{median('process_s', 1):.1f} | {spread(process)} |"
    )
    print(
        f"| imports, model load, warm-up batch, s (median) | {median('load_s', 0):.1f} | "
        f"{median('load_s', 1):.1f} | - |"
    )
    print(
        f"| peak RSS, MB (median) | {median('peak_rss_mb', 0):.0f} | "
        f"{median('peak_rss_mb', 1):.0f} | - |"
    )
    print(f"\nleast cosine, Clipper vs baseline vectors: {cosine:.4f}")
    print(f"torch imported by the Clipper process: {'yes' if torch_in_candidate else 'no'}")


if __name__ == "__main__":
    main()
