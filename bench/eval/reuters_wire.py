"""Reuters-21578 documents with topics, read once for the event and industry evaluations, and the
dev/test split they share (sha256 of NEWID % 3 == 0 is the test part). Does not score anything.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

#: the editors' company markers: ``&lt;TICK>`` after a listed name, ``&lt;Name Ltd>`` alone
MARKER = re.compile(r"&lt;([^&<>]*)>")


@dataclass(frozen=True)
class WireDoc:
    key: str
    #: the headline with the markers removed (the names and tickers stay)
    title: str
    #: the headline as printed, markers and all
    printed_title: str
    #: the body with the markers and the closing "Reuter" removed
    body: str
    topics: tuple[str, ...]
    #: the names and tickers the editors marked
    marked: frozenset[str]


def wire_documents(root: Path) -> list[WireDoc]:
    """Return every document of ``root``'s ``reut2-*.sgm`` files that has topics, in order."""
    docs: list[WireDoc] = []
    for file in sorted(root.glob("reut2-*.sgm")):
        raw = file.read_bytes().decode("latin-1")
        for block in re.findall(r"<REUTERS.*?</REUTERS>", raw, re.S):
            found = re.search(r"<TOPICS>(.*?)</TOPICS>", block)
            topics = re.findall(r"<D>(.*?)</D>", found.group(1)) if found else []
            if not topics:
                continue
            newid = re.search(r'NEWID="(\d+)"', block)
            title = re.search(r"<TITLE>(.*?)</TITLE>", block, re.S)
            body = re.search(r"<BODY>(.*?)</BODY>", block, re.S)
            printed = title.group(1) if title else ""
            text = MARKER.sub(r"\1", body.group(1) if body else "")
            text = re.sub(r"\s*Reuter\s*&#3;\s*$", "", text)
            docs.append(
                WireDoc(
                    key=newid.group(1) if newid else str(len(docs)),
                    title=html.unescape(" ".join(MARKER.sub(r"\1", printed).split())),
                    printed_title=html.unescape(" ".join(printed.split())),
                    body=html.unescape(" ".join(text.split())),
                    topics=tuple(topics),
                    marked=frozenset(
                        html.unescape(" ".join(m.split()))
                        for m in MARKER.findall(block)
                        if m.strip()
                    ),
                )
            )
    return docs


def is_test(key: str) -> bool:
    """True for a document in the test part (sha256 of its NEWID % 3 == 0)."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 3 == 0
