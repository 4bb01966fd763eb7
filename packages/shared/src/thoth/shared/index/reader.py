"""Read an index version: whole into a directory (refresh, tests), or for a cold start (the MCP server).

`open_version` is the cold-start path: the manifest, then index.bin by parallel range GETs
straight into one buffer (no file written first, no second copy), checked section by section
(zstd content checksums, shapes, offsets), cached in `cache_dir` for the next process; chunk
texts come later, a block at a time, by range, for the hits a search returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import mmap
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from thoth.shared.digest import file_sha256
from thoth.shared.errors import IndexFormatError, ObjectNotFound, TruncatedObject
from thoth.shared.index.format import FILES, INDEX_FILE, TEXTS_FILE, Chunk, Manifest, version_prefix
from thoth.shared.index.keyword import FIELDS, FieldPostings, KeywordIndex
from thoth.shared.index.sections import decode
from thoth.shared.index.strings import StringTable, encode_strings
from thoth.shared.index.texts import ChunkStore, ReadRange, check_blocks, rows_of
from thoth.shared.storage import ObjectStore

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
PARALLEL = 8  # ranges in flight; botocore's pool holds 10 connections
PART_BYTES = 1024 * 1024  # smaller ranges cost more in request overhead than they win in parallelism


@dataclass
class Fetched:
    """Bytes read from the object store for one version (what a cold start pays)."""

    index: int = 0
    texts: int = 0
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, count: int) -> None:
        with self._lock:
            setattr(self, kind, getattr(self, kind) + count)
            self.requests += 1


@dataclass(frozen=True)
class Pages:
    """The page table, sorted by path: what browsing needs without reading a chunk."""

    paths: list[str]
    titles: StringTable
    urls: StringTable


@dataclass
class LoadedIndex:
    """An index version in memory: manifest, vectors, BM25F postings, row columns, lazily read chunks.

    vectors: float32 [n, d], dequantized from int8 (|error| <= half a quantization step);
    page_vectors: float32 [pages, d] aligned with `pages.paths`, or None when the version has none.
    """

    manifest: Manifest
    chunks: Sequence[Chunk]
    vectors: npt.NDArray[np.float32]
    keywords: KeywordIndex
    directory: Path | None
    pages: Pages
    row_pages: npt.NDArray[np.int64]
    line_starts: npt.NDArray[np.int64]
    page_vectors: npt.NDArray[np.float32] | None = None
    fetched: Fetched = field(default_factory=Fetched)
    caching: threading.Thread | None = None  # writes index.bin to the cache, off the request's path

    def wait_cached(self, timeout: float | None = None) -> None:
        """Wait until the background cache write (if any) is done."""
        if self.caching is not None:
            self.caching.join(timeout)

    @property
    def paths(self) -> list[str]:
        """Each row's page path."""
        return [self.pages.paths[int(i)] for i in self.row_pages]

    @classmethod
    def from_chunks(
        cls, manifest: Manifest, chunks: Sequence[Chunk], vectors: npt.NDArray[np.float32]
    ) -> LoadedIndex:
        """An index built in memory, without I/O or quantization (tests, tools)."""
        paths = sorted({c.path for c in chunks})
        page_of = {p: i for i, p in enumerate(paths)}
        first: dict[str, Chunk] = {}
        for chunk in chunks:
            first.setdefault(chunk.path, chunk)
        titles = StringTable(*encode_strings([first[p].title for p in paths]), "page_title")
        urls = StringTable(*encode_strings([first[p].url.split("#", 1)[0] for p in paths]), "page_url")
        return cls(
            manifest=manifest,
            chunks=list(chunks),
            vectors=np.asarray(vectors, dtype=np.float32),
            keywords=KeywordIndex.build((c.head_text, c.text) for c in chunks),
            directory=None,
            pages=Pages(paths, titles, urls),
            row_pages=np.array([page_of[c.path] for c in chunks], dtype=np.int64),
            line_starts=np.array([c.line_start for c in chunks], dtype=np.int64),
        )

    def chunks_at(self, rows: Sequence[int]) -> list[Chunk]:
        """The chunks of `rows`, their text blocks fetched together (in parallel) when not yet read."""
        return rows_of(self.chunks, rows)


