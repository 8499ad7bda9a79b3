"""Company linking on Reuters-21578 ``acq`` (M&A) stories, scored against the editors' markers.

Reuters editors marked companies inline: listed ones as ``Name Inc <TICK>``, unlisted ones as
``<Name Ltd>``. Gold: the companies marked in each story (a listed company is its ticker, an
unlisted one its name). Accounts: one per company seen in the sample, as a CRM would hold it: the
marked name, an alias without the legal suffix ("ChemLawn" for "ChemLawn Corp"), and the ticker.
The markers are removed before matching (names stay, tickers go), so the systems see plain wire
text. Micro precision, recall, F1 over (story, company) pairs; baseline: a keyword alert on the
name and alias. Caveat: editors mark a company where a story introduces it, not every company a
story names, so part of every system's false positives are companies the story does mention.
Usage: python bench/eval/reuters_acq.py
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from clipper.types import AccountNames

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from scoring import mentions_table  # noqa: E402

SUFFIX = (
    r"(?:Inc|Corp|Corporation|Co|Company|Companies|Ltd|Limited|Plc|PLC|LP|L\.P\.|N\.V\.|NV|AG|"
    r"SA|S\.A\.|Group|Bancorp|Bancorporation|Holdings?|Industries|Partners|Trust|Bank)\.?"
)
LISTED = re.compile(
    rf"((?:[A-Z][\w&'.-]*\s+){{0,5}}?[A-Z][\w&'.-]*\s+{SUFFIX})\s+&lt;([A-Z.]{{1,6}})>"
)
#: a listed company named without a legal suffix ("American Express <AXP>")
LISTED_BARE = re.compile(r"((?:[A-Z][\w&'.-]*\s+){0,3}[A-Z][\w&'.-]*)\s+&lt;([A-Z.]{1,6})>")
TICKER_ONLY = re.compile(r"\s*&lt;([A-Z.]{1,6})>")
UNLISTED = re.compile(r"&lt;([^&<>]*[a-z][^&<>]*)>")
STRIP_SUFFIX = re.compile(rf",?\s+{SUFFIX}$")


def stories(root: Path) -> list[tuple[str, dict[str, str]]]:
    """Return (plain text, {company key: name}) for every acq story with markers."""
    out = []
    for file in sorted(root.glob("reut2-*.sgm")):
        raw = file.read_bytes().decode("latin-1")
        for block in re.findall(r"<REUTERS.*?</REUTERS>", raw, re.S):
            topics = re.search(r"<TOPICS>(.*?)</TOPICS>", block)
            if topics is None or "<D>acq</D>" not in topics.group(1):
                continue
            body = re.search(r"<BODY>(.*?)</BODY>", block, re.S)
            if body is None:
                continue
            text = " ".join(body.group(1).split())
            companies: dict[str, str] = {}
            for name, ticker in LISTED.findall(text) + LISTED_BARE.findall(text):
                companies.setdefault(ticker, " ".join(name.split()))
            for name in UNLISTED.findall(text):
                name = " ".join(name.split())
                companies.setdefault(name.casefold(), name)
            if not companies:
                continue
            plain = TICKER_ONLY.sub("", text)
            plain = html.unescape(UNLISTED.sub(lambda m: m.group(1), plain))
            out.append((plain, companies))
    return out


def _short(name: str) -> str:
    return STRIP_SUFFIX.sub("", name).strip().casefold()


def merge_keys(docs: list[tuple[str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    """Key a company marked unlisted in one story and listed in another by its ticker."""
    by_name: dict[str, str] = {}
    for _text, companies in docs:
        for key, name in companies.items():
            if key.isupper() and key != name.casefold():
                by_name.setdefault(_short(name), key)
    merged = []
    for text, companies in docs:
        renamed: dict[str, str] = {}
        for key, name in companies.items():
            renamed.setdefault(by_name.get(_short(name), key), name)
        merged.append((text, renamed))
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    args = parser.parse_args()
    docs = merge_keys(stories(args.data / "reuters21578"))
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for _text, companies in docs:
        for key, name in companies.items():
            names[key][name] += 1
    accounts = []
    for key, seen in names.items():
        name = seen.most_common(1)[0][0]
        short = STRIP_SUFFIX.sub("", name).strip()
        aliases = (short,) if short and short != name and len(short) > 2 else ()
        ticker = (key,) if key.isupper() and key != name.casefold() else ()
        accounts.append(AccountNames(name=key, aliases=(name, *aliases), tickers=ticker))
    table, _ = mentions_table(accounts, [(text, set(companies)) for text, companies in docs])
    print(
        f"{len(docs)} acq stories, {len(accounts)} company accounts, "
        f"{sum(len(c) for _, c in docs)} gold (story, company) pairs\n"
    )
    print(table)


if __name__ == "__main__":
    main()
