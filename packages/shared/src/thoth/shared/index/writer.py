"""Write an index version as immutable objects (manifest last) and verify it."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from thoth.shared.digest import stream_sha256
from thoth.shared.errors import IndexFormatError, ObjectNotFound
from thoth.shared.index.format import Chunk, Manifest, ModelInfo, version_prefix
from thoth.shared.index.keyword import KeywordIndex
from thoth.shared.storage import ObjectStore


def _vectors_bytes(vectors: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def encode_files(chunks: Sequence[Chunk], vectors: npt.NDArray[Any], model: ModelInfo) -> dict[str, bytes]:
    """The data files of a version, in memory, after consistency checks."""
    if vectors.ndim != 2 or vectors.shape != (len(chunks), model.dimension):
        raise IndexFormatError(
            f"vectors have shape {vectors.shape}; expected ({len(chunks)}, {model.dimension})"
        )
    if len({chunk.id for chunk in chunks}) != len(chunks):
        raise IndexFormatError("chunk ids are not unique")
    if len(chunks) and not np.all(np.isfinite(vectors)):
        raise IndexFormatError("vectors contain NaN or infinity")
    return {
        "chunks.jsonl": "".join(chunk.to_json() + "\n" for chunk in chunks).encode(),
        "vectors.npy": _vectors_bytes(vectors),
        "keywords.npz": KeywordIndex.build(chunk.keyword_text for chunk in chunks).to_bytes(),
        "columns.json": json.dumps(
            {"path": [c.path for c in chunks], "line_start": [c.line_start for c in chunks]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode(),
    }


def write_version(
    store: ObjectStore,
    source: str,
    version: str,
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[Any],
    *,
    model: ModelInfo,
    commit: str | None,
    builder_version: str,
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Upload data files, then the manifest; refuses to overwrite an existing version."""
    prefix = version_prefix(source, version)
    if store.exists(prefix + "manifest.json"):
        raise IndexFormatError(f"index version {prefix} already exists; versions are immutable")
    files = encode_files(chunks, vectors, model)
    listing = {}
    for name, data in files.items():
        store.put(prefix + name, data)
        listing[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = Manifest(
        source=source,
        version=version,
        model=model,
        chunk_count=len(chunks),
        commit=commit,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        builder_version=builder_version,
        files=listing,
        extra=dict(extra or {}),
    )
    store.put(prefix + "manifest.json", manifest.to_bytes())
    return manifest


def verify_version(store: ObjectStore, source: str, version: str) -> Manifest:
    """Re-read every object of a version and check sizes and checksums against its manifest."""
    prefix = version_prefix(source, version)
    try:
        manifest = Manifest.from_bytes(store.get(prefix + "manifest.json"))
    except ObjectNotFound:
        raise IndexFormatError(f"index version {prefix} has no manifest; it is incomplete") from None
    if manifest.source != source or manifest.version != version:
        raise IndexFormatError(f"manifest at {prefix} describes {manifest.source}/{manifest.version}")
    for name, meta in manifest.files.items():
        try:
            with store.open(prefix + name) as handle:
                sha256, size = stream_sha256(handle)
        except ObjectNotFound:
            raise IndexFormatError(f"index version {prefix} is missing {name}") from None
        if sha256 != meta.get("sha256") or size != meta.get("bytes"):
            raise IndexFormatError(f"{prefix}{name} fails its checksum; the version is corrupt")
    return manifest
