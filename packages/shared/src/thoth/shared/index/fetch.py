"""The cold-start fetch path: what a fresh MCP server process reads before its first answer.

`open_version`: the manifest, then index.bin by parallel range GETs straight into one buffer
(no file written first, no second copy), checked section by section (zstd content checksums,
shapes, offsets) and cached in `cache_dir` for the next process, off the request's path; chunk
texts come later, a block at a time, by range, for the hits a search returns. From a remote store
the whole texts.bin follows in the background once the first search has its blocks: checked against
the manifest, written to the cache, then read locally (a warm search that misses the block LRU would
otherwise pay an S3 round trip, tens of ms, for each new block).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import mmap
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from thoth.shared.digest import stream_sha256
from thoth.shared.errors import IndexFormatError, ObjectNotFound, OversizedObject, ThothError, TruncatedObject
from thoth.shared.index.expect import MANIFEST, Expected, read_manifest
from thoth.shared.index.format import INDEX_FILE, TEXTS_FILE, Manifest, version_prefix
from thoth.shared.index.loaded import Fetched, LoadedIndex, parse_index
from thoth.shared.index.texts import ChunkStore, ReadRange
from thoth.shared.storage import LocalObjectStore, ObjectStore

log = logging.getLogger(__name__)
PARALLEL = 8  # ranges in flight; botocore's pool holds 10 connections
PART_BYTES = 1024 * 1024  # smaller ranges cost more in request overhead than they win in parallelism


def local_reader(path: Path) -> ReadRange:
    def read(start: int, length: int) -> bytes:
        with open(path, "rb") as handle:
            data = os.pread(handle.fileno(), length, start)
        if len(data) != length:
            raise IndexFormatError(f"{path} is truncated: {length} bytes at {start} asked, {len(data)} read")
        return data

    return read


def _store_reader(store: ObjectStore, key: str, fetched: Fetched) -> ReadRange:
    def read(start: int, length: int) -> bytes:
        started = time.perf_counter()
        try:
            data = store.get_range(key, start, length)
        except ObjectNotFound:
            raise IndexFormatError(f"index file {key} is missing; the version is incomplete") from None
        except TruncatedObject as exc:
            raise IndexFormatError(f"index file {key} is shorter than its block table: {exc}") from None
        fetched.add("texts", len(data), time.perf_counter() - started)
        return data

    return read


def write_atomic(path: Path, data: bytes | bytearray | memoryview | mmap.mmap) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def download_checked(store: ObjectStore, prefix: str, name: str, meta: dict[str, Any], path: Path) -> None:
    """`prefix + name` streamed to `path` (through a temporary file beside it, renamed once its size and
    sha256 match the manifest's entry `meta`): no copy is held in memory, and the copy stops as soon as
    the object runs past the size the manifest lists (an oversized object cannot fill the disk)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        try:
            with os.fdopen(fd, "wb") as handle, store.open(prefix + name) as body:
                sha256, size = stream_sha256(body, sink=handle, limit=meta["bytes"])
        except ObjectNotFound:
            raise IndexFormatError(f"index version {prefix} is missing {name}") from None
        except OversizedObject:
            raise IndexFormatError(
                f"{prefix}{name} is larger than the {meta['bytes']} bytes its manifest lists; refusing it"
            ) from None
        if size != meta["bytes"] or sha256 != meta["sha256"]:
            raise IndexFormatError(f"{prefix}{name} fails its checksum; refusing to serve it")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


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
    expected_chunks: int | None = None,
    memory_budget: int | None = None,
) -> LoadedIndex:
    """The cold-start load: index.bin from `cache_dir` when there, else fetched in parallel and cached.

    `verify_texts`: also fetch the whole texts.bin and check its sha256 first (a hot swap, where
    the previous version keeps serving meanwhile, can afford it; a cold start reads texts by range).
    Before a byte of data is fetched, the manifest must name `expected_chunks` chunks (the live
    pointer's count) and its section table must pass `table.check_table` within `memory_budget`.
    """
    prefix = version_prefix(source, version)
    local = Path(cache_dir) / source / version
    started = time.perf_counter()
    expect = Expected(expected_fingerprint, expected_chunks, memory_budget, verify_texts)
    try:
        loaded = _open(store, prefix, source, version, local, expect)
    except BaseException:
        # A version that fails leaves nothing behind: the next attempt starts from the store.
        shutil.rmtree(local, ignore_errors=True)
        raise
    loaded.fetched.load_s = time.perf_counter() - started
    return loaded


