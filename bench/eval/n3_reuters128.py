"""Company linking on N3 Reuters-128: document-level company sets, mentions vs keyword alerts.

Gold mentions in N3 are linked to URIs; an entity is a company when one of its surface forms
carries a legal suffix (Corp, Inc, Ltd, GmbH, Plc, AG, SA, NV, Co, Group, Bank...), the rest
(places, people, organisations without a suffix) are left out. Accounts: one per company URI,
named by its longest surface form, with its other surface forms in the corpus as aliases (as
the data's README suggests). The annotations are removed; each system reads the plain text and
names the companies of each document. Micro precision, recall, F1 over (document, company).
Usage: python bench/eval/n3_reuters128.py
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from clipper.types import AccountNames

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from scoring import mentions_table  # noqa: E402

NS = "{http://semweb.unister.de/xml-corpus-schema-2013}"
LEGAL = re.compile(
    r"(?i)\b(corp|corporation|inc|incorporated|ltd|limited|gmbh|plc|ag|sa|nv|co|company|"
    r"group|bank|bancorp|holdings?|industries|l\.?p)\.?$"
)


def load(path: Path) -> list[tuple[str, set[str]]]:
    """Return (plain text, {uri of each entity}) per document, and collect surface forms."""
    docs = []
    for doc in ET.parse(path).getroot().iter(f"{NS}Document"):
        parts: list[str] = []
        uris: set[str] = set()
        body = doc.find(f"{NS}TextWithNamedEntities")
        if body is None:
            continue
        for node in body:
            text = node.text or ""
            parts.append(text)
            if node.tag == f"{NS}NamedEntityInText":
                uri = node.get("uri", "")
                uris.add(uri)
                SURFACES[uri].add(" ".join(text.split()))
        docs.append(("".join(parts), uris))
    return docs


SURFACES: dict[str, set[str]] = defaultdict(set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    docs = load(args.data / "n3_collection" / "reuters.xml")
    companies = {
        uri: forms for uri, forms in SURFACES.items() if any(LEGAL.search(form) for form in forms)
    }
    accounts = []
    for uri, forms in companies.items():
        ordered = sorted(forms, key=len, reverse=True)
        accounts.append(AccountNames(name=uri, aliases=tuple(ordered)))
    table, _ = mentions_table(accounts, [(text, uris & set(companies)) for text, uris in docs])
    print(
        f"{len(docs)} documents, {len(companies)} companies, "
        f"{sum(len(g & set(companies)) for _, g in docs)} gold (document, company) pairs\n"
    )
    print(table)


if __name__ == "__main__":
    main()
