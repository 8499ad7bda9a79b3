"""Industries on Reuters-21578 TOPICS: Clipper's industry linking against a keyword alert.

Gold: each document's TOPICS mapped to five industries with the fixed mapping below (ours, not
the dataset's; ``earn`` and ``acq`` are event types and map to nothing, so an earnings story has
no industry to find). The industries are catalogs written by hand in ``industries/`` as a
manager would (description, keywords, eight invented example headlines). Clipper: the shipped
matcher through the facade (similarity to the closest of description and examples, plus
``matching.industry_keyword_bonus`` when a keyword is in the headline or lead). Baseline: a
keyword alert on the same catalogs' keywords over the headline and first 600 characters.
(Clipper looks for keywords in the headline and lead sentence only, ``matcher.lead_text``.)
Micro precision, recall and F1 over (document, industry) pairs. Documents split by NEWID as in
``events.py`` (sha256 % 3 == 0 is test); thresholds tuned with ``--sweep`` on dev only.
Usage: python bench/eval/reuters_topics.py [--part dev|test|both] [--sweep]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from reuters_wire import is_test, wire_documents  # noqa: E402
from scoring import add_backend_option, keyword_alert, micro_row, model_settings  # noqa: E402

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
HERE = Path(__file__).resolve().parent / "industries"


@dataclass(frozen=True)
class Doc:
    key: str
    title: str
    body: str
    gold: frozenset[str]


def documents(root: Path) -> list[Doc]:
    """Return every document with topics, with its gold industries (possibly none)."""
    return [
        Doc(
            key=doc.key,
            title=doc.printed_title,
            body=doc.body,
            gold=frozenset(TOPIC_INDUSTRY[t] for t in doc.topics if t in TOPIC_INDUSTRY),
        )
        for doc in wire_documents(root)
    ]


def clipper_for(root: Path, catalogs: Path, model: dict[str, Any] | None = None) -> Any:
    """Return a Clipper with the hand-written eval catalogs and no accounts, as a user runs it."""
    from clipper.config import load_config
    from clipper.wiring import make_clipper

    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    for path in catalogs.glob("*.yaml"):
        (root / "feeds" / path.name).write_text(path.read_text())
    (root / "config" / "accounts.yaml").write_text("accounts: []\n")
    (root / "config" / "reps.yaml").write_text("reps: []\n")
    (root / "config" / "clipper.yaml").write_text(
        yaml.safe_dump(
            {"database": "sqlite:///../var/eval.db", "feeds_dir": "../feeds", "model": model or {}}
        )
    )
    return make_clipper(load_config(root / "config" / "clipper.yaml", {}))


def run(clipper: Any, docs: Sequence[Doc]) -> list[set[str]]:
    from clipper.types import ArticleText

    results = clipper.match_articles([ArticleText(d.key, d.title, d.body) for d in docs])
    return [{i.industry for i in r.industries} for r in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["dev", "test", "both"], default="test")
    add_backend_option(parser)
    parser.add_argument("--sweep", action="store_true", help="grid of thresholds, dev part only")
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    part = "dev" if args.sweep else args.part
    docs = [
        d
        for d in documents(args.data / "reuters21578")
        if part == "both" or (part == "test") == is_test(d.key)
    ]
    alert = keyword_alert(
        {
            c["industry"]: c["keywords"]
            for c in (yaml.safe_load(p.read_text()) for p in sorted(HERE.glob("*.yaml")))
        }
    )
    baseline = [(alert(f"{d.title}\n{d.body[:600]}"), set(d.gold)) for d in docs]
    with tempfile.TemporaryDirectory() as tmp:
        clipper = clipper_for(Path(tmp), HERE, model_settings(args.backend))
        if args.sweep:
            sweep(clipper, docs)
            return
        ours = list(zip(run(clipper, docs), [set(d.gold) for d in docs], strict=True))
    print(
        f"embedding backend: {args.backend or 'shipped settings'}; "
        f"part: {part}; {len(docs)} Reuters-21578 documents with topics; "
        f"{sum(1 for d in docs if d.gold)} have an industry\n"
    )
    print("| system | precision | recall | F1 |")
    print("|---|---|---|---|")
    print(f"| keyword alert on the catalogs' keywords {micro_row(baseline, false_positives=False)}")
    print(f"| Clipper, shipped settings {micro_row(ours, false_positives=False)}")


def sweep(clipper: Any, docs: Sequence[Doc]) -> None:
    """Print dev-part F1 for a grid of industry thresholds (tuning happens here, on dev only).
    One matcher pass records every industry's similarity and keywords; each setting then runs
    ``logic.matching.decide_matches`` on them."""
    from dataclasses import replace

    from clipper.logic.matching import ArticleEvidence, IndustryEvidence, decide_matches
    from clipper.matcher import lead_text

    gold = [set(d.gold) for d in docs]
    clipper.match_articles([])  # builds the matcher
    matcher = clipper._matcher
    base = matcher.thresholds
    matcher.thresholds = replace(base, industry=-1.0, best_industry=-1.0, industry_keywords=0.0)
    from clipper.types import ArticleText

    results = clipper.match_articles([ArticleText(d.key, d.title, d.body) for d in docs])
    profiles = matcher._load_profiles()
    evidence = []
    for doc, result in zip(docs, results, strict=True):
        lead = lead_text(doc.title, doc.body)
        evidence.append(
            ArticleEvidence(
                industries={
                    i.industry: IndustryEvidence(
                        i.score,
                        keywords=()
                        if (p := profiles.industry_keywords[profiles.industries.index(i.industry)])
                        is None
                        else tuple(m.group(0) for m in p.finditer(lead)),
                    )
                    for i in result.industries
                }
            )
        )
    for bonus in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3):
        for best in (0.25, 0.3, 0.35, 0.4, 0.45):
            for industry in (0.4, 0.45, 0.5, 0.55, 0.6, 0.7):
                thresholds = replace(
                    base, industry=industry, best_industry=best, industry_keywords=bonus
                )
                predicted = [
                    {i.industry for i in decide_matches(e, thresholds).industries} for e in evidence
                ]
                row = micro_row(zip(predicted, gold, strict=True), false_positives=False)
                print(f"bonus {bonus} best {best} industry {industry}: {row}")


if __name__ == "__main__":
    main()
