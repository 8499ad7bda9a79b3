"""Main-text extraction on the Zyte/Scrapinghub article-extraction benchmark (dev pages).

Metric: the benchmark's own (evaluate.py): \\w+ tokens, 4-token shingles as multisets, TP/FP/FN
per page normalised by their sum, precision and recall averaged over pages (precision only over
pages with a non-empty prediction), F1 the harmonic mean of the two averages. Clipper's extractor
is scored beside trafilatura (default and precision mode), readability-lxml and whole-page text,
all in this run.

Speed, as every bench here measures it since issue 14: after one warm-up pass of every extractor
(which gives the scores: they are deterministic, and each extractor's peak of Python allocations,
with ``tracemalloc``; libxml2's own memory is not counted), ``--rounds`` rounds run the
extractors one after another over all pages, so load on a shared machine lands on every one
alike. Reported: the median pages/s over the rounds, and each extractor's time against
trafilatura's default in the same round, as the median ratio with min and max.

Usage: python bench/extract.py [--data ../shared/data] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
import tracemalloc
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
    parser.add_argument("--rounds", type=int, default=5)
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
    print(
        f"{len(pages)} dev pages of the Zyte article-extraction benchmark, {args.rounds} rounds\n"
    )
    scores: dict[str, tuple[float, float, float]] = {}
    peaks: dict[str, int] = {}
    for name, extract in extractors.items():  # warm-up: scores and peak Python allocations
        tracemalloc.start()
        outputs = {k: extract(html) for k, html in pages.items()}
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        scores[name] = metrics([tp_fp_fn(truth[k]["articleBody"], outputs[k]) for k in pages])
    seconds: dict[str, list[float]] = {name: [] for name in extractors}
    for _round in range(args.rounds):
        for name, extract in extractors.items():
            started = time.perf_counter()
            for html in pages.values():
                extract(html)
            seconds[name].append(time.perf_counter() - started)
    baseline = seconds["trafilatura 2.x default"]
    print(
        "| extractor | precision | recall | F1 | pages/s (median) "
        "| time vs trafilatura default, median (min-max) | peak Python allocations |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in extractors:
        p, r, f1 = scores[name]
        ratios = [mine / base for mine, base in zip(seconds[name], baseline, strict=True)]
        rate = len(pages) / statistics.median(seconds[name])
        print(
            f"| {name} | {p:.4f} | {r:.4f} | {f1:.4f} | {rate:.0f} | "
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{peaks[name] / 2**20:.0f} MiB |"
        )
    print(
        "\nPublished on all 181 pages: rs_trafilatura 0.970, AutoExtract 0.970, go_trafilatura "
        "0.960, trafilatura 0.958, newspaper4k 0.949, readability.js 0.947, Diffbot 0.951, "
        "readability-lxml 0.922, goose3 0.896, html-text 0.665"
    )


if __name__ == "__main__":
    main()
