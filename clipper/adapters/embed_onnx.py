"""The embedder on ONNX Runtime: the model's tokenizer (HF ``tokenizers``) and an exported copy of
the model, without torch or sentence-transformers on the run path.

    files   = cache_dir / "<model>-<key>/"           key: model path, content hash, versions
    prepare: model.onnx (fp32, torch.onnx.export of the transformer, where torch is installed)
             model.int8.onnx (onnxruntime.quantization.quantize_dynamic, weights int8)
             both checked against torch on a few sentences, written to a temporary file and
             renamed; info.json records each file's sha256
    load:    the file's sha256 is checked against info.json; a missing, partial or corrupt
             file is exported again (one warning), never used
    encode:  tokenizer (truncation at the model's max_seq_length), all texts at once
             → batches of texts of the same length in tokens (padding per batch), at most
               ``model.batch_size`` texts and ``BATCH_TOKENS`` padded tokens each
             → ONNX Runtime (one thread per batch, batches in parallel) → the pooling of
             1_Pooling/config.json (mean by default) → L2 normalisation

The pipeline is sentence-transformers' own for models made of Transformer, Pooling and
Normalize modules (modules.json); any other model is refused with a message naming
``model.backend: torch``. Does not cache vectors: ``EmbeddingCache`` in the pipeline does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import EmbedderError
from ..types import EmbedBackend, PreparedModel, Quantization
from .model_files import DEFAULT_MODEL, resolve_model

log = logging.getLogger("clipper.embed")

#: bumped whenever the export or quantisation below changes: older cached files are not used
EXPORT_RECIPE = 1
#: the modules this backend reproduces (sentence-transformers' class names in modules.json)
SUPPORTED_MODULES = frozenset(
    {
        "sentence_transformers.models.Transformer",
        "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
        "sentence_transformers.base.modules.transformer.Transformer",
        "sentence_transformers.base.modules.pooling.Pooling",
        "sentence_transformers.base.modules.normalize.Normalize",
    }
)
#: sentences the export is checked on, against the torch model it came from
PROBES = (
    "Acme Robotics agrees to buy machine-vision start-up for $40 million",
    "Port strike averted as dockworkers reach a deal",
    "Heavy rain expected across the north this weekend",
    "Solara Energy beats estimates; shares rise 8% in early trading",
)
#: least cosine to torch fp32 each exported file must reach on every probe
PROBE_AGREEMENT = {Quantization.NONE: 0.9999, Quantization.INT8: 0.95}


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/clipper/models``, else ``~/.cache/clipper/models``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clipper" / "models"


@dataclass(frozen=True, slots=True)
class ModelLayout:
    """What the ONNX backend needs to know of a sentence-transformers model folder."""

    location: Path
    max_seq_length: int
    #: "mean", "cls" or "max" (1_Pooling/config.json)
    pooling: str
    dimension: int


def read_layout(location: Path) -> ModelLayout:
    """Read modules.json, sentence_bert_config.json and the pooling config of a model folder.

    Raises:
        EmbedderError: the folder is not a sentence-transformers model this backend can run.
    """
    try:
        modules = json.loads((location / "modules.json").read_text(encoding="utf-8"))
        kinds = {m["type"] for m in modules}
        unknown = sorted(kinds - SUPPORTED_MODULES)
        if unknown:
            raise EmbedderError(
                f"{location}: model.backend onnx runs Transformer, Pooling and Normalize modules "
                f"only, not {', '.join(unknown)}; set model.backend: torch for this model"
            )
        pooling_dir = next(
            (m["path"] for m in modules if m["type"].endswith("Pooling")), "1_Pooling"
        )
        pooling = json.loads((location / pooling_dir / "config.json").read_text("utf-8"))
        bert = json.loads((location / "sentence_bert_config.json").read_text("utf-8"))
        config = json.loads((location / "config.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EmbedderError(
            f"{location}: not a sentence-transformers model folder ({exc}); "
            "set model.name to one, or set model.backend: torch"
        ) from exc
    modes = [
        mode
        for mode, key in (
            ("mean", "pooling_mode_mean_tokens"),
            ("cls", "pooling_mode_cls_token"),
            ("max", "pooling_mode_max_tokens"),
        )
        if pooling.get(key)
    ]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if len(modes) != 1 or len(others) != 1:
        raise EmbedderError(
            f"{location / pooling_dir / 'config.json'}: pooling {others} is not supported by "
            "model.backend onnx (one of mean, cls, max); set model.backend: torch"
        )
    max_len = int(bert.get("max_seq_length") or config.get("max_position_embeddings") or 512)
    dimension = int(pooling.get("word_embedding_dimension") or config.get("hidden_size") or 0)
    return ModelLayout(location, max_len, modes[0], dimension)


def content_hash(location: Path) -> str:
    """Hash a model folder's small files whole and each weight file by size, first and last MiB
    (cheap at every start; a changed model changes it). Does not read whole weight files."""
    digest = hashlib.sha256()
    for path in sorted(p for p in location.rglob("*") if p.is_file()):
        relative = path.relative_to(location).as_posix()
        if relative.startswith(".") or relative.endswith(".md"):
            continue
        size = path.stat().st_size
        digest.update(f"{relative}\0{size}\0".encode())
        with path.open("rb") as handle:
            if size <= 4 << 20:
                digest.update(handle.read())
            else:
                digest.update(handle.read(1 << 20))
                handle.seek(-(1 << 20), os.SEEK_END)
                digest.update(handle.read())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class CacheFiles:
    """The cached export of one model: one folder per model path, content and versions."""

    folder: Path

    @property
    def info(self) -> Path:
        return self.folder / "info.json"

    def model(self, quantize: Quantization) -> Path:
        return self.folder / ("model.onnx" if quantize is Quantization.NONE else "model.int8.onnx")


#: padded tokens one batch may hold: 8 texts at the model's 256, 32 headlines of 64; a batch of
#: long texts at the full 32 made ONNX Runtime's memory arena keep ~1 GiB and ran slower
BATCH_TOKENS = 2048


def cut_batches(
    lengths: Sequence[int], batch_size: int, budget: int = BATCH_TOKENS
) -> list[tuple[int, int]]:
    """Return ``(start, end)`` slices of ``lengths`` (longest first) into batches of at most
    ``batch_size`` texts whose padded size (texts x the first, longest, one) stays within
    ``budget``; a text longer than the budget alone is one batch. Does not sort."""
    cuts: list[tuple[int, int]] = []
    start = 0
    while start < len(lengths):
        fits = max(1, budget // max(1, lengths[start]))
        end = min(len(lengths), start + min(batch_size, fits))
        cuts.append((start, end))
        start = end
    return cuts


class OnnxEmbedder:
    """``EmbedderType`` on ONNX Runtime; thread-safe, loads (or prepares) on first use."""

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        batch_size: int = 32,
        threads: int = 0,
        quantize: Quantization = Quantization.INT8,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        #: batches encoded side by side, one ONNX Runtime thread each (0: one per CPU)
        self.threads = threads or _cpus()
        self.quantize = quantize
        self.cache_dir = cache_dir or default_cache_dir()
        self._location = Path(resolve_model(name))
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._layout: ModelLayout | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._inputs: frozenset[str] = frozenset()
        self._key: str | None = None

    # ------------------------------------------------------------------ identity and files

    def _cache_key(self) -> str:
        if self._key is None:
            if not self._location.is_dir():
                raise EmbedderError(
                    f"cannot load the embedding model {self.name!r}: model.backend onnx needs a "
                    "local sentence-transformers folder (model.name), or model.backend: torch"
                )
            parts = [
                str(self._location),
                content_hash(self._location),
                f"recipe {EXPORT_RECIPE}",
                f"onnxruntime {_version('onnxruntime')}",
            ]
            self._key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        return self._key

    @property
    def files(self) -> CacheFiles:
        """Where this model's export is (or will be) cached."""
        return CacheFiles(self.cache_dir / f"{Path(self.name).name}-{self._cache_key()}")

    @property
    def model_key(self) -> str:
        """Identifies the vectors: another model, export or quantisation is another cache key."""
        return f"{Path(self.name).name}:{self._cache_key()[:12]}:onnx-{self.quantize}"

    # ------------------------------------------------------------------ prepare

    def prepare(self) -> PreparedModel:
        """Make sure the ONNX file for this model and quantisation is cached and intact;
        export it (torch needed, once) when it is missing or does not match its checksum.

        Raises:
            EmbedderError: the model cannot be exported (no torch, unsupported model, no space
                or no permission in the cache folder).
        """
        started = time.monotonic()
        target = self.files.model(self.quantize)
        if _recorded_ok(self.files, target):
            return PreparedModel(EmbedBackend.ONNX, target, False, time.monotonic() - started)
        layout = read_layout(self._location)
        why = "is not complete" if target.exists() else "is not cached yet"
        log.warning(
            "the ONNX copy of embedding model %s (%s) %s: exporting it once to %s "
            "(`clipper model prepare` does this ahead of time)",
            self.name,
            self.quantize,
            why,
            self.files.folder,
        )
        try:
            self.files.folder.mkdir(parents=True, exist_ok=True)
            _export(layout, self.files, self.quantize)
        except OSError as exc:
            raise EmbedderError(
                f"cannot write the ONNX copy of {self.name!r} in {self.files.folder}: {exc}; "
                "set model.cache_dir to a writable folder"
            ) from exc
        return PreparedModel(EmbedBackend.ONNX, target, True, time.monotonic() - started)

    # ------------------------------------------------------------------ load and encode

    def _load(self) -> Any:
        with self._lock:
            if self._session is not None:
                return self._session
            try:
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise EmbedderError(
                    f"model.backend onnx needs onnxruntime and tokenizers installed ({exc})"
                ) from exc
            prepared = self.prepare()
            assert prepared.path is not None
            layout = self._layout = read_layout(self._location)
            options = onnxruntime.SessionOptions()
            # one thread per run; batches run side by side (_encode), which beats one batch
            # on several threads for short texts (PERF.md: 2 x 1 thread)
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # no memory pattern: ONNX Runtime caches one per input shape, and batches come in
            # many (batch, length) shapes, so a long-running process kept growing (~100 MiB
            # more after 5,000 texts of 5-300 words, no faster; docs/benchmarks.md "Soak")
            options.enable_mem_pattern = False
            try:
                session = onnxruntime.InferenceSession(
                    str(prepared.path), options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf
                raise EmbedderError(f"cannot load {prepared.path}: {exc}") from exc
            tokenizer = Tokenizer.from_file(str(self._location / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=layout.max_seq_length)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
            self._inputs = frozenset(i.name for i in session.get_inputs())
            if self.threads > 1:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="clipper-onnx")
            log.info("loaded embedding model %s (onnx %s)", self.name, self.quantize)
            self._session = session
            return session

    def _batch(self, session: Any, encodings: Sequence[Any]) -> NDArray[np.float32]:
        """Run one batch of tokenised texts and pool it. Does not tokenise."""
        layout = self._layout
        assert layout is not None
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = session.run(["last_hidden_state"], feed)
        return _pool(hidden.astype(np.float32, copy=False), mask, layout.pooling)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Return one normalised vector per text, shape (len(texts), dim)."""
        session = self._load()
        layout = self._layout
        assert layout is not None
        if not texts:
            return np.zeros((0, layout.dimension), dtype=np.float32)
        # sentence-transformers strips each text and batches by length in characters; here
        # every text is tokenised first and batched by length in tokens, so a batch hardly
        # pads (a quarter fewer tokens run on 1,000 headlines: docs/benchmarks.md); ties go
        # by text, so the same texts in another order make the same batches and vectors
        stripped = [str(t).strip() for t in texts]
        encodings = self._tokenizer.encode_batch(stripped)
        order = sorted(range(len(encodings)), key=lambda i: (-len(encodings[i].ids), stripped[i]))
        cuts = cut_batches([len(encodings[i].ids) for i in order], self.batch_size)
        batches = [[encodings[i] for i in order[start:end]] for start, end in cuts]
        try:
            if self._pool is not None and len(batches) > 1:
                parts = list(self._pool.map(lambda b: self._batch(session, b), batches))
            else:
                parts = [self._batch(session, b) for b in batches]
        except Exception as exc:  # onnxruntime's own errors (out of memory, a broken graph)
            if isinstance(exc, (EmbedderError, AssertionError, TypeError)):
                raise
            raise EmbedderError(f"encoding failed: {exc}") from exc
        sorted_vectors = np.vstack(parts)
        result = np.empty_like(sorted_vectors)
        result[order] = sorted_vectors
        return result


# ---------------------------------------------------------------------- export (needs torch)


def _export(layout: ModelLayout, files: CacheFiles, quantize: Quantization) -> None:
    """Export the transformer to ``files`` (fp32, then int8 when asked), check each file
    against torch on ``PROBES``, and record checksums; each file appears whole or not at all.

    Raises:
        EmbedderError: torch/transformers are missing, or the export disagrees with torch.
    """
    import warnings

    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    except ImportError as exc:
        raise EmbedderError(
            "exporting the embedding model to ONNX needs torch and transformers, which are not "
            f"installed here ({exc}); run `clipper model prepare` where they are and copy "
            f"{files.folder}, or set model.backend: torch"
        ) from exc
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(layout.location / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=layout.max_seq_length)
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(list(PROBES))
    ids = torch.tensor([e.ids for e in encodings], dtype=torch.int64)
    mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.int64)
    types = torch.zeros_like(ids)

    class _LastHidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = AutoModel.from_pretrained(
                str(layout.location), local_files_only=True, attn_implementation="eager"
            )
        except (OSError, ValueError) as exc:
            raise EmbedderError(f"cannot load {layout.location} to export it: {exc}") from exc
        model.eval()
        wrapped = _LastHidden(model)
        with torch.no_grad():
            reference = wrapped(ids, mask, types).numpy()
        expected = _pool(reference, mask.numpy(), layout.pooling)
        fp32 = files.model(Quantization.NONE)
        checksums: dict[str, str] = {}
        if not _recorded_ok(files, fp32):
            with _temporary(fp32) as tmp:
                torch.onnx.export(
                    wrapped,
                    (ids, mask, types),
                    str(tmp),
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["last_hidden_state"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "sequence"},
                        "attention_mask": {0: "batch", 1: "sequence"},
                        "token_type_ids": {0: "batch", 1: "sequence"},
                        "last_hidden_state": {0: "batch", 1: "sequence"},
                    },
                    opset_version=17,
                    do_constant_folding=True,
                    dynamo=False,
                )
                _check(tmp, ids, mask, expected, layout, Quantization.NONE)
        checksums[fp32.name] = _file_sha256(fp32)
        if quantize is Quantization.INT8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            int8 = files.model(Quantization.INT8)
            with _temporary(int8) as tmp:
                with _quiet_root_logger():  # the quantiser logs each tensor it skips, to root
                    quantize_dynamic(fp32, tmp, weight_type=QuantType.QInt8, per_channel=True)
                _check(tmp, ids, mask, expected, layout, Quantization.INT8)
            checksums[int8.name] = _file_sha256(int8)
    _record(files, layout, checksums)


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _recorded_ok(files: CacheFiles, path: Path) -> bool:
    """True when ``path`` is whole: its sha256 is the one recorded when it was written."""
    try:
        info = json.loads(files.info.read_text(encoding="utf-8"))
        return bool(path.is_file() and info.get("sha256", {}).get(path.name) == _file_sha256(path))
    except (OSError, ValueError, AttributeError):
        return False


def _record(files: CacheFiles, layout: ModelLayout, checksums: dict[str, str]) -> None:
    """Merge ``checksums`` into info.json (written to a temporary file, then renamed)."""
    try:
        info = json.loads(files.info.read_text(encoding="utf-8"))
        known = dict(info.get("sha256", {}))
    except (OSError, ValueError, AttributeError):
        known = {}
    known.update(checksums)
    record = {
        "model": str(layout.location),
        "recipe": EXPORT_RECIPE,
        "versions": {p: _version(p) for p in ("onnxruntime", "torch", "transformers", "onnx")},
        "sha256": known,
    }
    with _temporary(files.info) as tmp:
        tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``, renamed onto it when the block succeeds and
    removed when it fails: readers see the old file or the whole new one, never a part."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    path = Path(name)
    try:
        yield path
        path.chmod(0o644)  # mkstemp makes it private; the cache may be shared
        os.replace(path, target)
    finally:
        path.unlink(missing_ok=True)


def _pool(hidden: NDArray[Any], mask: NDArray[Any], mode: str) -> NDArray[np.float32]:
    weights = mask[:, :, None].astype(np.float32)
    if mode == "cls":
        pooled = hidden[:, 0]
    elif mode == "max":
        pooled = np.where(weights > 0, hidden, -1e9).max(axis=1)
    else:
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    result: NDArray[np.float32] = (
        pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    ).astype(np.float32)
    return result


def _check(
    path: Path,
    ids: Any,
    mask: Any,
    expected: NDArray[np.float32],
    layout: ModelLayout,
    quantize: Quantization,
) -> None:
    """Run the exported file on the probes; raise unless it agrees with torch."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (hidden,) = session.run(
        ["last_hidden_state"],
        {
            "input_ids": ids.numpy(),
            "attention_mask": mask.numpy(),
            "token_type_ids": np.zeros_like(ids.numpy()),
        },
    )
    got = _pool(hidden, mask.numpy(), layout.pooling)
    agreement = float(np.min(np.sum(got * expected, axis=1)))
    if agreement < PROBE_AGREEMENT[quantize]:
        raise EmbedderError(
            f"the ONNX export of {layout.location} ({quantize}) disagrees with torch "
            f"(cosine {agreement:.4f}); set model.backend: torch"
        )
