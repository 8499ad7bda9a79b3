"""Industries on Reuters-21578: articles linked to industries by similarity, vs keyword alerts.

Gold: each document's TOPICS mapped to industries with the fixed mapping below (ours, not the
dataset's; ``earn`` and ``acq`` are event types, not industries, and map to nothing, so an
earnings story has no industry to find). Industry profiles are written like catalog
descriptions (below). Clipper: cosine similarity of title + first 600 characters of the body to
each profile, through ``logic.matching`` (the best industry from
``matching.best_industry_threshold``, others from ``matching.industry_threshold``). Baseline: a
keyword alert per industry on the same text. Micro precision, recall and F1 over (document,
industry) pairs, on a seeded sample of documents that have topics.
Usage: python bench/eval/reuters_topics.py [--docs 2000]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from scoring import micro_row  # noqa: E402

TOPIC_INDUSTRY = {
    **dict.fromkeys(
        ["crude", "nat-gas", "gas", "fuel", "heat", "jet", "naphtha", "propane", "pet-chem"],
        "energy",
    ),
    **dict.fromkeys(
        [
            "gold",
            "silver",
            "copper",
            "zinc",
            "lead",
            "tin",
            "alum",
            "nickel",
            "iron-steel",
            "platinum",
            "palladium",
            "strategic-metal",
        ],
        "metals-mining",
    ),
    **dict.fromkeys(
        [
            "grain",
            "wheat",
            "corn",
            "barley",
            "rice",
            "sorghum",
            "oat",
            "rye",
            "oilseed",
            "soybean",
            "veg-oil",
            "sugar",
            "coffee",
            "cocoa",
            "tea",
            "cotton",
            "rubber",
            "livestock",
            "carcass",
            "orange",
            "soy-meal",
            "soy-oil",
            "meal-feed",
            "palm-oil",
            "rape-oil",
            "sun-oil",
            "cotton-oil",
            "rapeseed",
            "sunseed",
            "groundnut",
            "potato",
            "hog",
            "l-cattle",
        ],
        "agriculture-food",
    ),
    "ship": "shipping",
    **dict.fromkeys(
        ["money-fx", "interest", "money-supply", "dlr", "reserves", "yen", "dmk", "stg"],
        "money-markets",
    ),
}
PROFILES = {
    "energy": "Oil, crude, natural gas, refined fuels, heating oil, jet fuel, naphtha, propane "
    "and petrochemicals: production, prices, OPEC, refineries and pipelines.",
    "metals-mining": "Metals and mining: gold, silver, copper, zinc, lead, tin, aluminium, "
    "nickel, iron and steel, platinum and palladium; mines, smelters and prices.",
    "agriculture-food": "Agriculture and food commodities: grain, wheat, corn, barley, rice, "
    "oilseeds, soybeans, vegetable oils, sugar, coffee, cocoa, tea, cotton, "
    "rubber and livestock; crops, harvests, exports and farm policy.",
    "shipping": "Shipping and maritime transport: ships, tankers, freight rates, ports, "
    "shipyards and seamen.",
    "money-markets": "Money markets and macroeconomics: foreign exchange, the dollar, interest "
    "rates, money supply, central banks and currency reserves.",
}
KEYWORDS = {
    "energy": [
        "oil",
        "crude",
        "natural gas",
        "fuel",
        "gasoline",
        "naphtha",
        "propane",
        "petrochemical",
        "opec",
        "refinery",
    ],
    "metals-mining": [
        "gold",
        "silver",
        "copper",
        "zinc",
        "lead",
        "tin",
        "aluminium",
        "aluminum",
        "nickel",
        "steel",
        "platinum",
        "palladium",
        "mining",
    ],
    "agriculture-food": [
        "grain",
        "wheat",
        "corn",
        "barley",
        "rice",
        "soybean",
        "oilseed",
        "sugar",
        "coffee",
        "cocoa",
        "tea",
        "cotton",
        "rubber",
        "cattle",
        "hogs",
    ],
    "shipping": ["ship", "ships", "shipping", "tanker", "port", "freight"],
    "money-markets": [
        "dollar",
        "currency",
        "interest rate",
        "interest rates",
        "money supply",
        "central bank",
        "reserves",
        "exchange rate",
    ],
}


def documents(root: Path) -> list[tuple[str, set[str]]]:
    docs = []
    for file in sorted(root.glob("reut2-*.sgm")):
        raw = file.read_bytes().decode("latin-1")
        for block in re.findall(r"<REUTERS.*?</REUTERS>", raw, re.S):
            topics = re.findall(
                r"<D>(.*?)</D>",
                (re.search(r"<TOPICS>(.*?)</TOPICS>", block) or re.search(r"()", "")).group(1),
            )
            if not topics:
                continue
            title = re.search(r"<TITLE>(.*?)</TITLE>", block, re.S)
            body = re.search(r"<BODY>(.*?)</BODY>", block, re.S)
            text = html.unescape(
                " ".join(
                    (
                        (title.group(1) if title else "") + ". " + (body.group(1) if body else "")
                    ).split()
                )
            )
            docs.append((text, {TOPIC_INDUSTRY[t] for t in topics if t in TOPIC_INDUSTRY}))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    docs = documents(args.data / "reuters21578")
    sample = random.Random(7).sample(docs, min(args.docs, len(docs)))
    patterns = {
        industry: re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.I)
        for industry, words in KEYWORDS.items()
    }
    baseline = [({i for i, p in patterns.items() if p.search(text)}, gold) for text, gold in sample]

    import numpy as np
    from numpy.typing import NDArray

    from clipper.adapters.embed_st import SentenceTransformerEmbedder
    from clipper.logic.matching import ArticleEvidence, Thresholds, decide_matches

    names = list(PROFILES)

    def similarities(precision: str) -> NDArray[np.float32]:
        embedder = SentenceTransformerEmbedder(batch_size=32, precision=precision)
        profiles = embedder.encode([PROFILES[n] for n in names])
        vectors = embedder.encode([text[:700] for text, _ in sample])
        return vectors @ profiles.T

    def industries(sims: NDArray[np.float32], thresholds: Thresholds) -> str:
        ours = []
        for row, (_text, gold) in enumerate(sample):
            evidence = ArticleEvidence(
                industries={n: float(sims[row, k]) for k, n in enumerate(names)}
            )
            result = decide_matches(evidence, thresholds)
            ours.append(({i.industry for i in result.industries}, gold))
        return micro_row(ours, false_positives=False)

    sims = similarities("fp32")
    print(
        f"{len(sample)} Reuters-21578 documents with topics (of {len(docs)}); "
        f"{sum(1 for _, g in sample if g)} have an industry\n"
    )
    print("| system | precision | recall | F1 |")
    print("|---|---|---|---|")
    print(f"| keyword alert (baseline) {micro_row(baseline, false_positives=False)}")
    settings = [
        (f"threshold {t} only", Thresholds(industry=t, best_industry=t)) for t in (0.25, 0.3, 0.4)
    ]
    settings.append(("default: the best from 0.25, others from 0.4", Thresholds()))
    for label, thresholds in settings:
        print(f"| Clipper similarity, {label} {industries(sims, thresholds)}")
    bf16 = similarities("bf16")
    print(f"| Clipper similarity, default, bf16 embeddings {industries(bf16, Thresholds())}")


if __name__ == "__main__":
    main()
