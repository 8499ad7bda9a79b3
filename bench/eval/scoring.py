"""Micro precision, recall and F1 over (item, label) pairs, shared by the evaluations."""

from __future__ import annotations

from collections.abc import Iterable


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
