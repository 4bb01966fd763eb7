"""A tampered manifest must not make the server allocate what it declares: the section table is
checked (pointer's chunk count, shapes, inflation ratio, memory budget) before index.bin is fetched."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from thoth.mcp_server.search import encoder
from thoth.mcp_server.search.registry import IndexRegistry, IndexUnavailable
from thoth.shared.config import load_settings
from thoth.shared.errors import IndexFormatError
from thoth.shared.index import (
    Chunk,
    LivePointer,
    ModelInfo,
    memory_budget,
    open_version,
    swap_live,
    write_version,
)
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore
from tools.bench.hostile import MIB, write_manifest_bomb

MODEL = ModelInfo("m", 4, "f")


class ReadLog:
    """An object store that records every key it reads (whole, by range or as a download)."""

    def __init__(self, inner: LocalObjectStore) -> None:
        self.inner = inner
        self.read: list[str] = []

    def get(self, key: str) -> bytes:
        self.read.append(key)
        return self.inner.get(key)

    def get_range(self, key: str, start: int, length: int) -> bytes:
        self.read.append(key)
        return self.inner.get_range(key, start, length)

    def download(self, key: str, path: Path) -> None:
        self.read.append(key)
        self.inner.download(key, path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def index_reads(self) -> list[str]:
        return [key for key in self.read if key.endswith("/index.bin")]


@pytest.fixture
def store(tmp_path: Path) -> ReadLog:
    return ReadLog(LocalObjectStore(tmp_path / "objects"))


def _honest(store: ReadLog, n: int = 3) -> None:
    chunks = [
        Chunk(f"c{i}", "s", f"p{i}.md", f"P{i}", [f"P{i}"], f"https://h/p{i}", 1, 2, f"text {i}", f"h{i}")
        for i in range(n)
    ]
    vectors = np.eye(n, 4, dtype=np.float32)
    write_version(store.inner, "s", "v1", chunks, vectors, model=MODEL, commit=None, builder_version="t")


def test_a_bomb_declaring_300k_rows_is_refused_before_index_bin_is_fetched(
    store: ReadLog, tmp_path: Path
) -> None:
    manifest = write_manifest_bomb(store.inner, "s", "v1", rows=300_000)
    assert manifest.files["index.bin"]["bytes"] < 8192  # a few KB that would inflate to ~600 MB
    with pytest.raises(IndexFormatError, match="more than 32x; refusing a tampered"):
        open_version(store, "s", "v1", tmp_path / "cache")
    assert store.index_reads() == []


def test_the_server_checks_the_pointers_chunk_count_before_fetching(
    store: ReadLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = SqliteStateStore(tmp_path / "state.sqlite3")
    # The pointer the refresh published says 3 chunks; the manifest was replaced by one of 100,000.
    write_manifest_bomb(store.inner, "s", "v1", rows=100_000)
    swap_live(state, LivePointer("s", "v1", None, "2026-01-01T00:00:00+00:00", 3, "f"), None)
    monkeypatch.setattr(encoder, "fingerprint", lambda wait=True: "f")
    registry = IndexRegistry(lambda: state, lambda: store, tmp_path / "cache", ttl_s=0)
    with pytest.raises(IndexUnavailable, match="corrupt or incomplete"):
        registry.serving()
    assert store.index_reads() == []


def test_shapes_are_checked_before_anything_is_fetched(store: ReadLog, tmp_path: Path) -> None:
    _honest(store)
    key = "indexes/s/v1/manifest.json"
    manifest = json.loads(store.inner.get(key))
    manifest["sections"]["row_page"].update({"shape": [4], "raw_bytes": 16})  # one row more than chunks
    store.inner.put(key, json.dumps(manifest).encode())
    with pytest.raises(IndexFormatError, match=r"section 'row_page' has shape \(4,\), expected \(3,\)"):
        open_version(store, "s", "v1", tmp_path / "cache")
    assert store.index_reads() == []


def test_a_version_over_the_memory_budget_is_refused_with_the_fix(store: ReadLog, tmp_path: Path) -> None:
    _honest(store)
    with pytest.raises(IndexFormatError, match=r"over this process's budget.*give the function more memory"):
        open_version(store, "s", "v1", tmp_path / "cache", memory_budget=100)
    assert store.index_reads() == []
    index = open_version(store, "s", "v1", tmp_path / "cache", memory_budget=64 * MIB)
    assert index.manifest.chunk_count == 3


def test_a_section_this_reader_does_not_know_is_never_inflated(store: ReadLog, tmp_path: Path) -> None:
    write_manifest_bomb(store.inner, "s", "v1", rows=10, dimension=4, extra={"from_the_future": 48 * MIB})
    tracemalloc.start()
    try:
        index = open_version(store, "s", "v1", tmp_path / "cache")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index.manifest.chunk_count == 10
    assert peak < 8 * MIB, peak


def test_the_budget_follows_the_lambda_functions_memory() -> None:
    settings = load_settings({"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"})
    assert settings.memory_mb == 1024
    assert memory_budget(settings.memory_mb) == 512 * MIB
    assert load_settings({}).memory_mb is None and memory_budget(None) > 0
