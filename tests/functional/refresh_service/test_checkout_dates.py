"""A folder source inside a git checkout dates each page by its last commit, not by the checkout."""

from __future__ import annotations

from pathlib import Path

from tests.support.refresh import AUTHOR, git_init, write_tree
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import dir_snapshot

COMMITTED = 1_600_000_000  # 2020-09-13T12:26:40Z


def test_committed_files_take_their_last_commit_and_changed_ones_their_mtime(tmp_path: Path) -> None:
    repo = git_init(tmp_path / "repo")
    write_tree(tmp_path / "repo", {"docs/a.md": "# A\n", "docs/b.md": "# B\n", "README.md": "x\n"})
    worktree = repo.get_worktree()
    worktree.stage(["docs/a.md", "docs/b.md", "README.md"])
    worktree.commit(
        message=b"pages", author=AUTHOR, committer=AUTHOR,
        commit_timestamp=COMMITTED, author_timestamp=COMMITTED,
    )  # fmt: skip
    write_tree(tmp_path / "repo", {"docs/b.md": "# B, edited\n", "docs/c.md": "# C, new\n"})
    snap = dir_snapshot(SourceConfig("d", "dir", str(tmp_path / "repo" / "docs")))
    dates = {path: entry.last_modified for path, entry in snap.files.items()}
    assert dates["a.md"] == "2020-09-13T12:26:40+00:00"
    assert dates["b.md"] != dates["a.md"] and dates["c.md"] != dates["a.md"]  # not committed as they are
    assert (dates["b.md"] or "") > "2025" and (dates["c.md"] or "") > "2025"


def test_a_folder_outside_any_checkout_keeps_file_times(tmp_path: Path) -> None:
    write_tree(tmp_path / "docs", {"a.md": "# A\n"})
    snap = dir_snapshot(SourceConfig("d", "dir", str(tmp_path / "docs")))
    assert (snap.files["a.md"].last_modified or "") > "2025"
