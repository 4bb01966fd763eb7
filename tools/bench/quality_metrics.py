"""Retrieval metrics of the quality evaluation: pure functions over ranked (path, heading path) lists."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Ranked = Sequence[tuple[str, Sequence[str]]]  # (page path, heading path) of each result, best first
Linked = tuple[str, Sequence[str], Sequence[str]]  # (page path, heading path, headings it links to)


@dataclass(frozen=True)
class Question:
    """One evaluation question: answer pages (best first) and, where one is clear, the section."""

    id: str
    style: str  # "natural" (as a person asks) or "keyword"
    split: str  # "tune" (fusion is tuned on it) or "held" (held back, never tuned on)
    query: str
    pages: tuple[str, ...]
    section: str | None = None
    evidence: str = ""  # a phrase the first page holds: proves the answer against the pinned corpus


def norm_heading(text: str) -> str:
    """Headings compared without markup, case or spacing (chunk heading paths keep backticks)."""
    return " ".join(re.sub(r"[`*_]", "", text).split()).casefold()


def first_relevant(ranked: Ranked, pages: Iterable[str], k: int) -> int | None:
    """1-based rank of the first result on an answer page within the top k (None: none)."""
    wanted = set(pages)
    for rank, (path, _) in enumerate(ranked[:k], start=1):
        if path in wanted:
            return rank
    return None


def ndcg(ranked: Ranked, pages: Sequence[str], k: int) -> float:
    """Binary-gain nDCG@k over pages: a page counts once (its first result), ideal = every answer page."""
    wanted, seen = set(pages), set()
    dcg = 0.0
    for rank, (path, _) in enumerate(ranked[:k], start=1):
        if path in wanted and path not in seen:
            seen.add(path)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(wanted), k) + 1))
    return dcg / ideal if ideal else 0.0


def section_found(ranked: Ranked, page: str, section: str, k: int) -> bool:
    """Whether a top-k result is on `page` under the heading `section` (at any depth of its path)."""
    wanted = norm_heading(section)
    return any(path == page and wanted in map(norm_heading, headings) for path, headings in ranked[:k])


def section_linked(shown: Sequence[Linked], page: str, section: str) -> bool:
    """Whether an answer shows `section` as a result, or links to it from a result on `page`."""
    wanted = norm_heading(section)
    return any(
        path == page and (wanted in map(norm_heading, headings) or wanted in map(norm_heading, more))
        for path, headings, more in shown
    )


def distinct_pages(ranked: Ranked, k: int) -> int:
    return len({path for path, _ in ranked[:k]})


@dataclass
class Scores:
    """Metrics of one group of questions (a style, a split) under one ranking variant."""

    n: int = 0
    hits: dict[int, int] = field(default_factory=lambda: {1: 0, 5: 0, 10: 0})
    rr: float = 0.0
    ndcg: float = 0.0
    sections: int = 0
    linked: int = 0
    section_n: int = 0
    pages5: list[int] = field(default_factory=list)

    def add(self, question: Question, ranked: Ranked, shown: Sequence[Linked] = ()) -> None:
        """One question's ranking (10 results) and its default answer (`shown`, with links)."""
        self.n += 1
        rank = first_relevant(ranked, question.pages, 10)
        for k in self.hits:
            self.hits[k] += rank is not None and rank <= k
        self.rr += 1.0 / rank if rank else 0.0
        self.ndcg += ndcg(ranked, question.pages, 10)
        if question.section:
            self.section_n += 1
            self.sections += section_found(ranked, question.pages[0], question.section, 5)
            self.linked += section_linked(shown, question.pages[0], question.section)
        self.pages5.append(distinct_pages(ranked, 5))

    def row(self) -> dict[str, float]:
        n = self.n or 1
        return {
            "R@1": self.hits[1] / n,
            "R@5": self.hits[5] / n,
            "R@10": self.hits[10] / n,
            "MRR@10": self.rr / n,
            "nDCG@10": self.ndcg / n,
            "sect@5": self.sections / self.section_n if self.section_n else float("nan"),
            "sect+links@5": self.linked / self.section_n if self.section_n else float("nan"),
            "pages@5": statistics.fmean(self.pages5) if self.pages5 else float("nan"),
        }


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
