"""``clipper fetch --once`` loads what fetching needs and nothing else (issue 14 item 4).

A user running the command pays for every module it imports, in start-up time and in memory
(docs/benchmarks.md "Ingestion": its peak RSS against reader's). Each test runs the real command
in a child process, as a user does, against the local feed server, and reads the child's
``sys.modules`` when the command has finished.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from .conftest import write_config
from .feedserver import FeedServer, Reply, rss
from .support.cli import REPO

#: what a fetch of well-formed feeds never needs: the embedding model and numpy, the entity
#: recogniser, charts, page extraction, the ill-formed feed fallback and feed discovery,
#: httpcore's async back end, the accounts file's round-trip YAML
NOT_FOR_FETCH = (
    "numpy",
    "onnxruntime",
    "tokenizers",
    "torch",
    "sentence_transformers",
    "spacy",
    "matplotlib",
    "trafilatura",
    "readability",
    "feedparser",
    "bs4",
    "trio",
    "ruamel",
)
#: submodules of libraries a fetch does use: rich's Markdown renderer (markdown-it, pygments)
#: shows digests only
NOT_FOR_FETCH_PARTS = ("rich.markdown", "markdown_it", "pygments")

#: runs ``clipper ARGS`` in this process as ``python -m clipper`` does, then writes the names
#: of the imported modules to the file named first
SCRIPT = """\
import json, sys
from clipper.cli import main
out, args = sys.argv[1], sys.argv[2:]
try:
    main(args)
finally:
    with open(out, "w") as f:
        json.dump(sorted(sys.modules), f)
"""


def _fetch_once(config: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    modules = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(modules), "--config", str(config), "fetch", "--once"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    loaded = set(json.loads(modules.read_text())) if modules.exists() else set()
    return done, loaded


def _titles(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "var" / "clipper.db") as conn:
        return sorted(r[0] for r in conn.execute("SELECT title FROM articles"))


def test_fetch_once_stores_every_item_without_loading_the_model_or_fallbacks(
    tmp_path: Path, server: FeedServer
) -> None:
    items = [
        {"title": f"Northwind opens depot {n}", "guid": f"g{n}", "link": f"http://x.example/{n}"}
        for n in range(3)
    ]
    url = server.route("/news.xml", Reply(200, rss(items)))
    config = write_config(tmp_path, feeds={"logistics": [{"url": url, "name": "Trade news"}]})

    done, loaded = _fetch_once(config, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "feeds: 1 ok, 0 not modified, 0 failed; new articles: 3" in done.stdout
    assert _titles(tmp_path) == [i["title"] for i in items]
    heavy = sorted(
        name
        for name in loaded
        if name.split(".")[0] in NOT_FOR_FETCH or name in NOT_FOR_FETCH_PARTS
    )
    assert heavy == [], f"fetch --once imported {heavy}"


def test_an_ill_formed_feed_still_loads_the_tolerant_parser_and_is_stored(
    tmp_path: Path, server: FeedServer
) -> None:
    # a bare "&" in a title: lxml's strict parser refuses the document, feedparser reads it
    body = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Loose</title>"
        b"<item><title>Fabrikam & Contoso merge</title><guid>m1</guid>"
        b"<link>http://x.example/m1</link></item></channel></rss>"
    )
    url = server.route("/loose.xml", Reply(200, body))
    config = write_config(tmp_path, feeds={"logistics": [{"url": url, "name": "Loose feed"}]})

    done, loaded = _fetch_once(config, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "new articles: 1" in done.stdout
    assert _titles(tmp_path) == ["Fabrikam & Contoso merge"]
    assert "feedparser" in loaded  # imported where it is needed, not missing
