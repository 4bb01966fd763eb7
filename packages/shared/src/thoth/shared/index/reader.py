"""Download a verified index version to a local cache and load it for search."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError, ObjectNotFound
from thoth.shared.index.format import FILES, Chunk, Manifest, version_prefix
from thoth.shared.index.keyword import KeywordIndex
from thoth.shared.storage import ObjectStore


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
            if _sha256(target) != manifest.files[name].get("sha256"):
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


@dataclass
class LoadedIndex:
    """An index version in memory: manifest, chunks, mmap'd vectors, BM25 postings."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: npt.NDArray[np.float32]
    keywords: KeywordIndex
    directory: Path


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
        with open(directory / "chunks.jsonl", encoding="utf-8") as handle:
            chunks = [Chunk.from_dict(_record(line)) for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"index files in {directory} are unreadable: {exc}") from None
    keywords = KeywordIndex.from_file(str(directory / "keywords.npz"))
    n = manifest.chunk_count
    if vectors.shape != (n, manifest.model.dimension) or len(chunks) != n or keywords.size != n:
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} is inconsistent: manifest says {n} chunks, "
            f"found {len(chunks)} chunks, vectors {vectors.shape}, {keywords.size} keyword rows"
        )
    return LoadedIndex(manifest, chunks, vectors, keywords, directory)


def _record(line: str) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("chunk line is not a JSON object")
    return value
