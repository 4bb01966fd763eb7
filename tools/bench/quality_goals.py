"""The quality issue's goals, checked on the held-back split: one line per goal, a cell per corpus.

`nox -s bench -- quality` prints this block after its tables, so whether the default meets the
goals is read off one command's output instead of worked out from two tables. Pure: it takes the
table rows (tools/bench/quality.py `row`) of the default and of plain RRF, by corpus.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Row = Mapping[str, float]


@dataclass(frozen=True)
class Goal:
    """`value(default row, plain-RRF row)` must reach `target` (at least, or under when `below`)."""

    name: str
    value: Callable[[Row, Row], float]
    target: float
    below: bool = False
    only: str | None = None  # the goal applies to this corpus alone (CJK phrases)
    margin: bool = False  # a difference from plain RRF (shown signed; needs plain RRF's row)

    def met(self, value: float) -> bool:
        return value < self.target if self.below else value >= self.target


GOALS = (
    Goal("MRR@5 minus plain RRF's", lambda d, p: d["MRR@5"] - p["MRR@5"], 0.10, margin=True),
    Goal("natural R@1", lambda d, p: d["nat R@1"], 0.70),
    Goal("natural R@5", lambda d, p: d["nat R@5"], 0.90),
    Goal("keyword R@5", lambda d, p: d["kw R@5"], 0.95),
    Goal("off-topic flagged weak", lambda d, p: d["off flagged"], 0.90),
    Goal("real questions flagged weak", lambda d, p: d["real flagged"], 0.10, below=True),
    Goal("unique-phrase R@5 (Japanese)", lambda d, p: d["kw R@5"], 0.90, only="cjk"),
)


def goal_lines(default: Mapping[str, Row], plain: Mapping[str, Row]) -> list[str]:
    """One line per goal: each corpus's value and whether it meets the goal; then the tally.

    A corpus with no value for a goal (no such questions) shows `-`, and a margin over plain RRF is
    left blank where plain RRF was not run (`--systems`); neither is counted.
    """
    corpora = list(default)
    width = max([len(g.name) for g in GOALS] + [4])
    head = f"{'goal (held-back split)':<{width + 9}}" + "".join(f"{c:>8}    " for c in corpora)
    lines = [head]
    met = missed = 0
    for goal in GOALS:
        sign = "<" if goal.below else ">="
        sign = sign.ljust(2)
        cells = []
        for corpus in corpora:
            if goal.only not in (None, corpus) or (goal.margin and corpus not in plain):
                cells.append(" " * 12)
                continue
            value = goal.value(default[corpus], plain.get(corpus, {}))
            if math.isnan(value):
                cells.append(f"{'-':>8}    ")
                continue
            ok = goal.met(value)
            met, missed = met + ok, missed + (not ok)
            shown = f"{value:+8.2f}" if goal.margin else f"{value:8.2f}"
            cells.append(f"{shown} {'ok' if ok else 'NO'}".ljust(12))
        lines.append(f"{goal.name:<{width}} {sign}{goal.target:<5.2f}   " + "".join(cells))
    lines.append(f"goals met: {met} of {met + missed} (corpus x goal)")
    return lines
