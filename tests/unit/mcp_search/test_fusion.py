"""Fusion and page-aware ordering without I/O: weighted RRF, score fusion, the per-page cap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thoth.mcp_server.search import fusion
from thoth.mcp_server.search.fusion import RankingConfig


def test_weighted_rrf_scales_each_ranking() -> None:
    fused = fusion.rrf([[1, 2], [2, 3]], k=0, weights=[2.0, 1.0])
    assert fused == {1: pytest.approx(2.0), 2: pytest.approx(1.0 + 1.0), 3: pytest.approx(0.5)}
    assert fusion.rrf([[1], [2]], weights=[0.0, 1.0]) == {2: pytest.approx(1 / 61)}  # weight 0: left out


def test_convex_normalises_each_signal_over_its_candidates() -> None:
    keyword = np.array([0.0, 10.0, 5.0, 0.0], dtype=np.float32)
    cosine = np.array([0.9, 0.1, 0.5, 0.3], dtype=np.float32)
    fused = fusion.convex([(np.array([1, 2]), keyword), (np.array([0, 2, 3]), cosine)], weights=[1.0, 1.0])
    assert fused[1] == pytest.approx(1.0)  # best keyword, not a vector candidate
    assert fused[0] == pytest.approx(1.0)  # best vector, not a keyword candidate
    assert fused[2] == pytest.approx(0.0 + (0.5 - 0.3) / (0.9 - 0.3))  # weakest keyword candidate: 0
    assert fused[3] == pytest.approx(0.0)
    single = fusion.convex([(np.array([3]), cosine)], weights=[0.5])
    assert single == {3: pytest.approx(0.5)}  # one candidate is as good as its signal gets
    assert fusion.convex([(np.zeros(0, dtype=np.int64), cosine)], weights=[1.0]) == {}


def test_scores_are_a_share_of_the_best_possible() -> None:
    assert fusion.best_possible(fusion.PLAIN_RRF, [1.0, 1.0]) == pytest.approx(2 / 61)
    convex = RankingConfig(fusion="convex", coverage_weight=0.0)
    assert fusion.best_possible(convex, [0.7, 0.3, 0.5]) == pytest.approx(1.5)
    # A row first in every signal and holding every query term gets the coverage bonus too.
    assert fusion.best_possible(RankingConfig(coverage_weight=0.75), [1.0, 0.5]) == pytest.approx(2.25)
    rrf = RankingConfig(fusion="rrf", coverage_weight=0.5)
    assert fusion.best_possible(rrf, [1.0, 1.0]) == pytest.approx(2.5 / 61)  # the bonus as ranks


@pytest.mark.parametrize(
    "bad",
    [
        {"keyword_weight": -1.0},
        {"keyword_weight": 0.0, "vector_weight": 0.0, "page_weight": 0.0},
        {"per_page": 0},
        {"window": 0},
        {"candidates": 0},
        {"rrf_k": -1},
        {"coverage_weight": -0.1},
        {"identifier_keyword_weight": -1.0},
    ],
)
def test_config_refuses_impossible_settings(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RankingConfig(**bad)  # type: ignore[arg-type]


def test_page_aware_caps_a_page_in_the_window_and_keeps_everything() -> None:
    ranked = [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("a", 4), ("c", 1), ("d", 1)]
    got = fusion.page_aware(ranked, lambda item: item[0], per_page=2, window=5)
    assert got[:5] == [("a", 1), ("a", 2), ("b", 1), ("c", 1), ("d", 1)]
    assert got[5:] == [("a", 3), ("a", 4)]  # pushed down in their order, not dropped


@settings(max_examples=300, deadline=None)
@given(
    pages=st.lists(st.sampled_from("abcdef"), max_size=40),
    per_page=st.integers(1, 4),
    window=st.integers(1, 10),
)
def test_page_aware_properties(pages: list[str], per_page: int, window: int) -> None:
    ranked = list(enumerate(pages))  # (score order, page)
    got = fusion.page_aware(ranked, lambda item: item[1], per_page, window)
    assert sorted(got) == ranked  # a permutation: nothing lost, nothing repeated
    # The cap holds as far as other pages have items to fill the window with.
    fillable = min(window, sum(min(pages.count(p), per_page) for p in set(pages)))
    head = [page for _, page in got[:fillable]]
    assert all(head.count(p) <= per_page for p in head)
    for page in set(pages):  # within a page, order is kept: its best chunk comes first
        mine = [i for i, p in got if p == page]
        assert mine == sorted(mine)
