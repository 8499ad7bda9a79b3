"""Main-text extraction, scored with the Zyte benchmark's own metric on its dev pages."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from clipper.adapters.extract_text import (
    MainTextExtractor,
    choose,
    precise_text,
    without_furniture,
)
from clipper.exceptions import ExtractError

from .conftest import REPO


def load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_extract", REPO / "bench" / "extract.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extractor_beats_trafilatura_on_the_benchmark(data_dir: Path) -> None:
    bench = load_bench()
    root = data_dir / "article_extraction_benchmark"
    truth = json.loads((root / "ground-truth.json").read_text())
    ours, theirs = [], []
    extractor = MainTextExtractor()
    for key in sorted(truth):
        html = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()).decode()
        try:
            text = extractor.extract(html)
        except ExtractError:
            text = ""
        body = truth[key]["articleBody"]
        ours.append(bench.tp_fp_fn(body, text))
        theirs.append(bench.tp_fp_fn(body, precise_text(html, None)))
    _, _, our_f1 = bench.metrics(ours)
    _, _, their_f1 = bench.metrics(theirs)
    assert our_f1 > their_f1
    assert our_f1 > 0.95


def test_furniture_lines_go_and_article_lines_stay() -> None:
    text = (
        "Shares rose 5% on Monday.\nAdvertisement\nCopyright 2019 Dow Jones & Company\n"
        "Read more: other stories\nThe company said subscribers grew.\nPhoto: Getty Images"
    )
    assert without_furniture(text) == (
        "Shares rose 5% on Monday.\n\nThe company said subscribers grew."
    )


def test_readability_answers_when_precision_mode_missed_the_body() -> None:
    assert choose("short", "x" * 600) == "x" * 600
    assert choose("y" * 400, "x" * 600) == "y" * 400
    assert choose("", "x" * 100) == ""


def test_non_utf8_and_empty_pages() -> None:
    page = (
        "<html><head><meta charset='windows-1252'></head><body><article>"
        + "<p>Caf\xe9 owners expanded to twelve cities this year, the company said.</p>" * 30
        + "</article></body></html>"
    ).encode("cp1252")
    assert "Café owners expanded" in MainTextExtractor().extract(page)
    with pytest.raises(ExtractError):
        MainTextExtractor().extract(b"   ")
