"""An index version in memory, and how index.bin's sections become one (every shape checked first)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError
from thoth.shared.index.format import TEXTS_FILE, Chunk, Manifest
from thoth.shared.index.keyword import FIELDS, FieldPostings, KeywordIndex
from thoth.shared.index.sections import decode
from thoth.shared.index.strings import StringTable, encode_strings
from thoth.shared.index.texts import ChunkStore, ReadRange, check_blocks, rows_of
from thoth.shared.live import MODEL_MISMATCH_FIX

if TYPE_CHECKING:
    import mmap
    from pathlib import Path


@dataclass
class Fetched:
    """What reading one version cost: bytes from the object store, requests, seconds.

    `load_s`: open_version's wall time (manifest, index.bin, checks, decoding);
    `texts_s`: time spent in text range reads, summed over reads (parallel ones overlap).
    """

    index: int = 0
    texts: int = 0
    requests: int = 0
    load_s: float = 0.0
    texts_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, count: int, seconds: float = 0.0) -> None:
        with self._lock:
            setattr(self, kind, getattr(self, kind) + count)
            self.requests += 1
            if kind == "texts":
                self.texts_s += seconds


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
    texts_fetch: threading.Thread | None = None  # texts.bin from a remote store, after the first search

    def wait_cached(self, timeout: float | None = None) -> None:
        """Wait until the background cache write (if any) is done."""
        if self.caching is not None:
            self.caching.join(timeout)

    def wait_texts(self, timeout: float | None = None) -> None:
        """Wait until texts.bin is local (or its background fetch gave up); at once for a local store."""
        if self.texts_fetch is not None:
            self.texts_fetch.join(timeout)

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


VECTOR_SECTIONS = frozenset({"vectors", "vector_scales", "page_vectors", "page_vector_scales"})


def _dequantize(codes: npt.NDArray[Any], scales: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    out = np.empty(codes.shape, dtype=np.float32)
    np.multiply(codes, scales[:, None], out=out, casting="unsafe")
    return out


def parse_index(
    manifest: Manifest, buffer: bytes | bytearray | memoryview | mmap.mmap, read_texts: ReadRange,
    directory: Path | None, *, parallel_texts: bool = False,
) -> LoadedIndex:  # fmt: skip
    """A LoadedIndex from index.bin's bytes; every section checked against the manifest first."""
    sections, n, d = manifest.sections, manifest.chunk_count, manifest.model.dimension
    # Decompress every section at once: zstd releases the GIL, and the postings alone took
    # 150 ms single-threaded at 50,000 chunks. Shapes are checked below, before any is used.
    page_count = sections["page_path_lengths"].shape[0] if "page_path_lengths" in sections else 0

    def matrix(name: str, rows: int) -> npt.NDArray[np.float32]:
        # int8 -> float32 inside the worker, so the int8 copy is gone before the next section lands
        return _dequantize(
            decode(buffer, sections, name, (rows, d)),
            decode(buffer, sections, f"{name[:-1]}_scales", (rows,)),
        )

    jobs = {name: name for name in sections if name not in VECTOR_SECTIONS}
    with ThreadPoolExecutor(max_workers=4) as pool:
        vectors = pool.submit(matrix, "vectors", n)
        page_matrix = pool.submit(matrix, "page_vectors", page_count) if "page_vectors" in sections else None
        decoded = dict(zip(jobs, pool.map(lambda name: decode(buffer, sections, name), jobs), strict=True))

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
    page_vectors = page_matrix.result() if page_matrix is not None else None
    return LoadedIndex(
        manifest=manifest,
        chunks=ChunkStore(block_offsets, block_rows, read_texts, where, parallel=parallel_texts),
        vectors=vectors.result(),
        keywords=keywords,
        directory=directory,
        pages=pages,
        row_pages=row_pages,
        line_starts=get("row_line", n).astype(np.int64),
        page_vectors=page_vectors,
    )


def check_model(manifest: Manifest, expected_fingerprint: str | None) -> None:
    if expected_fingerprint is not None and manifest.model.fingerprint != expected_fingerprint:
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} was built with model fingerprint "
            f"{manifest.model.fingerprint} ({manifest.model.id}), but this server's query encoder is "
            f"{expected_fingerprint}; {MODEL_MISMATCH_FIX}"
        )


def check_names(manifest: Manifest, source: str, version: str) -> None:
    if manifest.source != source or manifest.version != version:
        raise IndexFormatError(
            f"the manifest of {source}/{version} describes {manifest.source}/{manifest.version}; "
            "refusing a version published under another name"
        )
