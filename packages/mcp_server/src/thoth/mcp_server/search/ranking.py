"""Hybrid search: BM25 and vector cosine, each cut to its top candidates, fused, then page-aware.

Which signals are fused and how is a `RankingConfig`; `DEFAULT` is the one measured best on
the quality evaluation (`nox -s bench -- quality`, README "Answer quality"), whose table of
variants is the reason for each default below.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from thoth.mcp_server.search.fusion import (
    CANDIDATES,
    RRF_K,
    RankingConfig,
    best_possible,
    convex,
    page_aware,
    rrf,
)
from thoth.shared.index import Chunk, KeywordIndex, LoadedIndex
from thoth.shared.text import tokenize

__all__ = ["CANDIDATES", "DEFAULT", "RRF_K", "Hit", "Prepared", "RankingConfig", "prepare", "rrf", "search"]

# The ranking search_handbook uses; tools/bench/quality.py swaps it to measure variants.
DEFAULT = RankingConfig()


@dataclass(frozen=True)
class Prepared:
    """A loaded version plus the page layout search and browsing need."""

    index: LoadedIndex
    source: str
    version: str
    page_paths: list[str]  # sorted
    page_starts: npt.NDArray[np.int64]  # rows of page i: page_rows[page_starts[i]:page_starts[i + 1]]
    page_rows: npt.NDArray[np.int64]  # every row, grouped by page, in line order
    row_page: npt.NDArray[np.int64]  # page number (index into page_paths) of every row
    # Optional signals beyond the chunk (None: this version does not carry them, the ranking skips them):
    head_keywords: KeywordIndex | None = field(default=None, compare=False)  # title + headings + description
    page_vectors: npt.NDArray[np.float32] | None = field(default=None, compare=False)  # per page, unit norm

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
        return [self.index.chunks[int(r)] for r in rows]

    def chunk_count(self, i: int) -> int:
        return int(self.page_starts[i + 1] - self.page_starts[i])


def prepare(index: LoadedIndex) -> Prepared:
    """Group rows by page once per loaded version from the row columns (no chunk is parsed)."""
    n = len(index.paths)
    paths = np.asarray(index.paths, dtype=np.str_) if n else np.zeros(0, dtype="<U1")
    order = np.lexsort((np.arange(n), index.line_starts, paths)).astype(np.int64)
    ordered = paths[order]
    boundaries = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1 if n else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], boundaries, [n])).astype(np.int64) if n else np.zeros(1, dtype=np.int64)
    row_page = np.zeros(n, dtype=np.int64)
    row_page[order] = np.repeat(np.arange(starts.shape[0] - 1, dtype=np.int64), np.diff(starts))
    return Prepared(
        index=index,
        source=index.manifest.source,
        version=index.manifest.version,
        page_paths=[str(p) for p in ordered[starts[:-1]]],
        page_starts=starts,
        page_rows=order,
        row_page=row_page,
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


@dataclass(frozen=True)
class Hit:
    """One fused result; `score` is its fused score as a share of a result first in every signal.

    `also`: other sections of the same page that scored into the first results but gave way to
    other pages (page-aware ordering), so a result still links to them.
    """

    source: str
    version: str
    chunk: Chunk
    score: float
    also: tuple[Chunk, ...] = ()


def _signals(
    prepared: Prepared,
    terms: list[str],
    query_vector: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64] | None,
    config: RankingConfig,
) -> tuple[list[npt.NDArray[np.float32]], list[float]]:
    """Per-row scores of each signal this version carries (over `rows`, or every row), and their weights."""
    keyword = prepared.index.keywords.scores(terms)
    if prepared.head_keywords is not None and config.head_weight > 0:
        keyword = keyword + np.float32(config.head_weight) * prepared.head_keywords.scores(terms)
    vectors = prepared.index.vectors if rows is None else prepared.index.vectors[rows]
    if rows is not None:
        keyword = keyword[rows]
    cosine = np.asarray(vectors @ query_vector, dtype=np.float32)
    signals, weights = [keyword, cosine], [config.keyword_weight, config.vector_weight]
    if prepared.page_vectors is not None and config.page_weight > 0:
        # einsum, not BLAS: on a busy 2-core machine a threaded matvec of 1,381 pages cost 2.75 ms on
        # average (spikes to 22 ms at p99) against einsum's 0.14 ms (p99 3.3 ms); p50s 0.01 / 0.04 ms.
        per_page = np.einsum("ij,j->i", prepared.page_vectors, query_vector).astype(np.float32, copy=False)
        row_page = prepared.row_page if rows is None else prepared.row_page[rows]
        signals.append(per_page[row_page])
        weights.append(config.page_weight)
    return signals, weights


def _document_frequency(keywords: KeywordIndex, term: str) -> int:
    """Rows holding `term`, from the postings' offsets (0 when it is not in the vocabulary)."""
    pos = int(np.searchsorted(keywords.terms, term))
    if pos >= keywords.terms.shape[0] or keywords.terms[pos] != term:
        return 0
    return int(keywords.indptr[pos + 1] - keywords.indptr[pos])


