"""Main-text extraction on the Zyte/Scrapinghub article-extraction benchmark (dev pages).

Metric: the benchmark's own (evaluate.py): \\w+ tokens, 4-token shingles as multisets, TP/FP/FN
per page normalised by their sum, precision and recall averaged over pages (precision only over
pages with a non-empty prediction), F1 the harmonic mean of the two averages. Clipper's extractor
is scored beside trafilatura (default and precision mode), readability-lxml and whole-page text,
all in this run. Usage: python bench/extract.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import html as lxml_html

from clipper.adapters.extract_text import MainTextExtractor, precise_text, readability_text

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def metrics(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return p, r, 2 * p * r / (p + r)


def whole_page(html: str) -> str:
    root = lxml_html.fromstring(html)
    for node in root.iter("script", "style", "noscript"):
        node.drop_tree()
    return str(root.text_content())


def trafilatura_default(html: str) -> str:
    import trafilatura

    return str(trafilatura.extract(html) or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    bench = args.data / "article_extraction_benchmark"
    truth = json.loads((bench / "ground-truth.json").read_text())
    pages = {
        k: gzip.decompress((bench / "html" / f"{k}.html.gz").read_bytes()).decode("utf-8")
        for k in sorted(truth)
    }
    ours = MainTextExtractor()

    def clipper(html: str) -> str:
        try:
            return ours.extract(html)
        except Exception:  # noqa: BLE001 - an empty answer is scored as such
            return ""

    extractors: dict[str, Callable[[str], str]] = {
        "clipper (trafilatura + readability check)": clipper,
        "trafilatura 2.x default": trafilatura_default,
        "trafilatura precision mode": lambda h: precise_text(h, None),
        "readability-lxml": readability_text,
        "whole-page text": whole_page,
    }
    print(f"{len(pages)} dev pages of the Zyte article-extraction benchmark\n")
    print("| extractor | precision | recall | F1 | pages/s |")
    print("|---|---|---|---|---|")
    for name, extract in extractors.items():
        started = time.perf_counter()
        outputs = {k: extract(html) for k, html in pages.items()}
        elapsed = time.perf_counter() - started
        rows = [tp_fp_fn(truth[k]["articleBody"], outputs[k]) for k in pages]
        p, r, f1 = metrics(rows)
        print(f"| {name} | {p:.4f} | {r:.4f} | {f1:.4f} | {len(pages) / elapsed:.0f} |")
    print(
        "\nPublished on all 181 pages: rs_trafilatura 0.970, AutoExtract 0.970, go_trafilatura "
        "0.960, trafilatura 0.958, newspaper4k 0.949, readability.js 0.947, Diffbot 0.951, "
        "readability-lxml 0.922, goose3 0.896, html-text 0.665"
    )


if __name__ == "__main__":
    main()
