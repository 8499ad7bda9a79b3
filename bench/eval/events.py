"""Business events against gold labels: Reuters-21578 ``acq``/``earn`` and the brand set's events.

Reuters part: every document with topics; gold M&A is the ``acq`` topic, gold earnings the
``earn`` topic (which, as Reuters files it, also holds dividends and stock splits). Clipper's
events come from ``logic.events.detect_events`` on the title and body, the way the matcher
sees a wire story. Documents split by NEWID: sha256 % 3 == 0 is the test part, the rest dev.
Baseline: a keyword alert on the words a user would type into one ("acquisition", "merger",
"takeover", "acquire"; "earnings", "profit", "results", "quarter").
Brand-set part: the ``event`` label of each item in ``brands/articles_g*.jsonl`` (one main event
or none) against ``main_event``; split by account as in ``brands.py``. Per kind: precision and
recall of "the main event is this kind".
Extra part (development only): 360 headlines with summaries written for this evaluation by a
helper who never saw the rules (``events_data/extra.jsonl``: 35 per kind and 45 with no event,
many wordings, hard negatives such as "Rovers sign striker" or "Egypt buys 60,000 tonnes of
wheat"); it widens what the rules are tuned on, so it is never reported as a test figure.
Usage: python bench/eval/events.py [--part dev|test|both] [--errors KIND]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: siblings import
from reuters_wire import is_test, wire_documents  # noqa: E402
from scoring import keyword_alert, micro_row  # noqa: E402

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
KINDS = {"acq": "M&A", "earn": "earnings"}
KEYWORDS = {
    "M&A": ["acquisition", "acquire", "acquires", "merger", "takeover"],
    "earnings": ["earnings", "profit", "results", "quarter"],
}


@dataclass(frozen=True)
class Story:
    key: str
    title: str
    body: str
    gold: frozenset[str]
    #: where the editors' marked companies are in ``title + "\n" + body`` (Reuters only)
    about: tuple[int, ...] = ()


def reuters(root: Path) -> list[Story]:
    """Return every Reuters-21578 document with topics, with its gold event kinds and where
    its marked companies are."""
    out = []
    for doc in wire_documents(root):
        full = f"{doc.title}\n{doc.body}"
        about = sorted(
            found.start()
            for name in doc.marked
            for found in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", full)
        )
        out.append(
            Story(
                key=doc.key,
                title=doc.title,
                body=doc.body,
                gold=frozenset(KINDS[t] for t in doc.topics if t in KINDS),
                about=tuple(about),
            )
        )
    return out


def brand_items(part: str) -> list[Story]:
    from brands import load_brands

    out = []
    for item in load_brands()[1]:
        if part != "both" and item.part != part:
            continue
        out.append(
            Story(item.id, item.title, item.summary, frozenset([item.event] if item.event else []))
        )
    return out


def extra_items() -> list[Story]:
    """Return the extra development set (see the module docstring)."""
    path = Path(__file__).resolve().parent / "events_data" / "extra.jsonl"
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            event = record.get("event")
            out.append(
                Story(
                    record["id"],
                    record["title"],
                    record.get("summary", ""),
                    frozenset([event] if event else []),
                )
            )
    return out


def table(
    name: str, stories: Sequence[Story], *, main_only: bool, companies: bool = False
) -> list[str]:
    from clipper.logic.events import detect_events, main_event

    alert = keyword_alert(KEYWORDS)
    predicted = []
    for story in stories:
        if main_only:
            event = main_event(story.title, story.body)
            predicted.append({event.kind.value} if event else set())
        elif companies:
            # the matcher's path: each marked company's own sentences (and headline if named)
            predicted.append(
                {e.kind.value for e in detect_events(story.title, story.body, about=story.about)}
                if story.about
                else set()
            )
        else:
            predicted.append({e.kind.value for e in detect_events(story.title, story.body)})
    kinds = sorted({k for s in stories for k in s.gold} | ({*KEYWORDS} if not main_only else set()))
    rows = []
    for kind in kinds:
        pairs = [(p & {kind}, s.gold & {kind}) for p, s in zip(predicted, stories, strict=True)]
        rows.append(f"| {name} | {kind} | Clipper {micro_row(pairs, false_positives=False)}")
        if kind in KEYWORDS:
            base = [(alert(f"{s.title}\n{s.body}") & {kind}, s.gold & {kind}) for s in stories]
            rows.append(
                f"| {name} | {kind} | keyword alert {micro_row(base, false_positives=False)}"
            )
    return rows


def errors(stories: Sequence[Story], kind: str) -> None:
    from clipper.logic.events import detect_events

    for story in stories:
        found = {e.kind.value: e.evidence for e in detect_events(story.title, story.body)}
        want = kind in story.gold
        if want != (kind in found):
            tag = "FN" if want else f"FP [{found[kind]}]"
            print(f"{tag} {story.key}: {story.title} || {story.body[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["dev", "test", "both"], default="test")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", help="print the misses and false alarms of this kind")
    args = parser.parse_args()
    wire = [
        s
        for s in reuters(args.data / "reuters21578")
        if args.part == "both" or (args.part == "test") == is_test(s.key)
    ]
    brands = brand_items(args.part)
    extra = extra_items() if args.part != "test" else []
    if args.errors:
        errors(wire if args.errors in KEYWORDS else brands, args.errors)
        errors(brands, args.errors)
        errors(extra, args.errors)
        return
    print(f"part: {args.part}; Reuters documents: {len(wire)}; brand-set items: {len(brands)}")
    print("| set | event | system | P | R | F1 |")
    print("|---|---|---|---|---|---|")
    for row in table("Reuters TOPICS", wire, main_only=False):
        print(row)
    marked = [s for s in wire if s.about]
    for row in table(
        "Reuters, the marked companies' sentences", marked, main_only=False, companies=True
    ):
        print(row)
    for row in table("brand set (main event)", brands, main_only=True):
        print(row)
    for row in table("extra set, dev only (main event)", extra, main_only=True):
        print(row)


if __name__ == "__main__":
    main()
