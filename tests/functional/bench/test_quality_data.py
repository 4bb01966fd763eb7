"""The quality evaluation's corpora and questions: they fit each other, splits were fixed before
tuning, and tampering or a missing corpus is reported clearly."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tools.bench import quality_corpora as qc
from tools.bench.quality_metrics import Question

BY_NAME = {c.name: c for c in qc.CORPORA}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(qc, "WORK", tmp_path)
    return tmp_path


def test_bun_corpus_is_the_pinned_docs_and_every_question_fits(work: Path) -> None:
    root = qc.bun_docs(None)
    pages = list(root.rglob("*.md*"))
    assert len(pages) >= 500 and not (root / "snippets").exists()
    items = BY_NAME["bun"].load()
    qc.check_questions(root, items)  # raises SystemExit naming each question that does not fit
    assert len(items) >= 120 and len({q.id for q in items}) == len(items)
    styles = Counter(q.style for q in items)
    assert styles["natural"] >= 2 * len(items) // 3 - 5 and styles["keyword"] >= len(items) // 4
    held = [q for q in items if q.split == "held"]
    assert len(held) >= len(items) // 3 and {q.style for q in held} == {"natural", "keyword"}
    assert qc.bun_docs(None) == root  # extracted once


def test_a_changed_tarball_is_refused(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forged = work / "bun-types-1.4.4.tgz"
    shutil.copy(qc.TARBALL, forged)
    with forged.open("ab") as handle:
        handle.write(b"\0")
    monkeypatch.setattr(qc, "TARBALL", forged)
    with pytest.raises(SystemExit, match=r"is not bun-types 1\.4\.4 as published"):
        qc.bun_docs(None)


def test_a_question_that_no_longer_fits_is_named(work: Path) -> None:
    root = qc.bun_docs(None)
    good = BY_NAME["bun"].load()[0]
    wrong = Question("q999", "natural", "tune", "x", (good.pages[0],), None, "no such phrase here")
    gone = Question("q998", "keyword", "held", "y", ("missing/page.mdx",))
    with pytest.raises(SystemExit, match=r"q999: .* does not say 'no such phrase here'[\s\S]*q998: no page"):
        qc.check_questions(root, [good, wrong, gone])


def held_by_rule(qid: str) -> bool:
    return hashlib.sha256(qid.encode()).digest()[0] % 5 in (0, 3)


@pytest.mark.parametrize("name", ["18f", "docsy", "cjk"])
def test_splits_follow_the_fixed_rule_and_both_hold_every_style(name: str) -> None:
    items = BY_NAME[name].load()
    assert len({q.id for q in items}) == len(items) >= 50
    assert all((q.split == "held") == held_by_rule(q.id) for q in items)  # recorded before tuning
    for split in ("tune", "held"):
        styles = {q.style for q in items if q.split == split}
        assert styles == ({"natural", "phrase"} if name == "cjk" else {"natural", "keyword"})


def test_the_japanese_handbook_ships_and_each_phrase_is_on_one_page_only() -> None:
    root = qc.DATA / "cjk-handbook"
    items = BY_NAME["cjk"].load()
    qc.check_questions(root, items)
    texts = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*.md")}
    phrases = [q for q in items if q.style == "phrase"]
    assert len(texts) >= 30 and len(phrases) >= 30
    for q in phrases:
        assert len(q.query) == 6 and [p for p, t in texts.items() if q.query in t] == list(q.pages)


def test_off_topic_queries_are_split_and_absent_from_the_shipped_corpora(work: Path) -> None:
    offs = qc.offtopic()
    assert len(offs) == 20 and {o.kind for o in offs} == {"nonsense", "absent"}
    assert all((o.split == "held") == held_by_rule(o.id) for o in offs)
    shipped = [p.read_text(encoding="utf-8").casefold() for p in (qc.DATA / "cjk-handbook").rglob("*.md")]
    shipped += [p.read_text(encoding="utf-8").casefold() for p in qc.bun_docs(None).rglob("*.md*")]
    for word in ("xyzzy", "sourdough", "orchid", "snorkeling", "jupiter", "ほげほげ"):
        assert not any(word in text for text in shipped)


@pytest.mark.parametrize("name", ["18f", "docsy"])
def test_cloned_corpora_fit_their_questions_when_present(name: str) -> None:
    corpus = BY_NAME[name]
    root = corpus.locate(qc.corpora_dir(None))
    if root is None:
        pytest.skip(f"{corpus.title} is not cloned here ({corpus.missing})")
    qc.check_questions(root, corpus.load())


def test_a_missing_corpora_folder_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not exist; clone the corpora there"):
        qc.corpora_dir(str(tmp_path / "nowhere"))
    assert BY_NAME["18f"].locate(tmp_path) is None and BY_NAME["18f"].locate(None) is None
    (tmp_path / "docsy" / "docsy.dev").mkdir(parents=True)
    assert BY_NAME["docsy"].locate(tmp_path) == tmp_path / "docsy" / "docsy.dev"
    assert json.loads(qc.OFFTOPIC.read_text(encoding="utf-8").splitlines()[0])["id"] == "off-01"
