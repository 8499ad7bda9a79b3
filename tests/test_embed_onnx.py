"""The ONNX Runtime embedder with the real all-MiniLM-L6-v2 weights: its vectors agree with
torch fp32, its cached export survives corruption, and the run path never imports torch."""

from __future__ import annotations

import csv
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from clipper.adapters import embed_onnx
from clipper.adapters.embed_onnx import OnnxEmbedder
from clipper.adapters.embed_st import SentenceTransformerEmbedder
from clipper.cli import main
from clipper.config import load_config
from clipper.core import make_embedder
from clipper.exceptions import ConfigError, EmbedderError
from clipper.types import Quantization

from .conftest import REPO, shared_data, write_config


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder with the int8 (and fp32) export of the bundled model, made once."""
    folder = tmp_path_factory.mktemp("onnx-cache")
    prepared = OnnxEmbedder(cache_dir=folder).prepare()
    assert prepared.exported and prepared.path is not None and prepared.path.is_file()
    return folder


def headlines(count: int = 40) -> list[str]:
    """Real financial headlines (SEntFiN), every 97th, so they are varied."""
    with (shared_data() / "sentfin" / "SEntFiN.csv").open(encoding="utf-8") as handle:
        titles = [row["Title"] for row in csv.DictReader(handle)]
    return titles[::97][:count]


@pytest.mark.parametrize("quantize", [Quantization.INT8, Quantization.NONE])
def test_onnx_vectors_agree_with_torch_fp32(cache_dir: Path, quantize: Quantization) -> None:
    texts = headlines()
    assert len(texts) == 40
    torch_vectors = SentenceTransformerEmbedder(precision="fp32").encode(texts)
    onnx = OnnxEmbedder(cache_dir=cache_dir, quantize=quantize, batch_size=8)
    vectors = onnx.encode(texts)
    assert vectors.shape == (40, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vectors * torch_vectors, axis=1)
    assert cosine.min() >= (0.97 if quantize is Quantization.INT8 else 0.9999), cosine.min()
    # the order of the answers is the order asked, whatever the batching by length did
    assert np.allclose(onnx.encode(texts[::-1]), vectors[::-1], atol=1e-6)
    assert onnx.encode([]).shape == (0, 384)


def test_model_key_differs_by_backend_and_quantisation(cache_dir: Path) -> None:
    int8 = OnnxEmbedder(cache_dir=cache_dir)
    fp32 = OnnxEmbedder(cache_dir=cache_dir, quantize=Quantization.NONE)
    torch_key = SentenceTransformerEmbedder(precision="fp32").model_key
    assert len({int8.model_key, fp32.model_key, torch_key}) == 3
    assert int8.model_key.startswith("all-MiniLM-L6-v2:") and int8.model_key.endswith("onnx-int8")


def test_a_corrupt_cached_export_is_rebuilt_not_used(
    cache_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache_dir, copy)
    embedder = OnnxEmbedder(cache_dir=copy)
    target = embedder.files.model(Quantization.INT8)
    whole = target.read_bytes()
    target.write_bytes(whole[: len(whole) // 3])  # a copy cut short (disk full, killed)
    with caplog.at_level(logging.WARNING, logger="clipper.embed"):
        vectors = embedder.encode(["Port strike averted as dockworkers reach deal"])
    assert "is not complete: exporting it once" in caplog.text
    assert vectors.shape == (1, 384)
    assert target.stat().st_size > len(whole) // 2
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no temp files
    caplog.clear()
    again = OnnxEmbedder(cache_dir=copy).prepare()  # a new process finds it whole
    assert not again.exported and "exporting" not in caplog.text


def test_texts_are_batched_by_length_in_tokens_whatever_their_order(cache_dir: Path) -> None:
    # headlines of many lengths in tokens, batched 8 at a time: each text's vector is the same
    # whichever order they come in (ties in length go by text), and agrees with torch fp32
    texts = headlines(40) + ["Acme", "Acme Robotics", "Robotics Acme", "acme robotics"]
    onnx = OnnxEmbedder(cache_dir=cache_dir, batch_size=8)
    vectors = onnx.encode(texts)
    shuffled = np.random.default_rng(7).permutation(len(texts))
    assert np.array_equal(onnx.encode([texts[i] for i in shuffled]), vectors[shuffled])
    torch_vectors = SentenceTransformerEmbedder(precision="fp32").encode(texts)
    assert np.sum(vectors * torch_vectors, axis=1).min() >= 0.97


def test_long_texts_run_in_batches_of_a_bounded_size_and_agree_with_torch(
    cache_dir: Path,
) -> None:
    # article-length texts (summary and content, up to the model's 256 tokens) go 8 to a batch,
    # headlines 32: the padded tokens of one batch stay within BATCH_TOKENS, which keeps ONNX
    # Runtime's memory arena (what a long-running `clipper run` holds) at a few hundred MiB
    assert embed_onnx.cut_batches([256] * 20, 32) == [(0, 8), (8, 16), (16, 20)]
    assert embed_onnx.cut_batches([256, 100, 100, 20], 32) == [(0, 4)]
    assert embed_onnx.cut_batches([20] * 40, 32) == [(0, 32), (32, 40)]
    assert embed_onnx.cut_batches([9000, 10], 32) == [(0, 1), (1, 2)]
    titles = headlines(40)
    long = [" ".join(titles[i : i + 14]) for i in range(24)]
    vectors = OnnxEmbedder(cache_dir=cache_dir).encode(long)
    torch_vectors = SentenceTransformerEmbedder(precision="fp32").encode(long)
    assert np.sum(vectors * torch_vectors, axis=1).min() >= 0.97


def test_an_export_made_by_an_older_recipe_is_not_reused(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache_dir, copy)
    old = OnnxEmbedder(cache_dir=copy)
    old_folder, old_key = old.files.folder, old.model_key
    old_bytes = old.files.model(Quantization.INT8).read_bytes()
    # a Clipper whose export or quantisation differs (embed_onnx.EXPORT_RECIPE bumped)
    monkeypatch.setattr(embed_onnx, "EXPORT_RECIPE", embed_onnx.EXPORT_RECIPE + 1)
    new = OnnxEmbedder(cache_dir=copy)
    assert new.files.folder != old_folder and new.files.folder.parent == copy
    # another key: the embedding cache never mixes the old export's vectors with the new one's
    assert new.model_key != old_key and new.model_key.endswith(":onnx-int8")
    path = write_config(tmp_path, settings={"model": {"cache_dir": str(copy)}})
    result = CliRunner().invoke(main, ["--config", str(path), "model", "prepare"])
    assert result.exit_code == 0, result.output
    assert "exported in" in result.output and "ready (cached)" not in result.output
    assert new.files.model(Quantization.INT8).is_file()
    assert old.files.model(Quantization.INT8).read_bytes() == old_bytes  # left as it was
    again = CliRunner().invoke(main, ["--config", str(path), "model", "prepare"])
    assert "ready (cached)" in again.output and str(new.files.folder.name) in again.output


def test_the_run_path_imports_neither_torch_nor_sentence_transformers(
    cache_dir: Path, tmp_path: Path
) -> None:
    path = write_config(
        tmp_path,
        accounts=[{"name": "Apple", "aliases": ["Apple Inc."], "owner": "rep@example.com"}],
        settings={"model": {"cache_dir": str(cache_dir)}},
    )
    # the embedder alone, `clipper explain` (the matcher) and spaCy's entity recogniser
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from clipper.cli import main\n"
        "from clipper.config import load_config\n"
        "from clipper.core import make_embedder\n"
        f"embedder = make_embedder(load_config(Path({str(path)!r}), {{}}))\n"
        "vectors = embedder.encode(['Helix Components lays off 300'])\n"
        "assert vectors.shape == (1, 384), vectors.shape\n"
        f"main(['--config', {str(path)!r}, 'explain', '--title',\n"
        "      'Apple shares rise after the iPhone launch'], standalone_mode=False)\n"
        "from clipper.adapters.ner_spacy import SpacyEntityRecognizer\n"
        "assert SpacyEntityRecognizer().entities(['Tim Cook runs Apple in Cupertino'])[0]\n"
        "heavy = sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "print('heavy:', heavy, 'spacy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "Apple" in done.stdout  # explain matched the account
    assert "heavy: [] True" in done.stdout  # spaCy ran; torch was never imported


def test_model_prepare_command_reports_the_cached_copy(cache_dir: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"model": {"cache_dir": str(cache_dir)}})
    result = CliRunner().invoke(main, ["--config", str(path), "model", "prepare"])
    assert result.exit_code == 0, result.output
    assert "ready (cached)" in result.output and "model.int8.onnx" in result.output


def test_backend_and_quantize_are_validated_with_their_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"model": {"backend": "onxx", "quantize": "int4"}})
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    text = "\n".join(info.value.problems)
    assert "model.backend: Input should be 'onnx' or 'torch'" in text
    assert "model.quantize: Input should be 'int8' or 'none'" in text
    path = write_config(tmp_path, settings={"model": {"device": "cuda"}})
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert "model.device: Value error, 'cuda' needs model.backend: torch" in "\n".join(
        info.value.problems
    )
    path = write_config(tmp_path, settings={"model": {"backend": "torch", "device": "cuda"}})
    config = load_config(path, {})
    assert isinstance(make_embedder(config), SentenceTransformerEmbedder)


def test_a_relative_cache_dir_is_read_from_the_config_folder(tmp_path: Path) -> None:
    path = write_config(tmp_path, settings={"model": {"cache_dir": "../var/models"}})
    embedder = make_embedder(load_config(path, {}))
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.cache_dir == (tmp_path / "var" / "models").resolve()


def test_a_model_the_onnx_backend_cannot_run_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "modules.json").write_text(
        '[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},'
        ' {"idx": 1, "name": "1", "path": "1_Pooling", '
        '"type": "sentence_transformers.models.Pooling"},'
        ' {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]'
    )
    with pytest.raises(EmbedderError, match="set model.backend: torch"):
        OnnxEmbedder(str(model), cache_dir=tmp_path / "cache").encode(["x"])
