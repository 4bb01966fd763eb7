"""Retrieval metrics of the quality evaluation: pure functions over the results a client is shown.

The primary figures are over distinct pages: the first five results reduced to their pages, in
order (a page counts once, at its first result). R@1 and R@5 are the share of questions with an
answer page first / among them, MRR@5 the mean reciprocal rank of the first answer page there.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Linked = tuple[str, Sequence[str], Sequence[str]]  # (page path, heading path, headings it links to)
TOP = 5  # results an assistant is shown by default


@dataclass(frozen=True)
class Question:
    """One evaluation question: answer pages (best first) and, where one is clear, the section."""

    id: str
    style: str  # "natural" (as a person asks), "keyword", or "phrase" (a phrase copied from a page)
    split: str  # "tune" (ranking may be tuned on it) or "held" (held back, never tuned on)
    query: str
    pages: tuple[str, ...]
    section: str | None = None
    evidence: str = ""  # a phrase the first page holds: proves the answer against the pinned corpus


@dataclass(frozen=True)
class OffTopic:
    """A query no corpus answers: search_handbook should say that nothing matches well."""

    id: str
    kind: str  # "nonsense" or "absent" (a plausible topic the corpora do not cover)
    split: str
    query: str


def norm_heading(text: str) -> str:
    """Headings compared without markup, case or spacing (chunk heading paths keep backticks)."""
    return " ".join(re.sub(r"[`*_]", "", text).split()).casefold()


def distinct_pages(paths: Iterable[str], k: int = TOP) -> list[str]:
    """The pages of the first `k` results, each once, in the order they first appear."""
    seen: list[str] = []
    for path in list(paths)[:k]:
        if path not in seen:
            seen.append(path)
    return seen


def page_rank(paths: Iterable[str], answers: Iterable[str], k: int = TOP) -> int | None:
    """1-based rank of the first answer page among the distinct pages of the first `k` results."""
    wanted = set(answers)
    return next((i for i, p in enumerate(distinct_pages(paths, k), start=1) if p in wanted), None)


def section_shown(shown: Sequence[Linked], page: str, section: str) -> bool:
    """Whether an answer shows `section` of `page` as a result, or links to it from one."""
    wanted = norm_heading(section)
    return any(
        path == page and (wanted in map(norm_heading, headings) or wanted in map(norm_heading, more))
        for path, headings, more in shown
    )


@dataclass
class Scores:
    """Metrics of one group of questions (a corpus, a split, a style) under one ranking."""

    n: int = 0
    first: int = 0
    in_five: int = 0
    rr: float = 0.0
    sections: int = 0
    section_n: int = 0
    flagged: int = 0

    def add(self, question: Question, shown: Sequence[Linked], weak: bool = False) -> None:
        """One question's default answer (its first five results, with the sections they link)."""
        self.n += 1
        rank = page_rank((path for path, _, _ in shown), question.pages)
        self.first += rank == 1
        self.in_five += rank is not None
        self.rr += 1.0 / rank if rank else 0.0
        if question.section:
            self.section_n += 1
            self.sections += section_shown(shown[:TOP], question.pages[0], question.section)
        self.flagged += weak

    def row(self) -> dict[str, float]:
        n = self.n or 1
        return {
            "n": float(self.n),
            "R@1": self.first / n,
            "R@5": self.in_five / n,
            "MRR@5": self.rr / n,
            "sect@5": self.sections / self.section_n if self.section_n else math.nan,
            "flagged": self.flagged / n,
        }


def macro(rows: Sequence[dict[str, float]], key: str) -> float:
    """The unweighted mean of `key` over groups that have it (each corpus counts the same)."""
    values = [r[key] for r in rows if r.get("n") and not math.isnan(r[key])]
    return statistics.fmean(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else math.nan
