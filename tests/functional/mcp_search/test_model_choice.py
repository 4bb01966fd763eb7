"""Another model than the default, end to end: a tiny BERT with CLS pooling and prompts, made by the test.

Exported through the real export (selected by THOTH_EMBEDDING_MODEL), embedded by the refresh's
embedder, served by the ONNX query encoder, and refused where its fingerprint is not the index's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.mcp_search import REPO, SAMPLES, call_tool, index_health, markdown_chunks, publish
from tests.support.tiny_model import DIMENSION, MAX_LENGTH, PASSAGE_PROMPT, QUERY_PROMPT, build_tiny_model
from thoth.mcp_server.search import encoder
from thoth.refresh_service.embed import SentenceTransformerEmbedder
from thoth.shared.model import DIMENSION as DEFAULT_DIMENSION
from thoth.shared.model import configured, read_model
from tools.build.encoder_export import exported_from

QUERIES = [
    "how do I request time off",
    "parental leave policy",
    "on call rotation for a security incident",
    "x",
    "merge review " * 40,  # past the 48-token limit: truncation must agree
]
PASSAGES = ["Parental leave: up to 16 weeks of paid leave.", "Travel expense policy for the handbook."]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model") / "tiny-bert")


@pytest.fixture(scope="module")
def tiny_encoder(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m tools.build.encoder_export` with THOTH_EMBEDDING_MODEL naming the tiny model."""
    out = tmp_path_factory.mktemp("encoder") / "tiny"
    env = dict(os.environ, THOTH_EMBEDDING_MODEL=str(tiny_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "tools.build.encoder_export", "--out", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "cls pooling" in done.stdout and "min cosine" in done.stdout
    return out


@pytest.fixture
def tiny_served(tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(tiny_encoder))
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    encoder.reset()
    yield tiny_encoder
    encoder.reset()


def _unit(rows: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def test_onnx_vectors_equal_sentence_transformers_with_the_models_prompts(
    tiny_dir: Path, tiny_encoder: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(tiny_dir), device="cpu")
    onnx = encoder.QueryEncoder(tiny_encoder)
    expected = reference.encode(QUERIES, prompt_name="query", normalize_embeddings=True)
    got = np.stack([onnx.encode(q) for q in QUERIES])
    assert got.shape == (len(QUERIES), DIMENSION) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-2)
    assert (got * expected).sum(axis=1).min() >= 0.999
    passages = reference.encode(PASSAGES, prompt_name="document", normalize_embeddings=True)
    got_passages = np.stack([onnx.encode(p, prefix=onnx.info.passage_prefix) for p in PASSAGES])
    assert (got_passages * passages).sum(axis=1).min() >= 0.999
    # The agreement above is not an accident of this model: without the prompt, or pooled by the
    # mean instead of the CLS token, its vectors are far from these.
    bare = reference.encode(QUERIES, normalize_embeddings=True)
    tokens = reference.encode(QUERIES, prompt_name="query", output_value="token_embeddings")
    means = _unit(np.stack([t.numpy().mean(axis=0) for t in tokens]))
    assert (got * bare).sum(axis=1).max() < 0.99
    assert (got * means).sum(axis=1).max() < 0.99


def test_encoder_json_carries_the_models_settings_and_fingerprint(tiny_dir: Path, tiny_encoder: Path) -> None:
    info = encoder.read_info(tiny_encoder)
    tiny = read_model(tiny_dir)
    assert (info.model_id, info.dimension, info.max_length, info.pooling) == (
        "tiny-bert",
        DIMENSION,
        MAX_LENGTH,
        "cls",
    )
    assert (info.query_prefix, info.passage_prefix) == (QUERY_PROMPT, PASSAGE_PROMPT)
    assert info.fingerprint == tiny.fingerprint != configured().fingerprint
    assert read_model(tiny_dir, query_prefix="").fingerprint != tiny.fingerprint  # the prefix is in it
    # The layer build re-exports when the configured model is not the one build/encoder holds.
    assert exported_from(tiny_encoder, tiny) and not exported_from(tiny_encoder, configured())


def test_the_refresh_embeds_passages_with_the_configured_model(
    tiny_dir: Path, tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("THOTH_EMBEDDING_MODEL", str(tiny_dir))
    embedder = SentenceTransformerEmbedder()
    assert embedder.info.fingerprint == encoder.read_info(tiny_encoder).fingerprint
    assert (embedder.info.id, embedder.info.dimension) == ("tiny-bert", DIMENSION)
    expected = SentenceTransformer(str(tiny_dir), device="cpu").encode(
        PASSAGES, prompt_name="document", normalize_embeddings=True
    )
    got = embedder.encode(PASSAGES)
    assert (got * expected).sum(axis=1).min() >= 0.9999


def test_an_index_built_with_the_model_is_served_by_its_encoder(tiny_dir: Path, tiny_served: Path) -> None:
    embedder = SentenceTransformerEmbedder(read_model(tiny_dir))
    chunks = markdown_chunks(SAMPLES, "handbook")
    vectors = embedder.encode([c.keyword_text for c in chunks])
    publish("handbook", "v1", chunks, vectors, embedder.info.fingerprint, model_id=embedder.info.id)
    output = call_tool("search_handbook", {"query": "how do I request time off"})
    assert not output.is_error, output.text
    assert output.structured is not None and output.structured["results"]
    assert index_health()["status"] == "ok"


def test_an_index_of_another_model_is_refused_naming_both_and_the_fix(tiny_served: Path) -> None:
    default = configured()
    chunks = markdown_chunks(SAMPLES, "handbook")
    vectors = _unit(np.random.default_rng(0).normal(size=(len(chunks), DEFAULT_DIMENSION))).astype(np.float32)
    publish("handbook", "v1", chunks, vectors, default.fingerprint)
    output = call_tool("search_handbook", {"query": "how do I request time off"})
    assert output.is_error
    tiny = encoder.read_info(tiny_served)
    for part in (default.fingerprint, tiny.fingerprint, "tiny-bert", "cls pooling", repr(QUERY_PROMPT)):
        assert part in output.text
    assert "THOTH_EMBEDDING_MODEL" in output.text and "refresh --full" in output.text
    assert index_health()["status"] == "degraded"
