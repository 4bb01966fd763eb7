"""Fusing per-signal rankings into one, and page-aware ordering: pure functions over rows and scores."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

RRF_K = 60  # the constant from Cormack et al.; damps the head of each ranking
CANDIDATES = 50  # per ranking; a hit outside every top-50 cannot make a top-20

T = TypeVar("T")


@dataclass(frozen=True)
class RankingConfig:
    """How search fuses its signals; `ranking.DEFAULT` is the measured best (README "Answer quality").

    Weights of 0 turn a signal off. `page_weight` only acts on index versions that carry page vectors.
    """

    # Defaults: the best of the grid on the tune splits of four corpora (API reference, staff
    # handbook, Hugo docs, a Japanese handbook), judged on their held-back splits (README).
    # Score fusion beat RRF at every weight tried: RRF throws away how far ahead the best BM25 hit is.
    fusion: Literal["rrf", "convex"] = "convex"
    keyword_weight: float = 0.5  # BM25 at half the vector's weight: 1.0 lost paraphrases to term matches
    vector_weight: float = 1.0
    head_weight: float = 1.0  # BM25F weight of the head field (body: 1); 1.0 is format 2's single field
    page_weight: float = 0.35  # cosine of the query and the page's title/description vector, fused
    # The vectors' weights scale with the share of the query the model can read (match.readable_share):
    # a Japanese phrase is ranked by its keywords (unique-phrase top-five 0.80 -> 1.00 on the tune split).
    script_aware: bool = True
    # Added to a candidate's fused score: this times the share of the query's IDF mass it holds, so a
    # section holding all the rare words of a question beats one holding one of them many times
    # (under RRF, as a share of one first rank: 1 / (rrf_k + 1)).
    coverage_weight: float = 0.75
    # The keyword weight for a query naming an identifier (match.names_identifier); None: keyword_weight.
    identifier_keyword_weight: float | None = 1.0
    rrf_k: int = RRF_K
    candidates: int = CANDIDATES
    per_page: int = 1  # at most this many chunks of one page (the rest are linked: Hit.also) ...
    window: int = 5  # ... in the first `window` results (when page-aware)
    prf_terms: int = 0  # pseudo-relevance feedback: add this many terms of the first results to BM25
    prf_docs: int = 3  # ... taken from this many fused results
    prf_weight: float = 0.3  # ... each weighing this much of a query term

    def __post_init__(self) -> None:
        weights = (self.keyword_weight, self.vector_weight, self.head_weight, self.page_weight)
        extra = (self.coverage_weight, self.identifier_keyword_weight or 0.0)
        if (
            any(w < 0 for w in (*weights, *extra))
            or self.keyword_weight + self.vector_weight + self.page_weight <= 0
        ):
            raise ValueError("ranking weights must be >= 0 with at least one ranking signal above 0")
        if self.rrf_k < 0 or self.candidates < 1 or self.per_page < 1 or self.window < 1:
            raise ValueError("rrf_k must be >= 0; candidates, per_page and window >= 1")
        if self.prf_terms < 0 or self.prf_docs < 1 or self.prf_weight < 0:
            raise ValueError("prf_terms and prf_weight must be >= 0, prf_docs >= 1")


# The ranking before the quality evaluation: plain RRF of BM25 and chunk cosine, two chunks a page.
PLAIN_RRF = RankingConfig(
    fusion="rrf",
    keyword_weight=1.0,
    page_weight=0.0,
    per_page=2,
    script_aware=False,
    coverage_weight=0.0,
    identifier_keyword_weight=None,
)


def rrf(
    rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[int, float]:
    """Reciprocal-rank fusion: sum over rankings of weight / (k + rank), rank starting at 1."""
    fused: dict[int, float] = {}
    for i, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else float(weights[i])
        if weight == 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            fused[int(item)] = fused.get(int(item), 0.0) + weight / (k + rank)
    return fused


def convex(
    signals: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]], weights: Sequence[float]
) -> dict[int, float]:
    """Score fusion: each signal min-max normalised over its candidates, then a weighted sum.

    A row that is not among a signal's candidates gets 0 from it, like the weakest candidate.
    """
    fused: dict[int, float] = {}
    for (rows, scores), weight in zip(signals, weights, strict=True):
        if weight == 0 or rows.size == 0:
            continue
        values = scores[rows].astype(np.float64)
        low, high = float(values.min()), float(values.max())
        spread = high - low
        # One candidate, or all equal: each is as good as the best this signal has to offer.
        normalised = (values - low) / spread if spread > 0 else np.ones_like(values)
        for row, value in zip(rows.tolist(), normalised.tolist(), strict=True):
            fused[row] = fused.get(row, 0.0) + weight * value
    return fused


def best_possible(config: RankingConfig, weights: Sequence[float]) -> float:
    """The fused score of a row first in every signal (and holding every query term): scores are
    reported as a share of it."""
    total = sum(weights) + config.coverage_weight
    return total / (config.rrf_k + 1) if config.fusion == "rrf" else total


def page_aware(ranked: Sequence[T], page_of: Callable[[T], Hashable], per_page: int, window: int) -> list[T]:
    """`ranked` with at most `per_page` items of one page among the first `window` (as far as other
    pages have items to fill it); order kept otherwise.

    A page's items stay in their order, so its best chunk comes first; items pushed out of the window
    follow it in their original order, so nothing is lost, only moved down.
    """
    head: list[T] = []
    pushed: list[T] = []
    counts: dict[Hashable, int] = {}
    i = 0
    while i < len(ranked) and len(head) < window:
        item = ranked[i]
        page = page_of(item)
        if counts.get(page, 0) < per_page:
            counts[page] = counts.get(page, 0) + 1
            head.append(item)
        else:
            pushed.append(item)
        i += 1
    return head + pushed + list(ranked[i:])
