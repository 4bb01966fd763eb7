"""Hybrid search: BM25 and vector cosine, each cut to its top candidates, fused by reciprocal rank."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from thoth.shared.index import Chunk, LoadedIndex
from thoth.shared.text import tokenize

RRF_K = 60  # the constant from Cormack et al.; damps the head of each ranking
CANDIDATES = 50  # per ranking; a hit outside both top-50s cannot make a top-20


@dataclass(frozen=True)
class Prepared:
    """A loaded version plus the page layout search and browsing need."""

    index: LoadedIndex
    source: str
    version: str
    page_paths: list[str]  # sorted
    page_starts: npt.NDArray[np.int64]  # rows of page i: page_rows[page_starts[i]:page_starts[i + 1]]
    page_rows: npt.NDArray[np.int64]  # every row, grouped by page, in line order
    page_ids: npt.NDArray[np.int64]  # page i's entry in index.pages (titles, URLs)

    def page_title(self, i: int) -> str:
        return str(self.index.pages.titles[int(self.page_ids[i])])

    def page_url(self, i: int) -> str:
        return str(self.index.pages.urls[int(self.page_ids[i])])

    def rows_under(self, prefix: str | None) -> npt.NDArray[np.int64] | None:
        """Rows whose path starts with `prefix` (None: every row, no copy)."""
        if not prefix:
            return None
        lo = bisect.bisect_left(self.page_paths, prefix)
        hi = bisect.bisect_left(self.page_paths, prefix + "\U0010ffff")
        return self.page_rows[self.page_starts[lo] : self.page_starts[hi]]

    def page(self, path: str) -> list[Chunk]:
        """The chunks of one page in line order ([] when the page is not in this version)."""
        i = bisect.bisect_left(self.page_paths, path)
        if i == len(self.page_paths) or self.page_paths[i] != path:
            return []
        rows = self.page_rows[self.page_starts[i] : self.page_starts[i + 1]]
        return self.index.chunks_at(rows.tolist())

    def chunk_count(self, i: int) -> int:
        return int(self.page_starts[i + 1] - self.page_starts[i])


def prepare(index: LoadedIndex) -> Prepared:
    """Group rows by page once per loaded version from the row columns (no chunk is read).

    The page table is sorted by path, so page ids order rows the way paths would.
    """
    n = int(index.row_pages.shape[0])
    order = np.lexsort((np.arange(n), index.line_starts, index.row_pages)).astype(np.int64)
    counts = np.bincount(index.row_pages, minlength=len(index.pages.paths)) if n else np.zeros(0, np.int64)
    present = np.flatnonzero(counts)  # pages with rows (every page, in a version the writer made)
    starts = np.concatenate(([0], np.cumsum(counts[present]))).astype(np.int64)
    return Prepared(
        index=index,
        source=index.manifest.source,
        version=index.manifest.version,
        page_paths=[index.pages.paths[int(p)] for p in present],
        page_starts=starts,
        page_rows=order,
        page_ids=present.astype(np.int64),
    )


def top_k(scores: npt.NDArray[np.float32], k: int, *, positive_only: bool = False) -> npt.NDArray[np.int64]:
    """Indices of the k highest scores, best first (ties: lower index first), via argpartition."""
    candidates = np.flatnonzero(scores > 0) if positive_only else np.arange(scores.shape[0])
    if candidates.size > k > 0:
        part = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[part]
    elif k <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order].astype(np.int64)


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal-rank fusion: sum over rankings of 1 / (k + rank), rank starting at 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[int(item)] = fused.get(int(item), 0.0) + 1.0 / (k + rank)
    return fused


@dataclass(frozen=True)
class Hit:
    """One fused result; `score` is the RRF score scaled so that first in both rankings is 1.0."""

    source: str
    version: str
    chunk: Chunk
    score: float


def search(
    served: Sequence[Prepared],
    query: str,
    query_vector: npt.NDArray[np.float32],
    limit: int,
    path_prefix: str | None = None,
) -> list[Hit]:
    """The `limit` best chunks over every prepared version, fused per version then merged."""
    terms = tokenize(query)
    best = 2.0 / (RRF_K + 1)
    scored: list[tuple[float, str, int, Prepared]] = []
    for prepared in served:
        rows = prepared.rows_under(path_prefix)
        if rows is not None and rows.size == 0:
            continue
        keyword = prepared.index.keywords.scores(terms)
        vectors = prepared.index.vectors if rows is None else prepared.index.vectors[rows]
        if rows is not None:
            keyword = keyword[rows]
        cosine = np.asarray(vectors @ query_vector, dtype=np.float32)
        fused = rrf(
            [top_k(keyword, CANDIDATES, positive_only=True).tolist(), top_k(cosine, CANDIDATES).tolist()]
        )
        for local, score in fused.items():
            row = local if rows is None else int(rows[local])
            scored.append((score, prepared.source, row, prepared))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    top = scored[:limit]
    chunks: dict[tuple[int, int], Chunk] = {}
    for prepared in {id(p): p for _, _, _, p in top}.values():  # one parallel text fetch per version
        wanted = [row for _, _, row, p in top if p is prepared]
        fetched = prepared.index.chunks_at(wanted)
        chunks.update(((id(prepared), r), c) for r, c in zip(wanted, fetched, strict=True))
    return [
        Hit(prepared.source, prepared.version, chunks[(id(prepared), row)], round(min(1.0, score / best), 4))
        for score, _, row, prepared in top
    ]