def _open(
    store: ObjectStore, prefix: str, source: str, version: str, local: Path, expect: Expected
) -> LoadedIndex:
    fetched = Fetched()
    verify_texts = expect.with_texts
    cached_manifest = local / MANIFEST
    if cached_manifest.is_file() and (local / INDEX_FILE).is_file():
        manifest = Manifest.from_bytes(cached_manifest.read_bytes())
        expect.check(manifest, source, version)
        if (local / INDEX_FILE).stat().st_size != manifest.files[INDEX_FILE]["bytes"]:
            raise IndexFormatError(f"the cached {INDEX_FILE} of {source}/{version} has the wrong size")
        buffer: bytes | bytearray | mmap.mmap = _mapped(local / INDEX_FILE)
        manifest_bytes = None
    else:
        manifest, manifest_bytes = read_manifest(store, source, version)
        fetched.add("index", len(manifest_bytes))
        expect.check(manifest, source, version)  # before a byte of data is fetched
        size = manifest.files[INDEX_FILE]["bytes"]
        buffer = fetch_parallel(store, prefix + INDEX_FILE, size)
        fetched.add("index", size)
    texts = local / TEXTS_FILE
    read: ReadRange
    if texts.is_file() and texts.stat().st_size == manifest.files[TEXTS_FILE]["bytes"]:
        read = local_reader(texts)
    elif verify_texts:
        read = _verified_texts(store, prefix, manifest, texts, fetched)
    else:
        read = _store_reader(store, prefix + TEXTS_FILE, fetched)
    remote = not isinstance(store, LocalObjectStore) and not texts.is_file()
    try:
        loaded = parse_index(manifest, buffer, read, local, parallel_texts=remote)
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
    if remote and not verify_texts:
        follow = threading.Thread(
            target=_texts_later,
            args=(store, prefix, manifest, texts, loaded.chunks, loaded.caching),
            name="thoth-texts-fetch",
            daemon=True,
        )
        follow.start()
        loaded.texts_fetch = follow
    return loaded


TEXTS_DELAY_S = 10.0  # at most this long for the first search to read its blocks before texts.bin comes


def _texts_later(
    store: ObjectStore, prefix: str, manifest: Manifest, path: Path, chunks: ChunkStore,
    after: threading.Thread | None,
) -> None:  # fmt: skip
    """Fetch, check and cache texts.bin, then serve blocks from it; on any failure stay on range reads."""
    chunks.first_read.wait(TEXTS_DELAY_S)  # the first answer's own block reads go first
    if after is not None:
        after.join()  # one download or write at a time: index.bin's cache write first
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        download_checked(store, prefix, TEXTS_FILE, manifest.files[TEXTS_FILE], path)
    except (ThothError, OSError) as exc:
        log.warning("texts of %s stay read by range from the store (%s)", prefix, exc)
        return
    chunks.read_from(local_reader(path))
    log.info("texts of %s cached locally", prefix)


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
        write_atomic(path, data)
    except OSError as exc:
        log.warning("cannot cache %s (%s); serving it from memory", path, exc)
    else:
        return local_reader(path)
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
        write_atomic(local / INDEX_FILE, index)
        write_atomic(local / MANIFEST, manifest_bytes)
    except OSError as exc:  # a full /tmp costs the next cold start a download, not this request
        log.warning("cannot cache index %s (%s); the next cold start downloads it again", local, exc)
