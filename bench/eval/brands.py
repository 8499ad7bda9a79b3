"""Famous brands whose names are ordinary words: Clipper's matcher against a keyword alert.

Two sets, each split into a development part (tuned on) and a test part (reported):

1. ``brands/``: 54 well-known accounts whose names are also ordinary words, places or surnames
   (Apple, Oracle, Shell, Delta, Caterpillar, Snowflake, Mars, Fox, Snap, Canon, Ally, Arm...),
   written as a sales manager would (``accounts_g*.yaml``; groups 5 and 6 were written after
   the tuning), and 780 headlines with one- or two-sentence summaries
   (``articles_g*.jsonl``): real-news patterns about the companies balanced against traps (the
   fruit, the river delta, the Greek oracle, Tom Ford, Delta Faucet...), each labelled with the
   accounts it really refers to and its business event. Split by account: three accounts of
   each group of nine are test accounts (seeded), and an item is in the test part when it names
   a test account; the rest is development.
2. UCI News Aggregator headlines (``../shared/data``) against the S&P 500 as accounts, with
   the names and tickers a CRM export gives (no aliases): 640 headlines labelled by hand in
   ``brands/uci_sp500_labels.jsonl`` (``gold``: named by the company's own name, short form or
   ticker; ``also``: named only by a brand, subsidiary or former name, left out of the score).
   Split by story: stories whose id hashes to 0 mod 3 are the test part.

Clipper runs as a user runs it: a configuration on disk, ``make_clipper``, ``match_articles``
(real embedding model, real entity recogniser). The keyword alert matches every name and alias
case-insensitively on word boundaries. Micro precision/recall/F1 over (item, account) pairs.
Each group's labellers judged only their own group's accounts, so a prediction of another
group's account counts neither way (a "strict" row counts it as wrong).
Usage: python bench/eval/brands.py [--part dev|test|both] [--sweep]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from scoring import add_backend_option, keyword_alert, micro_row, model_settings  # noqa: E402

HERE = Path(__file__).resolve().parent / "brands"
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
#: three test accounts per group of nine
TEST_PER_GROUP = 3
SEED = 9


@dataclass
class Item:
    id: str
    title: str
    summary: str
    gold: set[str]
    #: predictions of these accounts are neither right nor wrong (brand-only mentions)
    ignore: set[str] = field(default_factory=set)
    event: str | None = None
    part: str = "dev"


def load_brands(root: Path = HERE) -> tuple[list[dict[str, Any]], list[Item]]:
    """Return the accounts (config entries) and the items, each marked dev or test."""
    accounts: list[dict[str, Any]] = []
    test_accounts: set[str] = set()
    groups: dict[str, set[str]] = {}
    rng = random.Random(SEED)
    for path in sorted(root.glob("accounts_g*.yaml")):
        group = yaml.safe_load(path.read_text())["accounts"]
        accounts += group
        names = sorted(a["name"] for a in group)
        groups[path.stem.removeprefix("accounts_")] = set(names)
        test_accounts |= set(rng.sample(names, TEST_PER_GROUP))
    patterns = {
        a["name"]: re.compile(
            r"(?<!\w)(?:"
            + "|".join(re.escape(n) for n in sorted({a["name"], *a.get("aliases", [])}, key=len))
            + r")(?!\w)",
            re.I,
        )
        for a in accounts
    }
    first = set().union(*(groups.get(f"g{n}", set()) for n in range(1, 5)))
    items: list[Item] = []
    for path in sorted(root.glob("articles_g*.jsonl")):
        own = groups[path.stem.removeprefix("articles_")]
        # the split reads the names of the first four groups (as when they were written) and
        # of the item's own group
        seen = first | own
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            text = f"{record['title']}\n{record['summary']}"
            named = {n for n, p in patterns.items() if n in seen and p.search(text)}
            named |= set(record["gold"])
            items.append(
                Item(
                    record["id"],
                    record["title"],
                    record["summary"],
                    set(record["gold"]),
                    # the labellers judged their own group's accounts only
                    ignore=set(patterns) - own - set(record["gold"]),
                    event=record.get("event"),
                    part="test" if named & test_accounts else "dev",
                )
            )
    return accounts, items


def load_uci(
    data: Path = DATA, labels: Path = HERE / "uci_sp500_labels.jsonl"
) -> tuple[list[dict[str, Any]], list[Item]]:
    """Return S&P 500 accounts (one per company, names and tickers as the list gives them) and
    the labelled UCI headlines."""
    rows = list(csv.DictReader((data / "sp500_companies" / "constituents.csv").open()))
    by_cik: dict[str, dict[str, Any]] = {}
    name_of: dict[str, str] = {}
    for row in rows:
        entry = by_cik.setdefault(
            row["CIK"],
            {
                "name": re.sub(r"\s*\(Class [A-Z]\)$", "", row["Security"]),
                "tickers": [],
                "description": f"{row['GICS Sub-Industry']} ({row['GICS Sector']})",
            },
        )
        entry["tickers"].append(row["Symbol"].replace(".", "-"))
        name_of[row["Symbol"]] = entry["name"]
    uci = {
        row["ID"]: row
        for row in csv.DictReader(
            (data / "uci_news_aggregator" / "uci-news-aggregator.csv").open(encoding="utf-8")
        )
    }
    items = []
    for line in labels.read_text().splitlines():
        record = json.loads(line)
        row = uci[record["id"]]
        story_hash = int(hashlib.sha256(row["STORY"].encode()).hexdigest(), 16)
        items.append(
            Item(
                f"uci-{record['id']}",
                row["TITLE"],
                "",
                {name_of[s] for s in record["gold"]},
                ignore={name_of[s] for s in record["also"]},
                part="test" if story_hash % 3 == 0 else "dev",
            )
        )
    return list(by_cik.values()), items


def clipper_for(
    accounts: Sequence[dict[str, Any]], root: Path, model: dict[str, Any] | None = None
) -> Any:
    """Return a Clipper over ``accounts`` with the shipped settings, as a user would run it."""
    from clipper.config import load_config
    from clipper.wiring import make_clipper

    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    (root / "config" / "accounts.yaml").write_text(yaml.safe_dump({"accounts": list(accounts)}))
    (root / "config" / "reps.yaml").write_text(yaml.safe_dump({"reps": []}))
    (root / "config" / "clipper.yaml").write_text(
        yaml.safe_dump(
            {"database": "sqlite:///../var/eval.db", "feeds_dir": "../feeds", "model": model or {}}
        )
    )
    config = load_config(root / "config" / "clipper.yaml", {})
    return make_clipper(config)


def run_clipper(clipper: Any, items: Sequence[Item]) -> list[set[str]]:
    from clipper.types import ArticleText

    results = clipper.match_articles([ArticleText(i.id, i.title, i.summary) for i in items])
    return [{m.account for m in r.matches} for r in results]


def scored(predicted: Iterable[set[str]], items: Sequence[Item]) -> list[tuple[set[str], set[str]]]:
    return [(p - i.ignore, i.gold) for p, i in zip(predicted, items, strict=True)]


def alert_for(accounts: Sequence[dict[str, Any]]) -> Any:
    from clipper.adapters.mentions_ac import short_names

    return keyword_alert(
        {
            a["name"]: sorted(
                {
                    a["name"],
                    *a.get("aliases", []),
                    *(s for n in [a["name"], *a.get("aliases", [])] for s in short_names(n)),
                }
            )
            for a in accounts
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["dev", "test", "both"], default="test")
    add_backend_option(parser)
    parser.add_argument("--sweep", action="store_true", help="try sense weights (dev only)")
    parser.add_argument("--errors", action="store_true", help="print each error")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    parts = ["dev", "test"] if args.part == "both" else [args.part]
    brand_accounts, brand_items = load_brands()
    sp_accounts, uci_items = load_uci(args.data)
    model = model_settings(args.backend)
    print(f"embedding backend: {args.backend or 'shipped settings'}")
    with tempfile.TemporaryDirectory() as tmp:
        sets = [
            (
                "brands",
                brand_accounts,
                brand_items,
                clipper_for(brand_accounts, Path(tmp) / "b", model),
            ),
            (
                "UCI × S&P 500",
                sp_accounts,
                uci_items,
                clipper_for(sp_accounts, Path(tmp) / "u", model),
            ),
        ]
        if args.sweep:
            sweep(sets)
            return
        for part in parts:
            combined_alert: list[tuple[set[str], set[str]]] = []
            combined_ours: list[tuple[set[str], set[str]]] = []
            print(f"\n### {part} part\n")
            print("| set | system | precision | recall | F1 | false positives |")
            print("|---|---|---|---|---|---|")
            for label, accounts, items, clipper in sets:
                chosen = [i for i in items if i.part == part]
                alert = alert_for(accounts)
                baseline = scored([alert(f"{i.title}\n{i.summary}") for i in chosen], chosen)
                predicted = run_clipper(clipper, chosen)
                ours = scored(predicted, chosen)
                combined_alert += baseline
                combined_ours += ours
                n_gold = sum(len(i.gold) for i in chosen)
                name = f"{label} ({len(chosen)} items, {n_gold} gold)"
                print(f"| {name} | keyword alert {micro_row(baseline)}")
                print(f"| {name} | Clipper {micro_row(ours)}")
                if label == "brands":
                    strict = [(p, i.gold) for p, i in zip(predicted, chosen, strict=True)]
                    print(f"| {name} | Clipper, other groups' accounts counted {micro_row(strict)}")
                if args.errors:
                    errors(chosen, ours)
            print(f"| both | keyword alert {micro_row(combined_alert)}")
            print(f"| both | Clipper {micro_row(combined_ours)}")
        for _label, _a, _i, clipper in sets:
            clipper.close()


def errors(items: Sequence[Item], pairs: Sequence[tuple[set[str], set[str]]]) -> None:
    for item, (predicted, gold) in zip(items, pairs, strict=True):
        if predicted != gold:
            print(
                f"    {item.id}: +{sorted(predicted - gold)} -{sorted(gold - predicted)} "
                f"{item.title!r} / {item.summary[:120]!r}"
            )


def sweep(sets: Sequence[tuple[str, Any, list[Item], Any]]) -> None:
    """Print dev-part F1 for a grid of sense weights (tuning happens here, on dev only)."""
    from clipper.logic.sense import SenseThresholds

    for margin in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
        for proper in (0.0, 0.05):
            for org in (0.05, 0.1, 0.15):
                thresholds = SenseThresholds(
                    margin=margin, proper_bonus=proper, organisation_bonus=org
                )
                rows = []
                for _label, _accounts, items, clipper in sets:
                    chosen = [i for i in items if i.part == "dev"]
                    clipper.match_articles([])  # builds the matcher
                    clipper._matcher.sense_thresholds = thresholds
                    rows.append(micro_row(scored(run_clipper(clipper, chosen), chosen)))
                print(f"margin {margin} proper {proper} org {org}: " + " ".join(rows))


if __name__ == "__main__":
    main()
