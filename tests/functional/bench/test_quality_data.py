"""The quality evaluation's pinned corpus and questions: they fit each other, and tampering is refused."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from tools.bench import quality


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(quality, "WORK", tmp_path)
    return tmp_path


def test_corpus_is_the_pinned_docs_and_every_question_fits(work: Path) -> None:
    root = quality.corpus()
    pages = list(root.rglob("*.md*"))
    assert len(pages) >= 500 and not (root / "snippets").exists()
    items = quality.questions()
    quality.check_questions(root, items)  # raises SystemExit naming each question that does not fit
    assert len(items) >= 120 and len({q.id for q in items}) == len(items)
    styles = Counter(q.style for q in items)
    assert styles["natural"] >= 2 * len(items) // 3 - 5 and styles["keyword"] >= len(items) // 4
    held = [q for q in items if q.split == "held"]
    assert len(held) >= len(items) // 3 and {q.style for q in held} == {"natural", "keyword"}
    assert quality.corpus() == root  # extracted once


def test_a_changed_tarball_is_refused(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forged = work / "bun-types-1.4.4.tgz"
    shutil.copy(quality.TARBALL, forged)
    with forged.open("ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(quality, "TARBALL", forged)
    with pytest.raises(SystemExit, match=r"is not bun-types 1\.4\.4 as published"):
        quality.corpus()


def test_a_question_that_no_longer_fits_is_named(work: Path) -> None:
    root = quality.corpus()
    good = quality.questions()[0]
    wrong = quality.Question("q999", "natural", "tune", "x", (good.pages[0],), None, "no such phrase here")
    gone = quality.Question("q998", "keyword", "held", "y", ("missing/page.mdx",))
    with pytest.raises(SystemExit, match=r"q999: .* does not say 'no such phrase here'[\s\S]*q998: no page"):
        quality.check_questions(root, [good, wrong, gone])
