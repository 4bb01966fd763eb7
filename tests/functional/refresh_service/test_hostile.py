"""Hostile input: 2 MiB of each construct that stalls parsers finishes within its stated bound.

The bound is BOUND_S_PER_MIB seconds per MiB of input (the per-file budget of the test), on the
machine the suite runs on; `nox -s bench -- refresh --hostile` prints the measured figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.refresh import live_index, run, write_tree
from thoth.refresh_service.chunk import ChunkSettings, chunk_document
from thoth.refresh_service.markup import Budget, BudgetExceeded, ParseError, Site, parse_document
from thoth.refresh_service.markup import budget as budget_module
from thoth.refresh_service.markup.budget import BOUND_S_PER_MIB
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.index.format import CHANGED_AT
from tools.bench.hostile import INCLUDES, MIB, corpus

SKIPPED = {
    "binary": "binary file",
    "invalid-utf8": "not valid UTF-8",
    "front-matter-aliases": "YAML alias",
}


def _site() -> Site:
    return Site(files={p: "sha256:x" for p in INCLUDES}, read=INCLUDES.__getitem__)


@pytest.mark.parametrize(
    ("path", "data"), list(corpus()), ids=lambda v: v.split("/")[-1] if isinstance(v, str) else ""
)
def test_each_hostile_file_finishes_within_its_bound(path: str, data: bytes) -> None:
    name = path.rsplit("/", 1)[-1].removesuffix(".md")
    budget = Budget(seconds=BOUND_S_PER_MIB * max(1.0, len(data) / MIB), max_chars=8 * MIB)
    try:
        doc = parse_document(path, data, 4 * MIB, _site(), budget)
        chunks = chunk_document(
            doc, source="s", url="https://h.example/p/", commit=None, last_modified=None,
            settings=ChunkSettings(), budget=budget,
        )  # fmt: skip
    except BudgetExceeded:
        pytest.fail(f"{name}: over {budget.seconds:.0f} s for {len(data) / MIB:.1f} MiB")
    except ParseError as exc:
        assert name in SKIPPED and SKIPPED[name] in str(exc), (name, str(exc))
        return
    assert name not in SKIPPED, name
    for chunk in chunks:
        assert "{{<" not in chunk.text and "{{%" not in chunk.text, name
        assert "<svg" not in chunk.text and "M0 0L1 1" not in chunk.text, name
        assert len(chunk.url) < 1000 and all(len(h) <= 500 for h in chunk.heading_path), name
    assert sum(len(c.text) for c in chunks) <= 3 * len(data), name  # overlap, never blow-up


def test_a_file_over_budget_is_skipped_and_the_run_goes_on(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "docs"
    write_tree(
        root,
        {
            "a.md": "# Fine\n\nOrdinary page about canaries.\n",
            # Seconds of parsing (empty sections), one chunk: the last section's text.
            "slow.md": "## Same\n" * 60_000 + "\nThe last section has text.\n",
            "z.md": "# Also fine\n\nAnother page about rollbacks.\n",
        },
    )
    chunk_document(  # build the parsers first: their one-time setup is not what this test times
        parse_document("warm.md", b"# w\n\n    x\n"), source="s", url="u", commit=None, last_modified=None,
        settings=ChunkSettings(),
    )  # fmt: skip
    services.parse_budget_s = 0.5
    monkeypatch.setattr(budget_module, "CHECK_EVERY", 1)
    config = SourceConfig("docs", "dir", str(root))
    report = run(config, services)
    assert report.status == "ok", report.error
    assert [s["path"] for s in report.skipped] == ["slow.md"]
    assert "budget of one file" in report.skipped[0]["reason"]
    index = live_index(services, "docs", tmp_path)
    assert {c.path for c in index.chunks} == {"a.md", "z.md"}
    # Not remembered: with the budget back, the next run indexes it.
    services.parse_budget_s = 60.0
    again = run(config, services)
    assert again.status == "ok" and again.skipped == []
    assert "slow.md" in {c.path for c in live_index(services, "docs", tmp_path / "2").chunks}


def test_the_alias_file_makes_no_index_and_large_front_matter_is_not_copied(
    tmp_path: Path, services: Services
) -> None:
    bomb = (
        "---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n---\n# Bomb\n\n" + "Text. " * 2000 + "\n"
    )
    big = "---\ntitle: Big\nnotes: [" + ", ".join(f'"note {i}"' for i in range(3000)) + "]\n---\n"
    big += "".join(f"## Section {i}\n\nBody {i}.\n\n" for i in range(200))
    root = tmp_path / "docs"
    write_tree(root, {"bomb.md": bomb, "big.md": big})
    report = run(SourceConfig("docs", "dir", str(root)), services)
    assert report.status == "ok", report.error
    assert [s["path"] for s in report.skipped] == ["bomb.md"]
    index = live_index(services, "docs", tmp_path)
    # No front matter in meta: only the refresh's own changed_at.
    assert len(index.chunks) >= 200 and all(set(c.meta) == {CHANGED_AT} for c in index.chunks)
    # 200 chunks once carried 30 KB of front matter each (6 MB); now only their own text.
    prefix = f"indexes/docs/{report.index_version}/"
    size = sum(len(services.store.get(key)) for key in services.store.list(prefix))
    assert 0 < size < 400_000, size
