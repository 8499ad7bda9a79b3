"""Shared by the evaluations: micro precision/recall/F1, the keyword-alert baseline, and the
mentions-against-keyword-alert table."""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from clipper.adapters.mentions_ac import MentionIndex
from clipper.types import AccountNames

#: ``--backend`` choices: the ``model:`` settings each runs the embedding model with
BACKENDS: dict[str, dict[str, Any]] = {
    "torch": {"backend": "torch", "precision": "fp32"},
    "onnx": {"backend": "onnx", "quantize": "int8"},
    "onnx-fp32": {"backend": "onnx", "quantize": "none"},
}


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend torch|onnx|onnx-fp32``: the embedding backend (default: shipped settings)."""
    parser.add_argument(
        "--backend",
        choices=sorted(BACKENDS),
        default=None,
        help="torch: sentence-transformers fp32; onnx: ONNX Runtime int8; onnx-fp32: ONNX "
        "Runtime fp32 (default: the shipped model settings)",
    )


def model_settings(backend: str | None) -> dict[str, Any]:
    """The ``model:`` section for ``--backend`` (empty: the shipped defaults)."""
    return dict(BACKENDS[backend]) if backend else {}


def micro_row(pairs: Iterable[tuple[set[str], set[str]]], *, false_positives: bool = True) -> str:
    """Return "| P | R | F1 |" (and "FP |") for (predicted, gold) label sets per item."""
    tp = fp = fn = 0
    for predicted, gold in pairs:
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    row = f"| {p:.3f} | {r:.3f} | {f1:.3f} |"
    return f"{row} {fp} |" if false_positives else row


def keyword_alert(terms: Mapping[str, Sequence[str]]) -> Callable[[str], set[str]]:
    """Return what a keyword alert does: every term, case-insensitive, on word boundaries, with
    no judgement. ``terms`` maps a label to its terms; the result gives the labels found."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    owners: dict[str, set[str]] = defaultdict(set)
    for label, words in terms.items():
        for word in words:
            owners[word.lower()].add(label)
    for key, labels in owners.items():
        automaton.add_word(key, (len(key), frozenset(labels)))
    automaton.make_automaton()

    def find(text: str) -> set[str]:
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        found: set[str] = set()
        for end, (length, labels) in automaton.iter(folded):
            start = end - length + 1
            before = folded[start - 1] if start else " "
            after = folded[end + 1] if end + 1 < len(folded) else " "
            if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
                found |= labels
        return found

    return find


def mentions_table(
    accounts: Sequence[AccountNames], docs: Sequence[tuple[str, set[str]]]
) -> tuple[str, float]:
    """Score a keyword alert on the accounts' aliases and Clipper's mentions (all, confident)
    on ``(text, gold labels)``; return the Markdown table and Clipper's texts per second."""
    index = MentionIndex(accounts)
    alert = keyword_alert({a.name: a.aliases for a in accounts})
    every, confident = [], []
    started = time.perf_counter()
    for text, gold in docs:
        mentions = index.find(text)
        every.append(({m.account for m in mentions}, gold))
        confident.append(({m.account for m in mentions if m.confident}, gold))
    rate = len(docs) / max(time.perf_counter() - started, 1e-9)
    baseline = [(alert(text), gold) for text, gold in docs]
    table = "\n".join(
        [
            "| system | precision | recall | F1 | false positives |",
            "|---|---|---|---|---|",
            f"| keyword alert (baseline) {micro_row(baseline)}",
            f"| Clipper mentions, candidates counted {micro_row(every)}",
            f"| Clipper mentions, confident only {micro_row(confident)}",
        ]
    )
    return table, rate