def feedback_terms(
    keywords: KeywordIndex, texts: Sequence[str], query_terms: Sequence[str], count: int
) -> list[str]:
    """The `count` terms of `texts` (the first results) that say most about them, by tf * idf.

    Terms of the query itself and terms found in few of the texts' neighbours stay out: a term has to
    appear in at least two of the texts (or the only one) to count as what the results share.
    """
    if count <= 0 or not texts:
        return []
    seen: dict[str, int] = {}
    docs_with: dict[str, int] = {}
    for text in texts:
        tokens = tokenize(text)
        for term in tokens:
            seen[term] = seen.get(term, 0) + 1
        for term in set(tokens):
            docs_with[term] = docs_with.get(term, 0) + 1
    need = min(2, len(texts))
    skip = set(query_terms)
    scored = []
    for term, tf in seen.items():
        if term in skip or docs_with[term] < need or term.isdigit():
            continue
        df = _document_frequency(keywords, term)
        if df == 0:
            continue
        scored.append((tf * float(np.log1p(keywords.size / df)), term))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [term for _, term in scored[:count]]


def _fuse(
    signals: list[npt.NDArray[np.float32]], weights: list[float], config: RankingConfig
) -> dict[int, float]:
    picks = [top_k(signals[0], config.candidates, positive_only=True)]
    picks += [top_k(s, config.candidates) for s in signals[1:]]
    if config.fusion == "rrf":
        return rrf([p.tolist() for p in picks], config.rrf_k, weights)
    return convex(list(zip(picks, signals, strict=True)), weights)


def search(
    served: Sequence[Prepared],
    query: str,
    query_vector: npt.NDArray[np.float32],
    limit: int,
    path_prefix: str | None = None,
    *,
    pages: bool = True,
    config: RankingConfig | None = None,
) -> list[Hit]:
    """The `limit` best chunks over every prepared version, fused per version, merged, then page-aware.

    `pages=False` turns off the per-page cap (`config.per_page` chunks of a page in the first
    `config.window` results), e.g. to see every matching section of one page.
    """
    config = DEFAULT if config is None else config
    terms = tokenize(query)
    scored: list[tuple[float, str, int, Prepared]] = []
    for prepared in served:
        rows = prepared.rows_under(path_prefix)
        if rows is not None and rows.size == 0:
            continue
        signals, weights = _signals(prepared, terms, query_vector, rows, config)
        fused = _fuse(signals, weights, config)
        if config.prf_terms > 0 and fused:
            first = sorted(fused, key=lambda r: (-fused[r], r))[: config.prf_docs]
            texts = [prepared.index.chunks[r if rows is None else int(rows[r])].keyword_text for r in first]
            expanded = feedback_terms(prepared.index.keywords, texts, terms, config.prf_terms)
            if expanded:
                expansion = prepared.index.keywords.scores(expanded)
                signals[0] = signals[0] + np.float32(config.prf_weight) * (
                    expansion if rows is None else expansion[rows]
                )
                fused = _fuse(signals, weights, config)
        best = best_possible(config, weights)
        for local, score in fused.items():
            row = local if rows is None else int(rows[local])
            scored.append((score / best, prepared.source, row, prepared))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    if not pages:
        return [_hit(item) for item in scored[:limit]]

    def page_of(item: tuple[float, str, int, Prepared]) -> tuple[str, str]:
        return item[1], item[3].index.paths[item[2]]

    by_score = scored[: config.window]
    scored = page_aware(scored, page_of, config.per_page, config.window)
    shown = scored[:limit]
    kept = {(item[1], item[2]) for item in shown}
    also: dict[tuple[str, str], list[Chunk]] = {}
    for item in by_score:  # sections the page cap moved out of the results, in score order
        if (item[1], item[2]) not in kept:
            also.setdefault(page_of(item), []).append(item[3].index.chunks[item[2]])
    linked = {item[3].index.chunks[item[2]].url for item in shown if page_of(item) in also}
    hits: list[Hit] = []
    for item in shown:
        extra: list[Chunk] = []
        for chunk in also.pop(page_of(item), []):
            if chunk.url not in linked:  # a section already shown, or linked once, is not repeated
                linked.add(chunk.url)
                extra.append(chunk)
        hits.append(_hit(item, tuple(extra)))
    return hits


def _hit(item: tuple[float, str, int, Prepared], also: tuple[Chunk, ...] = ()) -> Hit:
    score, _, row, prepared = item
    return Hit(prepared.source, prepared.version, prepared.index.chunks[row], round(min(1.0, score), 4), also)
