"""Company linking on SEntFiN headlines: Clipper's mention finder vs a keyword-alert baseline.

Accounts: one per company symbol of ``entity_list_comprehensive.csv`` with its aliases. Sector and
market groups (PHARMA, BANK, STKSPACE...), regulators and commodities are not companies and are
left out (the rule and its hand-fixed exceptions are below). Gold: for each headline, the symbols
whose alias is an annotated entity, case-insensitive, except that a short all-capitals alias (an
acronym) must match in capitals, so the commodity "oil" is not Oil India (OIL). Both systems read
the title only; micro precision, recall and F1 over (headline, symbol) pairs. The baseline is what
a keyword alert does: any alias, case-insensitive, on word boundaries. Variant: only 200 random
symbols (seeded) are customers, so a headline about anyone else must match nothing.

This measures the mention stage alone: candidates (ordinary-word names, possible person names)
are reported both ways, as matches and not; the matching stage's similarity decides them.
Usage: python bench/eval/sentfin.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import ast
import csv
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

from clipper.adapters.mentions_ac import MentionIndex
from clipper.types import AccountNames

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from scoring import BACKENDS, mentions_table, micro_row, model_settings  # noqa: E402

GROUP_WORDS = re.compile(
    r"(?i)\b(stocks?|shares|companies|cos|sectors?|space|makers|funds|players|industry|banks|"
    r"bonds?|markets?|names|firms|prices|indices|equities|metals|crops|economy|currenc\w*|"
    r"assets|manufacturers)\b"
)
#: fixed by hand: companies the rule above would drop, and non-companies it keeps
COMPANIES_ANYWAY = frozenset({"BSE", "IMFA", "RATNAMANI"})
NOT_COMPANIES = frozenset({"REGORG", "BANKNIFTY", "INDIA", "NICKEL", "COMMODITIES"})


def load_catalogue(path: Path) -> dict[str, list[str]]:
    """Return symbol → aliases for companies; sector and market groups are dropped."""
    companies: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            symbol = row["Symbol"]
            aliases = [a.strip() for a in row["Entity"].split(", ") if a.strip()]
            group = any(GROUP_WORDS.search(a) or a.islower() for a in aliases)
            if symbol in NOT_COMPANIES or (group and symbol not in COMPANIES_ANYWAY):
                continue
            companies[symbol] = aliases
    return companies


LEGAL_FORM = re.compile(r"(?:\s+(?:ltd|limited|inc|corp|corporation|co|plc|ag))+\.?$")


def normalise(alias: str) -> str:
    """Case-fold, collapse spaces, drop trailing full stops and legal forms: "Pfizer Ltd" is
    "PFIZER", "CESC Ltd." is "CESC" (a legal form does not make another company)."""
    folded = " ".join(alias.casefold().rstrip(".").split())
    return LEGAL_FORM.sub("", folded) or folded


def parse_decisions(raw: str) -> list[str]:
    try:
        return list(ast.literal_eval(raw))
    except (ValueError, SyntaxError):
        return re.findall(r"'((?:[^']|'(?!: ))+)': '(?:positive|negative|neutral)'", raw)


def load_headlines(
    path: Path, alias_to_symbols: dict[str, set[str]], capitals_only: dict[str, set[str]]
) -> list[tuple[str, set[str]]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gold: set[str] = set()
            for entity in parse_decisions(row["Decisions"]):
                for symbol in alias_to_symbols.get(normalise(entity), set()):
                    # an all-capitals alias is a ticker or acronym: "oil" is not OIL (Oil India)
                    if entity in capitals_only.get(symbol, ()) or normalise(entity) not in {
                        normalise(a) for a in capitals_only.get(symbol, ())
                    }:
                        gold.add(symbol)
            rows.append((row["Title"], gold))
    return rows


def matcher_pairs(
    companies: dict[str, list[str]],
    headlines: list[tuple[str, set[str]]],
    backend: str = "torch",
) -> list[tuple[set[str], set[str]]]:
    """Run Clipper's whole matcher (mentions, candidates decided by similarity) on the titles."""
    import tempfile
    from datetime import UTC, datetime

    from clipper.adapters.ner_spacy import SpacyEntityRecognizer
    from clipper.adapters.storage import Storage
    from clipper.config import Account, Config, Settings
    from clipper.core import make_embedder
    from clipper.embeddings import EmbeddingCache
    from clipper.matcher import Matcher
    from clipper.types import ArticleText

    config = Config(
        path=Path("sentfin.yaml"),
        settings=Settings.model_validate({"model": {**model_settings(backend), "batch_size": 64}}),
        catalogs=(),
        accounts=tuple(Account(name=s, aliases=tuple(a)) for s, a in companies.items()),
        reps=(),
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Storage(Path(tmp) / "eval.db")
        store.migrate()
        cache = EmbeddingCache(
            make_embedder(config),
            store,
            lambda: datetime.now(UTC),
        )
        matcher = Matcher(config, cache, MentionIndex, SpacyEntityRecognizer())
        pairs = []
        for start in range(0, len(headlines), 512):
            chunk = headlines[start : start + 512]
            results = matcher.match([ArticleText(str(i), t) for i, (t, _) in enumerate(chunk)])
            pairs += [
                ({m.account for m in r.matches}, g)
                for r, (_, g) in zip(results, chunk, strict=True)
            ]
        store.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="also run the whole matcher with the embedding model (slower)",
    )
    parser.add_argument(
        "--backend",
        action="append",
        choices=sorted(BACKENDS),
        help="embedding backend of the --semantic rows, repeatable (default: torch and onnx)",
    )
    args = parser.parse_args()
    root = args.data / "sentfin"
    companies = load_catalogue(root / "entity_list_comprehensive.csv")
    alias_to_symbols: dict[str, set[str]] = defaultdict(set)
    for symbol, aliases in companies.items():
        for alias in aliases:
            alias_to_symbols[normalise(alias)].add(symbol)
    capitals_only = {
        symbol: {a for a in aliases if a.isupper() and sum(c.isalpha() for c in a) <= 3}
        for symbol, aliases in companies.items()
    }
    headlines = load_headlines(root / "SEntFiN.csv", alias_to_symbols, capitals_only)

    accounts = [AccountNames(name=symbol, aliases=tuple(a)) for symbol, a in companies.items()]
    table, rate = mentions_table(accounts, headlines)
    customers = set(random.Random(7).sample(sorted(companies), 200))
    subset = {symbol: companies[symbol] for symbol in sorted(customers)}
    customer_table, _ = mentions_table(
        [AccountNames(name=symbol, aliases=tuple(a)) for symbol, a in subset.items()],
        [(title, gold & customers) for title, gold in headlines],
    )
    print(
        f"{len(headlines)} headlines, {len(companies)} company accounts, "
        f"{sum(len(g) for _, g in headlines)} gold (headline, company) pairs\n"
    )
    print(table)
    print("\nOnly 200 customers (seed 7); a headline about anyone else must match nothing:\n")
    print(customer_table)
    print(f"\nmentions: {rate:,.0f} headlines/s")
    if args.semantic:
        print("\nWith the whole matcher (candidates decided by similarity, real model):\n")
        print("| system | precision | recall | F1 | false positives |")
        print("|---|---|---|---|---|")
        backends = args.backend or ["torch", "onnx"]
        for backend in backends:
            pairs = matcher_pairs(companies, headlines, backend)
            print(f"| Clipper matcher, all accounts, {backend} {micro_row(pairs)}")
        subset_pairs = matcher_pairs(
            subset, [(t, g & customers) for t, g in headlines], backends[-1]
        )
        print(f"| Clipper matcher, 200 customers, {backends[-1]} {micro_row(subset_pairs)}")


if __name__ == "__main__":
    main()
