"""Incremental refreshes equal full rebuilds, and unchanged chunks are never embedded again."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from tests.support.refresh import (
    PAGES,
    CountingEmbedder,
    commit_all,
    git_init,
    live_index,
    make_services,
    run,
    vectors_by_id,
    write_tree,
)
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.index import Chunk
from thoth.shared.index.format import CHANGED_AT
from thoth.shared.live import read_live

INCLUDE = ("**/*.md", "**/*.txt")


def without_changed_at(chunk: Chunk) -> str:
    return dataclasses.replace(chunk, meta={k: v for k, v in chunk.meta.items() if k != CHANGED_AT}).to_json()


def test_incremental_equals_full_over_add_modify_rename_delete(
    tmp_path: Path, services: Services, embedder: CountingEmbedder
) -> None:
    repo = git_init(tmp_path / "repo", PAGES)
    config = SourceConfig(
        "hb", "git", str(tmp_path / "repo"), include=INCLUDE, base_url="https://hb.example/"
    )
    first = run(config, services)
    assert first.status == "ok", first.error
    assert first.files_added == len(PAGES) and first.chunks_embedded == first.chunks_total > 0
    first_index = live_index(services, "hb", tmp_path / "first")

    root = tmp_path / "repo"
    upgraded = PAGES["guide/setup.md"] + "\n## Upgrade\n\nRun pip install -U thoth.\n"
    write_tree(root, {"guide/setup.md": upgraded})
    os.rename(root / "people/time-off.md", root / "people/leave.md")
    os.remove(root / "notes.txt")
    write_tree(root, {"security/keys.md": "# Keys\n\nRotate keys every 90 days.\n"})
    commit_b = commit_all(repo, "add, modify, rename, delete")
    embedder.texts.clear()

    incremental = run(config, services)
    assert incremental.status == "ok", incremental.error
    assert incremental.change_detection == "git-diff"
    assert (incremental.files_added, incremental.files_modified) == (1, 1)
    assert (incremental.files_renamed, incremental.files_deleted) == (1, 1)
    assert incremental.commit == commit_b
    # Only the new page and the changed section are embedded; the renamed page's text is reused.
    assert 0 < incremental.chunks_embedded < incremental.chunks_total
    assert not any("Take 25 days" in text for text in embedder.texts)
    assert any("Upgrade" in text for text in embedder.texts)
    assert any("Rotate keys" in text for text in embedder.texts)

    fresh = make_services(tmp_path / "fresh-home", embedder)
    full = run(config, fresh, mode="full")
    assert full.status == "ok", full.error
    assert full.chunks_embedded == full.chunks_total

    inc_index, full_index = live_index(services, "hb", tmp_path), live_index(fresh, "hb", tmp_path)
    assert [c.id for c in inc_index.chunks] == [c.id for c in full_index.chunks]
    # Equal but for changed_at, which is history by design: the incremental run carries a renamed
    # page's times from the version before; a full rebuild has no version before and dates each
    # section by its file's last commit (the rename's, in git).
    assert [without_changed_at(c) for c in inc_index.chunks] == [
        without_changed_at(c) for c in full_index.chunks
    ]
    before = {(c.path, tuple(c.heading_path)): c.changed_at for c in first_index.chunks}
    renamed = [c for c in inc_index.chunks if c.path == "people/leave.md"]
    assert renamed and all(
        c.changed_at == before[("people/time-off.md", tuple(c.heading_path))] for c in renamed
    )
    inc_vectors, full_vectors = vectors_by_id(inc_index), vectors_by_id(full_index)
    for chunk_id, vector in full_vectors.items():
        # Batching changes float rounding in the last bits only.
        np.testing.assert_allclose(inc_vectors[chunk_id], vector, atol=2e-5)
    paths = {c.path for c in inc_index.chunks}
    assert "people/leave.md" in paths and "people/time-off.md" not in paths and "notes.txt" not in paths
    assert inc_index.manifest.commit == commit_b


def test_second_run_without_changes_is_unchanged_and_embeds_nothing(
    tmp_path: Path, services: Services, embedder: CountingEmbedder
) -> None:
    write_tree(tmp_path / "docs", PAGES)
    config = SourceConfig("docs", "dir", str(tmp_path / "docs"), include=INCLUDE)
    first = run(config, services)
    embedder.texts.clear()
    second = run(config, services)
    assert second.status == "unchanged"
    assert second.index_version == first.index_version
    assert embedder.texts == []
    pointer = read_live(services.state, "docs")
    assert pointer is not None and pointer.version == first.index_version


def test_directory_source_detects_changes_by_content_hash(
    tmp_path: Path, services: Services, embedder: CountingEmbedder
) -> None:
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root), include=INCLUDE)
    run(config, services)
    os.rename(root / "guide/intro.md", root / "guide/welcome.md")
    write_tree(root, {"finance/expenses.md": PAGES["finance/expenses.md"].replace("60 EUR", "75 EUR")})
    embedder.texts.clear()
    report = run(config, services)
    assert report.status == "ok", report.error
    assert report.change_detection == "content-hash"
    counts = (report.files_renamed, report.files_modified, report.files_added, report.files_deleted)
    assert counts == (1, 1, 0, 0)
    assert len(embedder.texts) == 1 and "75 EUR" in embedder.texts[0]
    index = live_index(services, "docs", tmp_path)
    assert any(c.path == "guide/welcome.md" for c in index.chunks)
    assert all(c.path != "guide/intro.md" for c in index.chunks)