def _dequantize(codes: npt.NDArray[Any], scales: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    out = np.empty(codes.shape, dtype=np.float32)
    np.multiply(codes, scales[:, None], out=out, casting="unsafe")
    return out


def parse_index(
    manifest: Manifest, buffer: bytes | bytearray | memoryview | mmap.mmap, read_texts: ReadRange,
    directory: Path | None,
) -> LoadedIndex:  # fmt: skip
    """A LoadedIndex from index.bin's bytes; every section checked against the manifest first."""
    sections, n, d = manifest.sections, manifest.chunk_count, manifest.model.dimension
    # Decompress every section at once: zstd releases the GIL, and the postings alone took
    # 150 ms single-threaded at 50,000 chunks. Shapes are checked below, before any is used.
    with ThreadPoolExecutor(max_workers=4) as pool:
        decoded = dict(
            zip(sections, pool.map(lambda name: decode(buffer, sections, name), sections), strict=True)
        )

    def get(name: str, *shape: int | None) -> npt.NDArray[Any]:
        if name not in decoded:
            raise IndexFormatError(f"index.bin has no section {name!r}; the version is incomplete")
        array = decoded[name]
        if len(shape) != array.ndim or any(
            w is not None and w != g for w, g in zip(shape, array.shape, strict=True)
        ):
            raise IndexFormatError(f"section {name!r} has shape {array.shape}, expected {shape}")
        return array

    def offsets(name: str, count: int | None) -> npt.NDArray[np.uint32]:
        lengths = get(name, count)
        if lengths.dtype.kind != "u":
            raise IndexFormatError(f"section {name!r} must hold unsigned counts")
        out = np.zeros(lengths.shape[0] + 1, dtype=np.uint64)
        np.cumsum(lengths, dtype=np.uint64, out=out[1:])
        if out[-1] >= 2**32:
            raise IndexFormatError(f"section {name!r} adds up past 4 GiB")
        return out.astype(np.uint32)

    def strings(name: str, count: int | None) -> StringTable:
        return StringTable(get(f"{name}_bytes", None), offsets(f"{name}_lengths", count), name)

    page_paths = strings("page_path", None)
    p = len(page_paths)
    paths = page_paths.all()
    if any(a >= b for a, b in itertools.pairwise(paths)):
        raise IndexFormatError("the page table is not sorted by path")
    pages = Pages(paths, strings("page_title", p), strings("page_url", p))
    row_pages = get("row_page", n).astype(np.int64)
    if n and int(row_pages.max()) >= p:
        raise IndexFormatError("a row names a page past the page table")
    terms = strings("terms", None)
    fields = {
        name: FieldPostings(
            indptr=offsets(f"{name}_counts", len(terms)),
            deltas=get(f"{name}_deltas", None),
            tfs=get(f"{name}_tfs", None),
            lengths=get(f"{name}_lengths", n),
        )
        for name in FIELDS
    }
    for name, postings in fields.items():
        postings.check(len(terms), n, name)
    keywords = KeywordIndex(
        terms=terms, df=get("terms_df", len(terms)), head=fields["head"], body=fields["body"]
    )
    block_offsets, block_rows = get("text_offsets", None), get("text_rows", None)
    check_blocks(block_offsets, block_rows, manifest.files[TEXTS_FILE]["bytes"], n)
    where = f"{manifest.source}/{manifest.version}/{TEXTS_FILE}"
    page_vectors = None
    if "page_vectors" in sections:
        page_vectors = _dequantize(get("page_vectors", p, d), get("page_vector_scales", p))
    return LoadedIndex(
        manifest=manifest,
        chunks=ChunkStore(block_offsets, block_rows, read_texts, where),
        vectors=_dequantize(get("vectors", n, d), get("vector_scales", n)),
        keywords=keywords,
        directory=directory,
        pages=pages,
        row_pages=row_pages,
        line_starts=get("row_line", n).astype(np.int64),
        page_vectors=page_vectors,
    )


def _check_model(manifest: Manifest, expected_fingerprint: str | None) -> None:
    if expected_fingerprint is not None and manifest.model.fingerprint != expected_fingerprint:
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} was built with model fingerprint "
            f"{manifest.model.fingerprint}, but this server's query encoder is {expected_fingerprint}; "
            "rebuild the index (refresh --full) or deploy the matching encoder"
        )


def _check_names(manifest: Manifest, source: str, version: str) -> None:
    if manifest.source != source or manifest.version != version:
        raise IndexFormatError(
            f"the manifest of {source}/{version} describes {manifest.source}/{manifest.version}; "
            "refusing a version published under another name"
        )


