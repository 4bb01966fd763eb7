"""Download a verified index version to a local cache and load it for search."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from thoth.shared.digest import file_sha256
from thoth.shared.errors import IndexFormatError, ObjectNotFound
from thoth.shared.index.format import FILES, Chunk, Manifest, version_prefix
from thoth.shared.index.keyword import KeywordIndex
from thoth.shared.storage import ObjectStore


def download_version(store: ObjectStore, source: str, version: str, cache_dir: Path) -> Path:
    """`cache_dir/<source>/<version>/`, downloaded and verified once; never a partial directory."""
    final = Path(cache_dir) / source / version
    if (final / "manifest.json").is_file():
        return final
    prefix = version_prefix(source, version)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=final.parent))
    try:
        try:
            manifest_bytes = store.get(prefix + "manifest.json")
        except ObjectNotFound:
            raise IndexFormatError(f"index version {prefix} has no manifest; it is incomplete") from None
        manifest = Manifest.from_bytes(manifest_bytes)
        for name in FILES:
            target = staging / name
            try:
                store.download(prefix + name, target)
            except ObjectNotFound:
                raise IndexFormatError(f"index version {prefix} is missing {name}") from None
            if file_sha256(target) != manifest.files[name].get("sha256"):
                raise IndexFormatError(f"{prefix}{name} fails its checksum; refusing to serve it")
        (staging / "manifest.json").write_bytes(manifest_bytes)
        try:
            os.rename(staging, final)
        except OSError:
            if not (final / "manifest.json").is_file():  # another process won the race: fine
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


class ChunkRows(Sequence[Chunk]):
    """Chunks parsed on first access from the raw chunks.jsonl bytes.

    Parsing all 50,000 lines of a large index up front cost about 1 s of a cold start;
    search needs only the few rows it returns (measured in tools/bench/mcp.py).
    """

    def __init__(self, data: bytes, where: str = "chunks.jsonl") -> None:
        self._data = data
        self._where = where
        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
        ends = newlines if data.endswith(b"\n") or not data else np.append(newlines, len(data))
        starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if ends.size else ends
        keep = ends > starts
        self._starts, self._ends = starts[keep], ends[keep]
        self._parsed: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return int(self._starts.shape[0])

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        chunk = self._parsed.get(row)
        if chunk is None:
            line = self._data[int(self._starts[row]) : int(self._ends[row])]
            try:
                chunk = Chunk.from_dict(_record(line.decode("utf-8")))
            except (UnicodeDecodeError, ValueError, IndexFormatError) as exc:
                raise IndexFormatError(f"chunk row {row} of {self._where} is malformed: {exc}") from None
            self._parsed[row] = chunk
        return chunk


@dataclass
class LoadedIndex:
    """An index version in memory: manifest, chunks, mmap'd vectors, BM25 postings, row columns."""

    manifest: Manifest
    chunks: Sequence[Chunk]
    vectors: npt.NDArray[np.float32]
    keywords: KeywordIndex
    directory: Path
    paths: list[str]
    line_starts: npt.NDArray[np.int64]


def load_version(directory: Path, expected_fingerprint: str | None = None) -> LoadedIndex:
    """Load a downloaded version; IndexFormatError if it is inconsistent or built by another model."""
    directory = Path(directory)
    try:
        manifest = Manifest.from_bytes((directory / "manifest.json").read_bytes())
    except FileNotFoundError:
        raise IndexFormatError(f"{directory} holds no manifest.json") from None
    if expected_fingerprint is not None and manifest.model.fingerprint != expected_fingerprint:
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} was built with model fingerprint "
            f"{manifest.model.fingerprint}, but this server's query encoder is {expected_fingerprint}; "
            "rebuild the index (refresh --full) or deploy the matching encoder"
        )
    try:
        vectors: npt.NDArray[np.float32] = np.load(
            directory / "vectors.npy", mmap_mode="r", allow_pickle=False
        )
        chunks = ChunkRows((directory / "chunks.jsonl").read_bytes(), str(directory / "chunks.jsonl"))
        columns = json.loads((directory / "columns.json").read_bytes())
        paths, line_starts = columns["path"], np.asarray(columns["line_start"], dtype=np.int64)
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("columns.json paths are not strings")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(f"index files in {directory} are unreadable: {exc}") from None
    keywords = KeywordIndex.from_file(str(directory / "keywords.npz"))
    n = manifest.chunk_count
    sizes = (len(chunks), keywords.size, len(paths), int(line_starts.shape[0]))
    if vectors.shape != (n, manifest.model.dimension) or any(size != n for size in sizes):
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} is inconsistent: manifest says {n} chunks, "
            f"found {len(chunks)} chunks, vectors {vectors.shape}, {keywords.size} keyword rows, "
            f"{len(paths)} column rows"
        )
    return LoadedIndex(manifest, chunks, vectors, keywords, directory, paths, line_starts)


def _record(line: str) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("chunk line is not a JSON object")
    return value
