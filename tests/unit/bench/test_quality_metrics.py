"""The quality evaluation's metrics on hand-made answers (no index, no model)."""

from __future__ import annotations

import math

import pytest

from tools.bench import quality_metrics as m

Q = m.Question("q1", "natural", "tune", "how long is dns cached", ("dns.md", "fetch.md"), "DNS `TTL`")
SHOWN: list[m.Linked] = [
    ("other.md", ["Other"], []),
    ("other.md", ["Other", "More"], []),
    ("dns.md", ["DNS", "Prefetch"], ["*DNS* ttl"]),
    ("fetch.md", ["Fetch"], []),
]


def test_pages_are_reduced_in_order_within_the_first_five() -> None:
    paths = ["a", "a", "b", "a", "c", "d", "e"]
    assert m.distinct_pages(paths) == ["a", "b", "c"]  # the first five results hold three pages
    assert m.page_rank(paths, ["c"]) == 3 and m.page_rank(paths, ["d"]) is None
    assert m.page_rank([p for p, _, _ in SHOWN], Q.pages) == 2  # other.md counts once
    assert m.page_rank([], Q.pages) is None


def test_sections_match_shown_or_linked_without_markup_case_or_spacing() -> None:
    assert m.section_shown(SHOWN, "dns.md", "dns   TTL")  # linked under its page's result
    assert m.section_shown(SHOWN, "dns.md", "prefetch")
    assert not m.section_shown(SHOWN, "fetch.md", "DNS TTL")


def test_scores_aggregate_per_group() -> None:
    scores = m.Scores()
    scores.add(Q, SHOWN, weak=False)
    scores.add(m.Question("q2", "keyword", "held", "x", ("other.md",)), SHOWN, weak=True)
    scores.add(m.Question("q3", "keyword", "held", "y", ("missing.md",)), SHOWN)
    row = scores.row()
    assert row["n"] == 3 and row["R@1"] == pytest.approx(1 / 3) and row["R@5"] == pytest.approx(2 / 3)
    assert row["MRR@5"] == pytest.approx((1 / 2 + 1) / 3)
    assert row["sect@5"] == 1.0  # only q1 names a section
    assert row["flagged"] == pytest.approx(1 / 3)
    assert math.isnan(m.Scores().row()["sect@5"])


def test_macro_weighs_each_group_once() -> None:
    rows = [{"n": 100.0, "MRR@5": 0.9}, {"n": 10.0, "MRR@5": 0.5}, {"n": 0.0, "MRR@5": math.nan}]
    assert m.macro(rows, "MRR@5") == pytest.approx(0.7)
    assert math.isnan(m.macro([], "MRR@5"))


def test_percentile_picks_the_nearest_rank() -> None:
    assert m.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert m.percentile([1.0, 2.0], 0.99) == 2.0
    assert math.isnan(m.percentile([], 0.5))
