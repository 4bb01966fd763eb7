"""The corpora of the answer-quality evaluation: where each one is, how it is indexed, its questions.

Two ship with the repository (bun-types' docs as the npm tarball, a Japanese handbook written for
Thoth); two are read from a folder of clones that is not committed (the 18F handbook and the Docsy
docs, README "Answer quality"): `--corpora=DIR`, else THOTH_BENCH_CORPORA, else `../shared/corpora`
beside the checkout when it exists. A corpus that is not there is skipped with a message that says
where to clone it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.bench.quality_metrics import OffTopic, Question
from tools.paths import BUILD, ROOT

DATA = ROOT / "tests" / "data" / "quality"
WORK = BUILD / "bench-quality"
TARBALL = DATA / "bun-types-1.4.4.tgz"
# As published on the npm registry (`npm view bun-types@1.4.4 dist.integrity`).
INTEGRITY = "sha512-yjrJh5oGX7mMPKGd19YXyIjmEuj4G4zNC30bs7PM9Az7NQ3ndF3j6hbeRdvJTRQEhJ/FYQwW0a2moweEi2hMxQ=="
BUN_DOCS = "package/docs/"
BUN_SKIPPED = ("package/docs/snippets/",)  # fragments other pages include, not pages of their own
OFFTOPIC = DATA / "offtopic.jsonl"
CORPORA_ENV = "THOTH_BENCH_CORPORA"
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"


@dataclass(frozen=True)
class Corpus:
    """One evaluation corpus: its short name, the source it is indexed as, how to find it."""

    name: str  # as the tables show it
    source: str  # the index source name (search_handbook's `source`)
    title: str
    questions: Path
    include: tuple[str, ...]
    locate: Callable[[Path | None], Path | None]  # corpora folder -> the root to index (None: absent)
    missing: str = ""  # how to get it, printed when it is absent
    base_url: str | None = None

    def load(self) -> list[Question]:
        return read_questions(self.questions)


def read_questions(path: Path) -> list[Question]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw: dict[str, Any] = json.loads(line)
        raw["pages"] = tuple(raw["pages"])
        found.append(Question(**raw))
    return found


def offtopic() -> list[OffTopic]:
    return [OffTopic(**json.loads(line)) for line in OFFTOPIC.read_text(encoding="utf-8").splitlines()]


def corpora_dir(flag: str | None) -> Path | None:
    """The folder of cloned corpora: the flag, else THOTH_BENCH_CORPORA, else ../shared/corpora."""
    chosen = flag or os.environ.get(CORPORA_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_dir():
            raise SystemExit(f"corpora folder {path} does not exist; clone the corpora there (README)")
        return path
    return DEFAULT_CORPORA if DEFAULT_CORPORA.is_dir() else None


def bun_docs(_: Path | None) -> Path:
    """The docs tree extracted from the pinned tarball (once per tarball digest)."""
    data = TARBALL.read_bytes()
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        raise SystemExit(f"{TARBALL} is not bun-types 1.4.4 as published ({got}); restore it from git")
    target = WORK / f"corpus-{hashlib.sha256(data).hexdigest()[:12]}"
    if (target / ".complete").is_file():
        return target / "docs"
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(TARBALL) as archive:
        members = [
            m
            for m in archive.getmembers()
            if m.isfile()
            and m.name.startswith(BUN_DOCS)
            and m.name.endswith((".md", ".mdx"))
            and not m.name.startswith(BUN_SKIPPED)
        ]
        archive.extractall(target, members=members, filter="data")
    (target / "package").rename(target / "pkg")
    (target / "pkg" / "docs").rename(target / "docs")
    shutil.rmtree(target / "pkg")
    (target / ".complete").write_text(f"{len(members)} pages\n")
    return target / "docs"


def _first(*candidates: str) -> Callable[[Path | None], Path | None]:
    """The first of `candidates` (paths under the corpora folder) that is a directory."""

    def locate(folder: Path | None) -> Path | None:
        if folder is None:
            return None
        return next((folder / c for c in candidates if (folder / c).is_dir()), None)

    return locate


CORPORA: tuple[Corpus, ...] = (
    Corpus(
        "bun",
        "bun-docs",
        "bun-types 1.4.4 docs (API reference and guides)",
        DATA / "questions.jsonl",
        ("**/*.md", "**/*.mdx"),
        bun_docs,
        base_url="https://bun.com/docs",
    ),
    Corpus(
        "18f",
        "18f-handbook",
        "18F staff handbook (Eleventy)",
        DATA / "18f-handbook.jsonl",
        ("**/*.md",),
        _first("18f-handbook/pages", "handbook/pages"),
        "clone github.com/18F/handbook at 1e4955634d0369f17e5bbc0ebbf8f62e2a3dfe4b "
        "into <corpora>/18f-handbook",
        base_url="https://handbook.tts.gsa.gov",
    ),
    Corpus(
        "docsy",
        "docsy-docs",
        "Docsy docs (Hugo site, content/en)",
        DATA / "docsy-docs.jsonl",
        ("content/en/**/*.md",),
        _first("docsy-docs", "docsy/docsy.dev"),
        "clone github.com/google/docsy at 83c5cc14ee6a44190cacec20b8e1c15973df97fd into <corpora>/docsy "
        "(its docsy.dev folder is indexed)",
        base_url="https://www.docsy.dev",
    ),
    Corpus(
        "cjk",
        "cjk-handbook",
        "a Japanese handbook written for Thoth",
        DATA / "cjk-handbook.jsonl",
        ("**/*.md",),
        lambda _: DATA / "cjk-handbook",
    ),
)


def check_questions(root: Path, items: list[Question]) -> None:
    """Every answer page exists and holds its evidence phrase (the questions fit the pinned corpus)."""
    problems = []
    for q in items:
        missing = [p for p in q.pages if not (root / p).is_file()]
        if missing:
            problems.append(f"{q.id}: no page {missing}")
        elif q.evidence.casefold() not in (root / q.pages[0]).read_text(encoding="utf-8").casefold():
            problems.append(f"{q.id}: {q.pages[0]} does not say {q.evidence!r}")
    if problems:
        raise SystemExit(f"questions do not fit the corpus at {root}:\n  " + "\n  ".join(problems))
