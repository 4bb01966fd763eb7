"""Write an index version (format 3) as immutable objects, manifest last, and verify it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from thoth.shared.digest import stream_sha256
from thoth.shared.errors import IndexFormatError, ObjectNotFound
from thoth.shared.index.format import (
    INDEX_FILE,
    TEXTS_FILE,
    Chunk,
    Manifest,
    ModelInfo,
    Section,
    version_prefix,
)
from thoth.shared.index.keyword import FIELDS, KeywordIndex
from thoth.shared.index.sections import SectionWriter
from thoth.shared.index.strings import encode_strings
from thoth.shared.index.texts import encode_texts
from thoth.shared.storage import ObjectStore


def quantize(vectors: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """int8 rows and one float32 scale per row: v ~ q * scale, |error| <= scale / 2 per dimension."""
    values = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(values).max(axis=1) if values.size else np.zeros(values.shape[0], np.float32)
    scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    codes = np.clip(np.rint(values / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales


def _add_strings(out: SectionWriter, name: str, data: npt.NDArray[Any], offsets: npt.NDArray[Any]) -> None:
    """A string table as its bytes and per-entry byte lengths (smaller than offsets once compressed)."""
    out.add(f"{name}_bytes", data)
    lengths = np.diff(offsets.astype(np.int64))
    out.add(
        f"{name}_lengths",
        lengths.astype(np.uint16 if lengths.size == 0 or lengths.max() < 2**16 else np.uint32),
    )


def _check(chunks: Sequence[Chunk], vectors: npt.NDArray[Any], model: ModelInfo) -> None:
    if vectors.ndim != 2 or vectors.shape != (len(chunks), model.dimension):
        raise IndexFormatError(
            f"vectors have shape {vectors.shape}; expected ({len(chunks)}, {model.dimension})"
        )
    if len({chunk.id for chunk in chunks}) != len(chunks):
        raise IndexFormatError("chunk ids are not unique")
    if len(chunks) and not np.all(np.isfinite(vectors)):
        raise IndexFormatError("vectors contain NaN or infinity")


def encode_files(
    chunks: Sequence[Chunk],
    vectors: npt.NDArray[Any],
    model: ModelInfo,
    page_vectors: Mapping[str, npt.NDArray[Any]] | None = None,
) -> tuple[dict[str, bytes], dict[str, Section]]:
    """The data files of a version in memory, and the table of index.bin's sections."""
    _check(chunks, vectors, model)
    pages = sorted({c.path for c in chunks})
    page_of = {path: i for i, path in enumerate(pages)}
    first: dict[str, Chunk] = {}
    for chunk in chunks:
        first.setdefault(chunk.path, chunk)
    out = SectionWriter()
    codes, scales = quantize(vectors)
    out.add("vectors", codes)
    out.add("vector_scales", scales)
    out.add("row_page", np.array([page_of[c.path] for c in chunks], dtype=np.uint32))
    out.add("row_line", np.array([max(0, c.line_start) for c in chunks], dtype=np.uint32))
    columns = {
        "page_path": pages,
        "page_title": [first[p].title for p in pages],
        "page_url": [first[p].url.split("#", 1)[0] for p in pages],
    }
    for name, values in columns.items():
        _add_strings(out, name, *encode_strings(values))
    keywords = KeywordIndex.build((c.head_text, c.text) for c in chunks)
    _add_strings(out, "terms", *keywords.terms.encoded())
    out.add("terms_df", keywords.df)
    for name in FIELDS:
        field = getattr(keywords, name)
        # Per-term posting counts instead of cumulative offsets: small numbers, which zstd shrinks
        # (51 -> 10 bytes a chunk on the benchmark corpus); the reader cumulates them again.
        out.add(f"{name}_counts", np.diff(field.indptr).astype(np.uint32))
        for part in ("deltas", "tfs", "lengths"):
            out.add(f"{name}_{part}", getattr(field, part))
    texts, block_offsets, block_rows = encode_texts(chunks)
    out.add("text_offsets", block_offsets)
    out.add("text_rows", block_rows)
    if page_vectors is not None:
        missing = [p for p in pages if p not in page_vectors]
        if missing or len(page_vectors) != len(pages):
            raise IndexFormatError(
                f"page vectors must cover exactly the {len(pages)} pages; missing {missing[:3]}"
            )
        matrix = (
            np.stack([np.asarray(page_vectors[p], dtype=np.float32) for p in pages])
            if pages
            else (np.zeros((0, model.dimension), np.float32))
        )
        if matrix.shape != (len(pages), model.dimension) or not np.all(np.isfinite(matrix)):
            raise IndexFormatError(f"page vectors must be finite, of shape ({len(pages)}, {model.dimension})")
        page_codes, page_scales = quantize(matrix)
        out.add("page_vectors", page_codes)
        out.add("page_vector_scales", page_scales)
    return {INDEX_FILE: out.getvalue(), TEXTS_FILE: texts}, out.sections


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
    page_vectors: Mapping[str, npt.NDArray[Any]] | None = None,
) -> Manifest:
    """Upload data files, then the manifest; refuses to overwrite an existing version.

    `page_vectors` (optional): one vector per page path (e.g. title + description), stored
    int8 like the chunk vectors and read back as `LoadedIndex.page_vectors`.
    """
    prefix = version_prefix(source, version)
    if store.exists(prefix + "manifest.json"):
        raise IndexFormatError(f"index version {prefix} already exists; versions are immutable")
    files, sections = encode_files(chunks, vectors, model, page_vectors)
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
        sections=sections,
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
