"""The quality evaluation's metrics on hand-made rankings (no index, no model)."""

from __future__ import annotations

import math

import pytest

from tools.bench import quality_metrics as m

Q = m.Question("q1", "natural", "tune", "how long is dns cached", ("dns.md", "fetch.md"), "DNS `TTL`")
RANKED = [("other.md", ["Other"]), ("dns.md", ["DNS", "Prefetch"]), ("dns.md", ["DNS", "dns ttl"])]


def test_first_relevant_and_recall_cutoffs() -> None:
    assert m.first_relevant(RANKED, Q.pages, 10) == 2
    assert m.first_relevant(RANKED, Q.pages, 1) is None
    assert m.first_relevant([], Q.pages, 5) is None


def test_ndcg_counts_a_page_once_against_every_answer_page() -> None:
    # dns.md at rank 2 (and again at 3, no gain); ideal: both answer pages at ranks 1 and 2.
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert m.ndcg(RANKED, Q.pages, 10) == pytest.approx(expected)
    assert m.ndcg([("dns.md", []), ("fetch.md", [])], Q.pages, 10) == pytest.approx(1.0)
    assert m.ndcg(RANKED, (), 10) == 0.0


def test_sections_match_without_markup_case_or_spacing() -> None:
    assert m.section_found(RANKED, "dns.md", "DNS `TTL`", 5)
    assert not m.section_found(RANKED, "dns.md", "DNS `TTL`", 2)
    assert not m.section_found(RANKED, "fetch.md", "DNS TTL", 5)
    shown = [("dns.md", ["DNS", "Prefetch"], ["Configuring *DNS* ttl", "dns ttl"])]
    assert m.section_linked(shown, "dns.md", "dns   TTL")
    assert not m.section_linked(shown, "fetch.md", "dns TTL")


def test_scores_aggregate_per_group() -> None:
    scores = m.Scores()
    scores.add(Q, RANKED, [("dns.md", ["DNS", "Prefetch"], ["DNS TTL"])])
    scores.add(m.Question("q2", "keyword", "held", "x", ("missing.md",)), RANKED)
    row = scores.row()
    assert row["R@1"] == 0 and row["R@5"] == 0.5 and row["MRR@10"] == pytest.approx(0.25)
    assert row["sect@5"] == 1.0 and row["sect+links@5"] == 1.0  # only q1 names a section
    assert row["pages@5"] == 2.0
    assert math.isnan(m.Scores().row()["sect@5"])


def test_percentile_picks_the_nearest_rank() -> None:
    assert m.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert m.percentile([1.0, 2.0], 0.99) == 2.0
    assert math.isnan(m.percentile([], 0.5))