def _local_reader(path: Path) -> ReadRange:
    def read(start: int, length: int) -> bytes:
        with open(path, "rb") as handle:
            data = os.pread(handle.fileno(), length, start)
        if len(data) != length:
            raise IndexFormatError(f"{path} is truncated: {length} bytes at {start} asked, {len(data)} read")
        return data

    return read


def _store_reader(store: ObjectStore, key: str, fetched: Fetched) -> ReadRange:
    def read(start: int, length: int) -> bytes:
        try:
            data = store.get_range(key, start, length)
        except ObjectNotFound:
            raise IndexFormatError(f"index file {key} is missing; the version is incomplete") from None
        except TruncatedObject as exc:
            raise IndexFormatError(f"index file {key} is shorter than its block table: {exc}") from None
        fetched.add("texts", len(data))
        return data

    return read


def _write_atomic(path: Path, data: bytes | bytearray | memoryview | mmap.mmap) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def fetch_parallel(store: ObjectStore, key: str, size: int) -> bytearray:
    """The object `key` of `size` bytes, read as up to PARALLEL ranges at once into one buffer."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    parts = max(1, min(PARALLEL, size // PART_BYTES))
    bounds = [size * i // parts for i in range(parts + 1)]

    def part(i: int) -> None:
        start, end = bounds[i], bounds[i + 1]
        if end > start:
            view[start:end] = store.get_range(key, start, end - start)

    try:
        if parts == 1:
            part(0)
        else:
            with ThreadPoolExecutor(max_workers=parts) as pool:
                list(pool.map(part, range(parts)))
    except ObjectNotFound:
        raise IndexFormatError(f"index file {key} is missing; the version is incomplete") from None
    except TruncatedObject as exc:
        raise IndexFormatError(f"index file {key} is shorter than its manifest says: {exc}") from None
    return buffer


def _mapped(path: Path) -> mmap.mmap:
    with open(path, "rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def open_version(
    store: ObjectStore,
    source: str,
    version: str,
    cache_dir: Path,
    expected_fingerprint: str | None = None,
    *,
    verify_texts: bool = False,
) -> LoadedIndex:
    """The cold-start load: index.bin from `cache_dir` when there, else fetched in parallel and cached.

    `verify_texts`: also fetch the whole texts.bin and check its sha256 first (a hot swap, where
    the previous version keeps serving meanwhile, can afford it; a cold start reads texts by range).
    """
    prefix = version_prefix(source, version)
    local = Path(cache_dir) / source / version
    try:
        return _open(store, prefix, source, version, local, expected_fingerprint, verify_texts)
    except BaseException:
        # A version that fails leaves nothing behind: the next attempt starts from the store.
        shutil.rmtree(local, ignore_errors=True)
        raise


def _open(
    store: ObjectStore, prefix: str, source: str, version: str, local: Path,
    expected_fingerprint: str | None, verify_texts: bool,
) -> LoadedIndex:  # fmt: skip
    fetched = Fetched()
    cached_manifest = local / MANIFEST
    if cached_manifest.is_file() and (local / INDEX_FILE).is_file():
        manifest = Manifest.from_bytes(cached_manifest.read_bytes())
        _check_names(manifest, source, version)
        _check_model(manifest, expected_fingerprint)
        if (local / INDEX_FILE).stat().st_size != manifest.files[INDEX_FILE]["bytes"]:
            raise IndexFormatError(f"the cached {INDEX_FILE} of {source}/{version} has the wrong size")
        buffer: bytes | bytearray | mmap.mmap = _mapped(local / INDEX_FILE)
        manifest_bytes = None
    else:
        try:
            manifest_bytes = store.get(prefix + MANIFEST)
        except ObjectNotFound:
            raise IndexFormatError(f"index version {prefix} has no manifest; it is incomplete") from None
        fetched.add("index", len(manifest_bytes))
        manifest = Manifest.from_bytes(manifest_bytes)
        _check_names(manifest, source, version)
        _check_model(manifest, expected_fingerprint)  # before a byte of data is fetched
        size = manifest.files[INDEX_FILE]["bytes"]
        buffer = fetch_parallel(store, prefix + INDEX_FILE, size)
        fetched.add("index", size)
    texts = local / TEXTS_FILE
    read: ReadRange
    if texts.is_file() and texts.stat().st_size == manifest.files[TEXTS_FILE]["bytes"]:
        read = _local_reader(texts)
    elif verify_texts:
        read = _verified_texts(store, prefix, manifest, texts, fetched)
    else:
        read = _store_reader(store, prefix + TEXTS_FILE, fetched)
    try:
        loaded = parse_index(manifest, buffer, read, local)
        if manifest_bytes is not None:
            # Off the critical path (130 ms for 27 MB on a busy disk): this request needs no file.
            with contextlib.suppress(OSError):
                local.mkdir(parents=True, exist_ok=True)
            caching = threading.Thread(target=_cache, args=(local, buffer, manifest_bytes), daemon=True)
            caching.start()
            loaded.caching = caching
    finally:
        if isinstance(buffer, mmap.mmap):
            buffer.close()
    loaded.fetched = fetched
    return loaded


def _verified_texts(
    store: ObjectStore, prefix: str, manifest: Manifest, path: Path, fetched: Fetched
) -> ReadRange:
    size = manifest.files[TEXTS_FILE]["bytes"]
    data = fetch_parallel(store, prefix + TEXTS_FILE, size) if size else bytearray()
    fetched.add("texts", size)
    if hashlib.sha256(data).hexdigest() != manifest.files[TEXTS_FILE]["sha256"]:
        raise IndexFormatError(f"{prefix}{TEXTS_FILE} fails its checksum; refusing to serve it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, data)
    except OSError as exc:
        log.warning("cannot cache %s (%s); serving it from memory", path, exc)
    else:
        return _local_reader(path)
    frozen = bytes(data)

    def read(start: int, length: int) -> bytes:
        if start + length > len(frozen):
            raise IndexFormatError(f"{prefix}{TEXTS_FILE} is shorter than its block table")
        return frozen[start : start + length]

    return read


def _cache(local: Path, index: bytes | bytearray | mmap.mmap, manifest_bytes: bytes) -> None:
    """Keep a verified index.bin for the next process (manifest last marks it complete)."""
    try:
        local.mkdir(parents=True, exist_ok=True)
        _write_atomic(local / INDEX_FILE, index)
        _write_atomic(local / MANIFEST, manifest_bytes)
    except OSError as exc:  # a full /tmp costs the next cold start a download, not this request
        log.warning("cannot cache index %s (%s); the next cold start downloads it again", local, exc)


def download_version(store: ObjectStore, source: str, version: str, cache_dir: Path) -> Path:
    """`cache_dir/<source>/<version>/` with every file, each sha256-verified; manifest last."""
    final = Path(cache_dir) / source / version
    if all((final / name).is_file() for name in (*FILES, MANIFEST)):
        return final
    prefix = version_prefix(source, version)
    try:
        manifest_bytes = store.get(prefix + MANIFEST)
    except ObjectNotFound:
        raise IndexFormatError(f"index version {prefix} has no manifest; it is incomplete") from None
    manifest = Manifest.from_bytes(manifest_bytes)
    _check_names(manifest, source, version)
    final.mkdir(parents=True, exist_ok=True)
    (final / MANIFEST).unlink(missing_ok=True)
    for name in FILES:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final)
        os.close(fd)
        try:
            try:
                store.download(prefix + name, Path(tmp))
            except ObjectNotFound:
                raise IndexFormatError(f"index version {prefix} is missing {name}") from None
            if file_sha256(tmp) != manifest.files[name]["sha256"]:
                raise IndexFormatError(f"{prefix}{name} fails its checksum; refusing to serve it")
            os.replace(tmp, final / name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    _write_atomic(final / MANIFEST, manifest_bytes)
    return final


def load_version(directory: Path, expected_fingerprint: str | None = None) -> LoadedIndex:
    """Load a downloaded version; IndexFormatError if it is inconsistent or built by another model."""
    directory = Path(directory)
    try:
        manifest = Manifest.from_bytes((directory / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise IndexFormatError(f"{directory} holds no {MANIFEST}") from None
    _check_model(manifest, expected_fingerprint)
    for name in FILES:
        path = directory / name
        if not path.is_file() or path.stat().st_size != manifest.files[name]["bytes"]:
            raise IndexFormatError(f"{directory} has no complete {name}; download the version again")
    return parse_index(
        manifest, (directory / INDEX_FILE).read_bytes(), _local_reader(directory / TEXTS_FILE), directory
    )
