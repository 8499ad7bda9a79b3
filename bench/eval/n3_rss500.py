"""Company linking on N3 RSS-500: single sentences from modern newspaper feeds.

RSS-500's gold mentions are people, places, teams and organisations linked to URIs; which of them
are companies is not in the data, so ``rss500_companies.json`` (ours, written by a helper who
read each mention in its sentence) lists the company URIs with a one-line CRM description.
Accounts: one per company, named from its URI ("Apple_Inc." -> "Apple Inc."), its surface forms
in the corpus as aliases, the description as a sales manager would write it. The annotations are
removed; each system names the companies of each sentence. Rows: the keyword alert on the
aliases, Clipper's mentions (candidates and confident only), and the whole matcher through the
facade (mentions decided by sense, as a user runs it). Micro P/R/F1 over (document, company);
the other entities (people, places, teams) are the natural traps. Not split: nothing was tuned
on it.
Usage: python bench/eval/n3_rss500.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

import yaml

from clipper.types import AccountNames

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
import n3_reuters128  # noqa: E402
from scoring import mentions_table, micro_row  # noqa: E402

LABELS = Path(__file__).resolve().parent / "rss500_companies.json"


def account_name(uri: str) -> str:
    """Return a CRM-style name from a DBpedia URI: "Apple_Inc." -> "Apple Inc."."""
    tail = unquote(uri.rstrip("/").rsplit("/", 1)[-1]).replace("_", " ")
    return re.sub(r"\s*\([^)]*\)$", "", tail).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    docs = n3_reuters128.load(args.data / "n3_collection" / "500newsgoldstandard.xml")
    labels: dict[str, str] = json.loads(LABELS.read_text())
    surfaces = n3_reuters128.SURFACES
    companies = {uri: desc for uri, desc in labels.items() if uri in surfaces}
    gold = [(text, uris & set(companies)) for text, uris in docs]
    names = [
        AccountNames(name=uri, aliases=tuple(sorted(surfaces[uri], key=len, reverse=True)))
        for uri in companies
    ]
    table, _ = mentions_table(names, gold)
    print(
        f"{len(docs)} sentences, {len(companies)} companies, "
        f"{sum(len(g) for _, g in gold)} gold (sentence, company) pairs\n"
    )
    print(table)
    from clipper.config import load_config
    from clipper.types import ArticleText
    from clipper.wiring import make_clipper

    accounts = []
    by_name: dict[str, str] = {}
    for uri, description in companies.items():
        name = account_name(uri)
        by_name[name] = uri
        aliases = sorted(set(surfaces[uri]) - {name}, key=len, reverse=True)
        accounts.append({"name": name, "aliases": aliases, "description": description})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "config").mkdir()
        (root / "feeds").mkdir()
        (root / "config" / "accounts.yaml").write_text(yaml.safe_dump({"accounts": accounts}))
        (root / "config" / "reps.yaml").write_text("reps: []\n")
        (root / "config" / "clipper.yaml").write_text(
            yaml.safe_dump({"database": "sqlite:///../var/eval.db", "feeds_dir": "../feeds"})
        )
        clipper = make_clipper(load_config(root / "config" / "clipper.yaml", {}))
        results = clipper.match_articles(
            [ArticleText(str(n), text, "") for n, (text, _) in enumerate(gold)]
        )
    whole = [
        ({by_name[m.account] for m in result.matches}, g)
        for result, (_, g) in zip(results, gold, strict=True)
    ]
    print(f"| Clipper, whole matcher (sense decided) {micro_row(whole)}")


if __name__ == "__main__":
    main()
