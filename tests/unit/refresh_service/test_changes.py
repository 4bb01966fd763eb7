"""Change detection as a pure function: added, modified, deleted, renamed, and pages whose includes moved."""

from __future__ import annotations

from thoth.refresh_service.changes import detect_changes, reuse_unchanged
from thoth.refresh_service.markup.site import Site
from thoth.refresh_service.sources.snapshot import FileEntry
from thoth.refresh_service.state import FileState
from thoth.shared.index import Chunk


def _files(**digests: str) -> dict[str, FileEntry]:
    return {f"{name}.md": FileEntry(f"{name}.md", digest, 10) for name, digest in digests.items()}


def _known(**digests: str) -> dict[str, FileState]:
    return {f"{name}.md": FileState(digest, [f"{name}#0"]) for name, digest in digests.items()}


def test_content_hashes_find_added_modified_deleted_and_renamed_files() -> None:
    files = _files(same="a", edited="b2", moved="c", new="d")
    known = _known(same="a", edited="b1", old="c", gone="e")
    changes = detect_changes(files, known, None, None, incremental=True)
    assert changes.added == ["moved.md", "new.md"]
    assert changes.modified == ["edited.md"]
    assert changes.deleted == ["gone.md", "old.md"]
    assert changes.renames == {"old.md": "moved.md"}
    assert changes.detection == "content-hash" and changes.any


def test_a_git_diff_names_the_renames_and_nothing_is_guessed() -> None:
    files = _files(moved="c", copy="e")
    known = _known(old="c", gone="e")
    changes = detect_changes(files, known, None, {"old.md": "moved.md"}, incremental=True)
    assert changes.renames == {"old.md": "moved.md"} and changes.detection == "git-diff"


def test_a_page_whose_include_changed_is_modified() -> None:
    known = {"page.md": FileState("a", ["page#0"], None, {"assets/footer.md": "old"})}
    site = Site(files={"assets/footer.md": "new"})
    changes = detect_changes(_files(page="a"), known, site, None, incremental=True)
    assert changes.modified == ["page.md"] and changes.for_includes == 1


def test_nothing_changed_and_a_full_run_is_named_so() -> None:
    assert not detect_changes(_files(a="1"), _known(a="1"), None, None, incremental=True).any
    full = detect_changes(_files(a="1"), {}, None, None, incremental=False)
    assert full.added == ["a.md"] and full.detection == "full"


def test_unchanged_files_reuse_their_chunks_unless_state_and_version_disagree() -> None:
    chunk = Chunk("kept#0", "s", "kept.md", "Kept", [], "u", 1, 2, "text", "h", commit="old")
    files = _files(kept="a", stale="b", edited="c")
    known = {"kept.md": FileState("a", ["kept#0"]), "stale.md": FileState("b", ["stale#0"])}
    reused, rebuild = reuse_unchanged(files, ["edited.md"], known, {"kept.md": [chunk]}, "new")
    assert [c.commit for c in reused["kept.md"]] == ["new"] and list(reused) == ["kept.md"]
    assert rebuild == ["stale.md"]
