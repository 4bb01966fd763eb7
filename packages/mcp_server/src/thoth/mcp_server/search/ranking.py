"""Hybrid search: BM25 and vector cosine, each cut to its top candidates, fused, then page-aware.

Which signals are fused and how is a `RankingConfig`; `DEFAULT` is the one measured best on
the quality evaluation (`nox -s bench -- quality`, README "Answer quality"), whose table of
variants is the reason for each default below.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

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
from thoth.mcp_server.search.match import match_measure, names_identifier, readable_share
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
    cosine: float = 0.0  # the query's raw cosine with the chunk: an absolute measure, unlike `score`
    match: float = 0.0  # how well the chunk matches the query, 0..1 (match.match_measure): absolute too


@dataclass(frozen=True)
class _Signals:
    """Per-row scores of each signal over the rows searched, their weights for this query, the
    share of the query's IDF mass each row holds, and how far the model can read the query."""

    scores: list[npt.NDArray[np.float32]]
    weights: list[float]
    coverage: npt.NDArray[np.float32]
    readable: float


def _signals(
    prepared: Prepared,
    query: str,
    terms: list[str],
    query_vector: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64] | None,
    config: RankingConfig,
) -> _Signals:
    """Each signal this version carries (over `rows`, or every row), weighted for this query."""
    index = prepared.index
    # BM25F over the head (title, heading path, description) and body fields of format 3.
    keyword, coverage = index.keywords.scores_and_coverage(terms, {"head": config.head_weight, "body": 1.0})
    vectors = prepared.index.vectors if rows is None else prepared.index.vectors[rows]
    if rows is not None:
        keyword, coverage = keyword[rows], coverage[rows]
    readable = readable_share(terms)
    trust = readable if config.script_aware else 1.0  # vectors speak for the part they can read
    keyword_weight = config.keyword_weight
    if config.identifier_keyword_weight is not None and names_identifier(query):
        keyword_weight = config.identifier_keyword_weight
    cosine = np.asarray(vectors @ query_vector, dtype=np.float32)
    signals, weights = [keyword, cosine], [keyword_weight, config.vector_weight * trust]
    if index.page_vectors is not None and config.page_weight > 0:
        # einsum, not BLAS: on a busy 2-core machine a threaded matvec of 1,381 pages cost 2.75 ms on
        # average (spikes to 22 ms at p99) against einsum's 0.14 ms (p99 3.3 ms); p50s 0.01 / 0.04 ms.
        per_page = np.einsum("ij,j->i", index.page_vectors, query_vector).astype(np.float32, copy=False)
        row_pages = index.row_pages if rows is None else index.row_pages[rows]  # page vectors: per page table
        signals.append(per_page[row_pages])
        weights.append(config.page_weight * trust)
    return _Signals(signals, weights, coverage, readable)


def _document_frequency(keywords: KeywordIndex, term: str) -> int:
    """Rows holding `term` in any field (0 when it is not in the vocabulary)."""
    pos = keywords.terms.find(term)
    return int(keywords.df[pos]) if pos >= 0 else 0


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


def _fuse(signals: _Signals, config: RankingConfig) -> dict[int, float]:
    scores, weights = signals.scores, signals.weights
    picks = [top_k(scores[0], config.candidates, positive_only=True)]
    picks += [top_k(s, config.candidates) for s in scores[1:]]
    if config.fusion == "rrf":
        fused = rrf([p.tolist() for p in picks], config.rrf_k, weights)
        bonus = config.coverage_weight / (config.rrf_k + 1)  # as a share of one first rank
    else:
        fused = convex(list(zip(picks, scores, strict=True)), weights)
        bonus = config.coverage_weight
    if bonus > 0 and fused:
        rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
        for row, held in zip(rows.tolist(), signals.coverage[rows].tolist(), strict=True):
            fused[row] += bonus * held
    return fused


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
    measures: dict[tuple[int, int], tuple[float, float]] = {}  # (version, row) -> (coverage, readable)
    for prepared in served:
        rows = prepared.rows_under(path_prefix)
        if rows is not None and rows.size == 0:
            continue
        signals = _signals(prepared, query, terms, query_vector, rows, config)
        fused = _fuse(signals, config)
        if config.prf_terms > 0 and fused:
            first = sorted(fused, key=lambda r: (-fused[r], r))[: config.prf_docs]
            chosen = prepared.index.chunks_at([r if rows is None else int(rows[r]) for r in first])
            texts = [c.keyword_text for c in chosen]
            expanded = feedback_terms(prepared.index.keywords, texts, terms, config.prf_terms)
            if expanded:
                expansion = prepared.index.keywords.scores(expanded)
                signals.scores[0] = signals.scores[0] + np.float32(config.prf_weight) * (
                    expansion if rows is None else expansion[rows]
                )
                fused = _fuse(signals, config)
        best = best_possible(config, signals.weights)
        for local, score in fused.items():
            row = local if rows is None else int(rows[local])
            scored.append((score / best, prepared.source, row, prepared))
            measures[(id(prepared), row)] = (float(signals.coverage[local]), signals.readable)
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    if not pages:
        return _hits(scored[:limit], {}, query_vector, measures)

    def page_of(item: tuple[float, str, int, Prepared]) -> tuple[str, int]:
        return item[1], int(item[3].index.row_pages[item[2]])

    by_score = scored[: config.window]
    scored = page_aware(scored, page_of, config.per_page, config.window)
    shown = scored[:limit]
    kept = {(item[1], item[2]) for item in shown}
    moved = [item for item in by_score if (item[1], item[2]) not in kept]  # gave way to other pages
    linked = {page: [m for m in moved if page_of(m) == page] for page in map(page_of, moved)}
    return _hits(shown, linked, query_vector, measures)


def _hits(
    shown: list[tuple[float, str, int, Prepared]],
    moved: dict[tuple[str, int], list[tuple[float, str, int, Prepared]]],
    query_vector: npt.NDArray[np.float32],
    measures: dict[tuple[int, int], tuple[float, float]],
) -> list[Hit]:
    """Hits for `shown`, each page's first one linking the page's `moved` sections (each URL once)."""
    chunks: dict[tuple[int, int], Chunk] = {}
    every = shown + [m for items in moved.values() for m in items]
    for prepared in {id(p): p for _, _, _, p in every}.values():  # one parallel text fetch per version
        wanted = sorted({row for _, _, row, p in every if p is prepared})
        fetched = prepared.index.chunks_at(wanted)
        chunks.update(((id(prepared), r), c) for r, c in zip(wanted, fetched, strict=True))

    def chunk(item: tuple[float, str, int, Prepared]) -> Chunk:
        return chunks[(id(item[3]), item[2])]

    linked = {chunk(item).url for item in shown}
    hits: list[Hit] = []
    for item in shown:
        also: list[Chunk] = []
        for other in moved.pop((item[1], int(item[3].index.row_pages[item[2]])), []):
            if chunk(other).url not in linked:  # a section already shown, or linked once, is not repeated
                linked.add(chunk(other).url)
                also.append(chunk(other))
        score, source, row, prepared = item
        cosine = round(float(prepared.index.vectors[row] @ query_vector), 4)
        shown_score = round(min(1.0, score), 4)
        match = match_measure(cosine, *measures[(id(prepared), row)])
        hits.append(Hit(source, prepared.version, chunk(item), shown_score, tuple(also), cosine, match))
    return hits
