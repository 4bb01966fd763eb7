"""Index versions: write, verify, download, load; corrupt or foreign versions are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thoth.shared.errors import IndexFormatError
from thoth.shared.index import (
    Chunk,
    KeywordIndex,
    ModelInfo,
    download_version,
    load_version,
    verify_version,
    write_version,
)
from thoth.shared.live import LivePointer, list_live, read_live, swap_live
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore

MODEL = ModelInfo("test-model", 4, "sha256:0123456789abcdef")


def make_chunks(n: int = 3) -> list[Chunk]:
    texts = [
        "Deploying the handbook with Lambda layers",
        "Expense policy for travel",
        "On-call rotation rules",
    ]
    return [
        Chunk(
            id=f"c{i}",
            source="handbook",
            path=f"page{i}.md",
            title=f"Page {i}",
            heading_path=["Top", f"Section {i}"],
            url=f"https://h.example/page{i}#section-{i}",
            line_start=1,
            line_end=5,
            text=texts[i % len(texts)],
            content_hash=f"h{i}",
        )
        for i in range(n)
    ]


def unit_vectors(n: int, d: int = 4) -> np.ndarray:
    vectors = np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


def test_roundtrip(store: LocalObjectStore, tmp_path: Path) -> None:
    chunks, vectors = make_chunks(), unit_vectors(3)
    manifest = write_version(
        store, "handbook", "v1", chunks, vectors, model=MODEL, commit="abc", builder_version="test"
    )
    assert verify_version(store, "handbook", "v1") == manifest
    directory = download_version(store, "handbook", "v1", tmp_path / "cache")
    loaded = load_version(directory, expected_fingerprint=MODEL.fingerprint)
    assert list(loaded.chunks) == chunks
    # int8 with a scale per row: every value within half a step (row peak / 254) of the original
    step = np.abs(vectors).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(np.asarray(loaded.vectors) - vectors) <= step / 2 + 1e-7)
    assert loaded.manifest.commit == "abc" and loaded.manifest.chunk_count == 3
    scores = loaded.keywords.scores("expense travel")
    assert int(np.argmax(scores)) == 1


def test_versions_are_immutable(store: LocalObjectStore) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    with pytest.raises(IndexFormatError, match="immutable"):
        write_version(
            store,
            "handbook",
            "v1",
            make_chunks(),
            unit_vectors(3),
            model=MODEL,
            commit=None,
            builder_version="t",
        )


@pytest.mark.parametrize(
    ("vectors", "message"),
    [(np.zeros((2, 4), np.float32), "shape"), (np.full((3, 4), np.nan, np.float32), "NaN")],
)
def test_bad_vectors_rejected(store: LocalObjectStore, vectors: np.ndarray, message: str) -> None:
    with pytest.raises(IndexFormatError, match=message):
        write_version(
            store, "handbook", "v1", make_chunks(), vectors, model=MODEL, commit=None, builder_version="t"
        )
    assert list(store.list()) == []


def test_duplicate_ids_rejected(store: LocalObjectStore) -> None:
    chunks = make_chunks(2)
    chunks.append(chunks[0])
    with pytest.raises(IndexFormatError, match="unique"):
        write_version(
            store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
        )


def test_corrupt_object_fails_verify_and_download(store: LocalObjectStore, tmp_path: Path) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    store.put("indexes/handbook/v1/chunks.jsonl", b"tampered\n")
    with pytest.raises(IndexFormatError, match="checksum"):
        verify_version(store, "handbook", "v1")
    with pytest.raises(IndexFormatError, match="checksum"):
        download_version(store, "handbook", "v1", tmp_path / "cache")
    assert not (tmp_path / "cache" / "handbook" / "v1").exists()
    assert [p.name for p in (tmp_path / "cache" / "handbook").iterdir()] == []


def test_incomplete_version_refused(store: LocalObjectStore, tmp_path: Path) -> None:
    store.put("indexes/handbook/v2/chunks.jsonl", b"")
    with pytest.raises(IndexFormatError, match="no manifest"):
        verify_version(store, "handbook", "v2")
    with pytest.raises(IndexFormatError, match="no manifest"):
        download_version(store, "handbook", "v2", tmp_path / "cache")


def test_foreign_model_refused(store: LocalObjectStore, tmp_path: Path) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    directory = download_version(store, "handbook", "v1", tmp_path / "cache")
    with pytest.raises(IndexFormatError, match="fingerprint"):
        load_version(directory, expected_fingerprint="sha256:ffffffffffffffff")


@pytest.mark.parametrize(
    "manifest",
    [b"not json", b"[]", b'{"format_version": 99}', b'{"format_version": 2, "source": "x"}'],
)
def test_malformed_manifest(store: LocalObjectStore, manifest: bytes) -> None:
    store.put("indexes/handbook/v1/manifest.json", manifest)
    with pytest.raises(IndexFormatError):
        verify_version(store, "handbook", "v1")


@pytest.mark.parametrize("name", ["", "UPPER", "../x", "a/b", "x" * 70, "-lead"])
def test_bad_names(store: LocalObjectStore, name: str) -> None:
    with pytest.raises(IndexFormatError):
        write_version(
            store, name, "v1", [], np.zeros((0, 4), np.float32), model=MODEL, commit=None, builder_version="t"
        )


def test_empty_version_roundtrip(store: LocalObjectStore, tmp_path: Path) -> None:
    write_version(
        store, "empty", "v1", [], np.zeros((0, 4), np.float32), model=MODEL, commit=None, builder_version="t"
    )
    loaded = load_version(download_version(store, "empty", "v1", tmp_path / "c"))
    assert (
        list(loaded.chunks) == [] and loaded.paths == [] and loaded.keywords.scores("anything").shape == (0,)
    )


def test_bm25_prefers_rarer_terms() -> None:
    index = KeywordIndex.build(["lambda layer size", "lambda lambda lambda", "terraform state"])
    scores = index.scores("layer lambda")
    assert scores[0] > scores[1] > scores[2] == 0
    assert not index.scores("").any() and not index.scores("zzz").any()


def test_live_pointer_cas(tmp_path: Path) -> None:
    state = SqliteStateStore(tmp_path / "s.db")
    first = LivePointer("handbook", "v1", "abc", "2026-01-01T00:00:00+00:00", 3, MODEL.fingerprint)
    live = swap_live(state, first, None)
    assert live is not None and read_live(state, "handbook") == live
    assert swap_live(state, first, None) is None  # already published: create loses
    second = LivePointer("handbook", "v2", "def", "2026-01-02T00:00:00+00:00", 4, MODEL.fingerprint)
    moved = swap_live(state, second, live)
    assert moved is not None and moved.version == "v2"
    assert swap_live(state, second, live) is None  # stale expectation loses
    assert [p.version for p in list_live(state)] == ["v2"]


def test_chunks_parse_lazily_and_report_corrupt_rows(store: LocalObjectStore, tmp_path: Path) -> None:
    chunks = make_chunks()
    write_version(
        store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    directory = download_version(store, "handbook", "v1", tmp_path / "cache")
    loaded = load_version(directory)
    assert loaded.paths == [c.path for c in chunks]
    assert loaded.line_starts.tolist() == [c.line_start for c in chunks]
    assert loaded.chunks[-1] == chunks[-1] and loaded.chunks[0:2] == chunks[0:2]
    with pytest.raises(IndexError):
        loaded.chunks[3]
    # a row corrupted after download (checksums were verified at download time) fails on access, clearly
    raw = (directory / "chunks.jsonl").read_bytes().split(b"\n")
    raw[1] = b'{"id": 1}'
    (directory / "chunks.jsonl").write_bytes(b"\n".join(raw))
    damaged = load_version(directory)
    assert damaged.chunks[0] == chunks[0]
    with pytest.raises(IndexFormatError, match="row 1"):
        damaged.chunks[1]
