"""The goal block of the quality bench (pure: table rows in, lines out)."""

from __future__ import annotations

import math

from tools.bench.quality_goals import GOALS, goal_lines

NAN = math.nan


def _row(**values: float) -> dict[str, float]:
    base = {
        "MRR@5": 0.9,
        "nat R@1": 0.8,
        "nat R@5": 0.95,
        "kw R@5": 1.0,
        "off flagged": 1.0,
        "real flagged": 0.0,
    }
    return {**base, **values}


def test_every_goal_met_is_counted_and_marked_ok() -> None:
    lines = goal_lines({"bun": _row()}, {"bun": _row(**{"MRR@5": 0.75})})
    assert lines[-1] == "goals met: 6 of 6 (corpus x goal)"  # the Japanese goal is not bun's
    assert all(" NO" not in line for line in lines)
    assert "+0.15 ok" in lines[1]


def test_a_missed_goal_says_no_with_its_value() -> None:
    default = {"docsy": _row(**{"MRR@5": 0.95, "nat R@5": 0.89, "real flagged": 0.10})}
    lines = goal_lines(default, {"docsy": _row(**{"MRR@5": 0.95})})
    text = "\n".join(lines)
    assert "+0.00 NO" in text  # 0.10 over plain RRF not reached
    assert "0.89 NO" in text  # natural R@5 under 0.90
    assert "0.10 NO" in text  # real questions flagged must stay *under* 0.10
    assert lines[-1] == "goals met: 3 of 6 (corpus x goal)"


def test_missing_values_and_a_missing_baseline_are_not_counted() -> None:
    lines = goal_lines({"cjk": _row(**{"nat R@1": NAN})}, {})
    assert lines[-1] == "goals met: 5 of 5 (corpus x goal)"  # no margin without plain RRF, nat R@1 '-'
    assert any(line.startswith("natural R@1") and line.rstrip().endswith("-") for line in lines)
    assert any(line.startswith("unique-phrase") and "1.00 ok" in line for line in lines)


def test_the_goals_are_the_issues() -> None:
    assert {(g.name, g.target, g.below) for g in GOALS} >= {
        ("MRR@5 minus plain RRF's", 0.10, False),
        ("real questions flagged weak", 0.10, True),
    }
