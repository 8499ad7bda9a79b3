"""Start-up: ``clipper --help``, ``clipper check`` and ``clipper explain`` import only what they
use (issue 14 item 3). A user notices this as the wait before the first line; asserted here on
the modules a real ``python -m clipper`` process has imported when it exits, not on timings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

#: runs ``python -m clipper ARGS`` and writes the names in ``sys.modules`` at exit to a file
_DUMP = """\
import atexit, json, runpy, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["clipper", *sys.argv[2:]]
runpy.run_module("clipper", run_name="__main__", alter_sys=True)
"""
#: what no start-up needs: fetching and feed parsing, Slack, the server and its metrics, the
#: scheduler, charts, page extraction, Markdown rendering, torch
NEVER_AT_START = (
    "httpx",
    "httpcore",
    "feedparser",
    "fastfeedparser",
    "bs4",
    "lxml",
    "slack_sdk",
    "slack_bolt",
    "apscheduler",
    "waitress",
    "prometheus_client",
    "matplotlib",
    "trafilatura",
    "markdown_it",
    "torch",
    "sentence_transformers",
    "clipper.adapters.fetch_http",
    "clipper.adapters.parse_feed",
    "clipper.adapters.slack_web",
    "clipper.server",
    "clipper.slackapp",
    "clipper.scheduler",
    "clipper.webreport",
)
#: what reading the settings needs, and nothing before it: not for ``--help``
SETTINGS = ("pydantic", "yaml", "clipper.config")
#: matching: the model, the database, the mention index
MATCHING = ("numpy", "onnxruntime", "sqlite3", "clipper.core", "clipper.wiring")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled settings, accounts and catalogs, copied: ``var/`` is made beside them."""
    root = tmp_path_factory.mktemp("sample")
    for folder in ("config", "feeds"):
        shutil.copytree(REPO / folder, root / folder)
    return root / "config" / "clipper.yaml"


def imported_by(tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """Run ``python -m clipper ARGS`` in a new process; return its modules at exit and stdout."""
    script = tmp_path / "dump.py"
    script.write_text(_DUMP, encoding="utf-8")
    modules = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(script), str(modules), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(modules.read_text(encoding="utf-8"))), done.stdout


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Return those of ``names`` imported (a package, or any module under it)."""
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


def test_help_reads_no_settings_and_loads_no_adapter(tmp_path: Path) -> None:
    modules, out = imported_by(tmp_path, "--help")
    assert "explain" in out and "check" in out  # every command is still listed
    assert loaded(modules, NEVER_AT_START + SETTINGS + MATCHING) == []


def test_check_reads_the_settings_and_loads_no_model_or_adapter(
    tmp_path: Path, sample: Path
) -> None:
    modules, _out = imported_by(tmp_path, "--config", str(sample), "check")
    assert loaded(modules, SETTINGS) == list(SETTINGS)
    assert loaded(modules, NEVER_AT_START + MATCHING) == []


def test_explain_loads_the_matcher_and_nothing_for_fetching_or_slack(
    tmp_path: Path, sample: Path
) -> None:
    title = "Helix Components sued over late deliveries"
    modules, out = imported_by(tmp_path, "--config", str(sample), "explain", "--title", title)
    assert "Helix Components score" in out  # the same answer as before
    assert loaded(modules, MATCHING) == list(MATCHING)
    assert loaded(modules, NEVER_AT_START) == []
    # spaCy only where a name is ambiguous (this one is not); word frequencies without wordfreq's
    # language tables
    assert loaded(modules, ("spacy", "wordfreq", "langcodes", "srsly")) == []


def test_the_small_word_list_gives_every_common_word_test_the_full_lists_answer() -> None:
    """Mentions read wordfreq's small list (loads 10x faster); an upgrade of wordfreq that made
    its answers differ from the full list's, at any threshold the finder uses, fails here."""
    from wordfreq import get_frequency_dict, zipf_frequency

    from clipper.adapters import mentions_ac

    small = get_frequency_dict("en", mentions_ac.WORDLIST)
    full = get_frequency_dict("en", "large")
    thresholds = (
        mentions_ac.COMMON_WORD_ZIPF,
        mentions_ac.FUNCTION_WORD_ZIPF,
        mentions_ac.SHORT_NAME_MAX_ZIPF,
        mentions_ac.TWO_LETTER_WORD_ZIPF,
    )
    # a word missing from the small list is below every threshold in the full one
    rarest = max(f for w, f in full.items() if w not in small)
    assert zipf_frequency_of(rarest) < min(thresholds)
    differ = [
        w
        for w in small
        if zipf_frequency(w, "en", wordlist=mentions_ac.WORDLIST) != zipf_frequency(w, "en")
    ]
    assert differ == []


def zipf_frequency_of(frequency: float) -> float:
    """wordfreq's Zipf value of a frequency (log10 of per-billion), as ``zipf_frequency``."""
    import math

    return round(math.log10(frequency) + 9, 2)


def test_zipf_frequency_without_wordfreq_equals_wordfreqs_own() -> None:
    """Mentions look a name word's frequency up without importing wordfreq; every word of the
    list, as written in news (lower case, capitalised, capitals), and words missing from it,
    get wordfreq's own value, so every mention decision stays the same."""
    import wordfreq

    from clipper.adapters import mentions_ac

    small = wordfreq.get_frequency_dict("en", mentions_ac.WORDLIST)
    full = wordfreq.get_frequency_dict("en", "large")
    missing = [w for w in list(full)[::40] if w not in small][:2000]
    words = [*small, *(w.title() for w in small), *(w.upper() for w in small), *missing]
    words += ["AT&T", "Yahoo!", "T-Mobile", "3M", "O'Reilly", "café", "", "x"]
    differ = [
        w
        for w in words
        if mentions_ac.zipf_frequency(w) != wordfreq.zipf_frequency(w, "en", mentions_ac.WORDLIST)
    ]
    assert differ == []


def test_the_lexicon_reads_as_spacy_reads_it() -> None:
    """The WordNet lemmas come from spaCy's lookups file through plain msgpack; spaCy's own
    reader (srsly) gives the same tables."""
    import srsly

    from clipper.adapters import mentions_ac
    from clipper.adapters.spacy_package import data_folder

    folder = data_folder(mentions_ac.DEFAULT_PIPELINE)
    assert folder is not None
    (lookups,) = folder.glob("lemmatizer/lookups/lookups.bin")
    import msgpack

    data = lookups.read_bytes()
    assert msgpack.unpackb(data, raw=False, strict_map_key=False) == srsly.msgpack_loads(data)
    assert mentions_ac.load_lexicon() is not None
