"""The vector-side probe's candidates: parsing, and what each does to a signal (no index, no model)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from tools.bench.quality_probe import Probe, candidate


def _signals(cosine: list[float]) -> Any:
    return SimpleNamespace(
        scores=[np.zeros(len(cosine), np.float32), np.asarray(cosine, np.float32)], weights=[0.5, 1.0]
    )


def _prepared(vectors: list[list[float]]) -> Any:
    return SimpleNamespace(source="s", index=SimpleNamespace(vectors=np.asarray(vectors, np.float32)))


@pytest.mark.parametrize(
    ("kind", "spec"),
    [("windows", "96"), ("windows", "ax1:0.5"), ("prf", "3"), ("length", "x:y"), ("headings", "")],
)
def test_a_malformed_value_is_refused_by_name(kind: str, spec: str) -> None:
    with pytest.raises(SystemExit, match=f"malformed {kind} value"):
        candidate(kind, spec, Probe())


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown kind 'colbert'"):
        candidate("colbert", "1", Probe())


def test_windows_blend_the_chunk_cosine_with_its_best_window() -> None:
    probe = Probe()
    prepared = _prepared([[1, 0], [0, 1]])
    # Row 0 has two windows; the second points where the query does.
    probe.memo[("s", "windows96x64")] = (np.asarray([[1, 0], [0, 1]], np.float32), np.asarray([0, 0]))
    signals = _signals([1.0, 0.0])
    query = np.asarray([0, 1], np.float32)
    candidate("windows", "96x64:0.5", probe)(prepared, query, None, signals)
    assert signals.scores[1].tolist() == [0.5, 1.0]  # row 0: 0.5 x 0 + 0.5 x 1; row 1 has no window


def test_headings_add_a_signal_weighted_by_the_vectors() -> None:
    probe = Probe()
    probe.memo[("s", "headings")] = (np.asarray([[0, 1]], np.float32), np.asarray([0, 0]))
    signals = _signals([0.2, 0.3])
    candidate("headings", "0.3", probe)(
        _prepared([[1, 0], [0, 1]]), np.asarray([0, 1], np.float32), None, signals
    )
    assert signals.scores[2].tolist() == [1.0, 1.0] and signals.weights[2] == pytest.approx(0.3)


def test_length_scales_down_short_chunks_only() -> None:
    probe = Probe()
    probe.memo[("s", "words")] = np.asarray([15, 60], np.float32)
    signals = _signals([0.8, 0.8])
    candidate("length", "30:0.2", probe)(
        _prepared([[1, 0], [0, 1]]), np.asarray([1, 0], np.float32), None, signals
    )
    assert signals.scores[1].tolist() == pytest.approx([0.8 * 0.9, 0.8])


def test_chunk_sizes_are_parsed_and_bounded() -> None:
    from tools.bench.quality_probe import chunk_settings, main

    settings = chunk_settings("120:24")
    assert (settings.target_tokens, settings.overlap_tokens) == (120, 24)
    for bad, says in (
        ("120", "malformed"),
        ("a:b", "malformed"),
        ("8:0", "TARGET from 16"),
        ("100:100", "below TARGET"),
    ):
        with pytest.raises(SystemExit, match=says):
            chunk_settings(bad)
    with pytest.raises(SystemExit, match="one TARGET:OVERLAP a run"):
        main(["chunks", "120:24", "300:48"])


def test_bm25_constants_are_parsed_and_bounded() -> None:
    from tools.bench.quality_probe import BM25

    assert candidate("bm25", "0.9:0.5", Probe()) == BM25(0.9, 0.5)
    with pytest.raises(SystemExit, match="k1 above 0, b from 0 to 1"):
        candidate("bm25", "1.2:1.5", Probe())
    with pytest.raises(SystemExit, match="malformed bm25 value"):
        candidate("bm25", "x", Probe())
