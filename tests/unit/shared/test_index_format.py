"""Index versions: write, verify, download, load; corrupt or foreign versions are refused."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thoth.shared.errors import IndexFormatError
from thoth.shared.index import (
    Chunk,
    KeywordIndex,
    Manifest,
    ModelInfo,
    download_version,
    load_version,
    open_version,
    verify_version,
    write_version,
)
from thoth.shared.index.format import check_name
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
    store.put("indexes/handbook/v1/texts.bin", b"tampered\n")
    with pytest.raises(IndexFormatError, match="checksum"):
        verify_version(store, "handbook", "v1")
    with pytest.raises(IndexFormatError, match="checksum"):
        download_version(store, "handbook", "v1", tmp_path / "cache")
    assert not (tmp_path / "cache" / "handbook" / "v1" / "manifest.json").exists()


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


def test_coverage_is_the_share_of_the_query_idf_mass_a_chunk_holds() -> None:
    index = KeywordIndex.build([("Leave", "parental leave policy"), "leave forms", "terraform state"])
    scores, coverage = index.scores_and_coverage("parental leave")
    assert scores == pytest.approx(index.scores("parental leave"))  # the same BM25, one pass
    n = 3
    idf = {t: math.log1p((n - df + 0.5) / (df + 0.5)) for t, df in (("parental", 1), ("leave", 2))}
    assert coverage[0] == pytest.approx(1.0)  # both terms (one of them in the head field)
    assert coverage[1] == pytest.approx(idf["leave"] / (idf["parental"] + idf["leave"]))
    assert coverage[2] == 0
    # A word no chunk holds still counts in the query's mass: nonsense is covered by nothing.
    _, unseen = index.scores_and_coverage("parental leave xyzzy")
    assert 0 < unseen[0] < 0.7 and not index.scores_and_coverage("xyzzy plugh")[1].any()


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


def test_chunks_are_read_by_block_and_corrupt_blocks_are_refused(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    chunks = make_chunks()
    write_version(
        store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    loaded = open_version(store, "handbook", "v1", tmp_path / "cache")
    assert loaded.paths == [c.path for c in chunks]
    assert loaded.line_starts.tolist() == [c.line_start for c in chunks]
    assert loaded.chunks[-1] == chunks[-1] and loaded.chunks[0:2] == chunks[0:2]
    assert loaded.chunks_at([2, 0]) == [chunks[2], chunks[0]]
    with pytest.raises(IndexError):
        loaded.chunks[3]
    # texts are read by range after the load: a block corrupted meanwhile fails its zstd checksum
    raw = bytearray(store.get("indexes/handbook/v1/texts.bin"))
    raw[len(raw) // 2] ^= 0xFF
    store.put("indexes/handbook/v1/texts.bin", bytes(raw))
    fresh = open_version(store, "handbook", "v1", tmp_path / "cache2")
    with pytest.raises(IndexFormatError, match="corrupt"):
        fresh.chunks[0]
    with pytest.raises(IndexFormatError, match="checksum"):
        open_version(store, "handbook", "v1", tmp_path / "cache3", verify_texts=True)


def _flip_section(store: LocalObjectStore, name: str) -> None:
    manifest = Manifest.from_bytes(store.get("indexes/handbook/v1/manifest.json"))
    section = manifest.sections[name]
    raw = bytearray(store.get("indexes/handbook/v1/index.bin"))
    raw[section.offset + section.bytes // 2] ^= 0x55
    store.put("indexes/handbook/v1/index.bin", bytes(raw))


@pytest.mark.parametrize("section", ["vectors", "body_deltas", "terms_bytes", "text_offsets", "row_page"])
def test_every_corrupt_section_is_refused(store: LocalObjectStore, tmp_path: Path, section: str) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    _flip_section(store, section)
    with pytest.raises(IndexFormatError):
        open_version(store, "handbook", "v1", tmp_path / "cache")
    assert not (tmp_path / "cache" / "handbook" / "v1").exists()  # nothing half-cached


def _manifest_json(store: LocalObjectStore) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(store.get("indexes/handbook/v1/manifest.json"))
    return result


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m["files"].update({"index.bin": "sha256:abc"}), "byte count"),
        (lambda m: m["files"]["texts.bin"].update({"sha256": 5}), "sha256"),
        (lambda m: m["files"].pop("texts.bin"), "lists no texts.bin"),
        (lambda m: m["files"].update({"../x": {}}), "unknown file"),
        (lambda m: m.update({"chunk_count": -1}), "not a count"),
        (lambda m: m.update({"chunk_count": True}), "not a count"),
        (lambda m: m.update({"source": "handbook\n"}), "invalid"),
        (lambda m: m["sections"]["vectors"].update({"dtype": "object"}), "dtype"),
        (lambda m: m["sections"]["vectors"].update({"shape": [3, 4, 1, 1]}), "shape"),
        (lambda m: m["sections"]["vectors"].update({"offset": 10**12}), "past the end"),
        (lambda m: m["sections"]["vectors"].update({"raw_bytes": 5}), "do not hold"),
        (lambda m: m["sections"].pop("body_deltas"), "no section"),
        (lambda m: m.update({"model": "m"}), "malformed"),
        (lambda m: m.update({"format_version": 2}), "rebuild the index"),
    ],
)
def test_malformed_manifest_shapes_are_refused(
    store: LocalObjectStore, tmp_path: Path, mutate: Any, message: str
) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    manifest = _manifest_json(store)
    mutate(manifest)
    store.put("indexes/handbook/v1/manifest.json", json.dumps(manifest).encode())
    with pytest.raises(IndexFormatError, match=message):
        open_version(store, "handbook", "v1", tmp_path / "cache")


def test_manifest_must_describe_the_pointer(store: LocalObjectStore, tmp_path: Path) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    for name in ("index.bin", "texts.bin", "manifest.json"):
        store.put(f"indexes/handbook/v2/{name}", store.get(f"indexes/handbook/v1/{name}"))
    with pytest.raises(IndexFormatError, match="describes handbook/v1"):
        open_version(store, "handbook", "v2", tmp_path / "cache")


def test_format_2_versions_are_refused_with_the_fix(store: LocalObjectStore, tmp_path: Path) -> None:
    old = {"format_version": 2, "source": "handbook", "version": "v1", "files": {"chunks.jsonl": {}}}
    store.put("indexes/handbook/v1/manifest.json", json.dumps(old).encode())
    with pytest.raises(IndexFormatError, match=r"index format 2 is not 3.*refresh.*--full"):
        open_version(store, "handbook", "v1", tmp_path / "cache")


def test_truncated_index_is_refused(store: LocalObjectStore, tmp_path: Path) -> None:
    write_version(
        store, "handbook", "v1", make_chunks(), unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    store.put("indexes/handbook/v1/index.bin", store.get("indexes/handbook/v1/index.bin")[:-10])
    with pytest.raises(IndexFormatError, match="shorter"):
        open_version(store, "handbook", "v1", tmp_path / "cache")


def test_cached_index_serves_a_second_process_without_the_store(
    store: LocalObjectStore, tmp_path: Path
) -> None:
    chunks = make_chunks()
    write_version(
        store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    first = open_version(store, "handbook", "v1", tmp_path / "cache")
    first.wait_cached()
    assert first.fetched.index > 0
    store.delete("indexes/handbook/v1/index.bin")  # the cache must not need it any more
    second = open_version(store, "handbook", "v1", tmp_path / "cache")
    assert second.fetched.index == 0 and second.chunks[1] == chunks[1]
    assert second.fetched.texts > 0  # texts still come by range from the store


@pytest.mark.parametrize("name", ["handbook\n", "handbook\r", "v1\n"])
def test_names_with_a_trailing_newline_are_refused(name: str) -> None:
    with pytest.raises(IndexFormatError):
        check_name("source", name)


def test_bm25f_field_weights() -> None:
    docs = [
        ("Lambda layers", "how the function is packaged"),
        ("Expenses", "lambda layer cost in the budget"),
    ]
    index = KeywordIndex.build(docs)
    default = index.scores("lambda")
    combined = KeywordIndex.build([f"{head} {body}" for head, body in docs])
    # weights 1/1 equal BM25 over head + body as one text (format 2's scoring)
    np.testing.assert_allclose(default, combined.scores("lambda"), rtol=1e-5)
    assert index.scores("lambda", field_weights={"head": 3.0})[0] > index.scores("lambda")[0]
    assert index.scores("lambda", field_weights={"head": 0.0})[0] == 0
    assert not index.scores("lambda", field_weights={"head": 0.0, "body": 0.0}).any()
    for bad in ({"title": 1.0}, {"head": -1.0}, {"body": float("nan")}):
        with pytest.raises(ValueError, match="field weights"):
            index.scores("lambda", field_weights=bad)


def test_page_vectors_roundtrip(store: LocalObjectStore, tmp_path: Path) -> None:
    chunks = make_chunks()
    pages = {c.path: v for c, v in zip(chunks, unit_vectors(3), strict=True)}
    write_version(
        store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t",
        page_vectors=pages,
    )  # fmt: skip
    loaded = open_version(store, "handbook", "v1", tmp_path / "cache")
    assert loaded.page_vectors is not None and loaded.page_vectors.shape == (3, 4)
    for path, vector in pages.items():
        np.testing.assert_allclose(loaded.page_vectors[loaded.pages.paths.index(path)], vector, atol=0.01)
    with pytest.raises(IndexFormatError, match="page vectors"):
        write_version(
            store, "handbook", "v2", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t",
            page_vectors={"page0.md": pages["page0.md"]},
        )  # fmt: skip
    plain = write_version(
        store, "handbook", "v3", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    assert "page_vectors" not in plain.sections


def test_republishing_read_back_vectors_does_not_drift(store: LocalObjectStore, tmp_path: Path) -> None:
    """The refresh side seeds unchanged chunks with the live version's (dequantized) vectors."""
    chunks = make_chunks()
    write_version(
        store, "handbook", "v1", chunks, unit_vectors(3), model=MODEL, commit=None, builder_version="t"
    )
    first = load_version(download_version(store, "handbook", "v1", tmp_path / "a"))
    write_version(
        store,
        "handbook",
        "v2",
        chunks,
        np.array(first.vectors),
        model=MODEL,
        commit=None,
        builder_version="t",
    )
    second = load_version(download_version(store, "handbook", "v2", tmp_path / "b"))
    np.testing.assert_array_equal(np.asarray(second.vectors), np.asarray(first.vectors))
