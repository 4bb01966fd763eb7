"""Version retention (THOTH_KEEP_VERSIONS), git refs, and the run history."""

from __future__ import annotations

from pathlib import Path

from tests.support.refresh import (
    PAGES,
    commit_all,
    git_init,
    live_index,
    run,
    versions,
    write_tree,
)
from thoth.refresh_service.runs import Services
from thoth.refresh_service.settings import RefreshSettings
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.state import SourceState
from thoth.shared.live import read_live


def test_only_the_newest_versions_are_kept(tmp_path: Path, services: Services) -> None:
    services.refresh = RefreshSettings(keep_versions=2)
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root))
    published = []
    for i in range(4):
        write_tree(root, {"changing.md": f"# Changing\n\nRevision {i} of this page.\n"})
        report = run(config, services)
        assert report.status == "ok", report.error
        published.append(report.index_version)
    assert versions(services.store, "docs") == set(published[-2:])
    assert report.versions_removed == [published[1]]
    pointer = read_live(services.state, "docs")
    assert pointer is not None and pointer.version == published[-1]
    assert any("Revision 3" in c.text for c in live_index(services, "docs", tmp_path).chunks)
    history = SourceState(services.state, "docs").runs()
    assert [r["index_version"] for r in history] == published


def test_git_refs_branches_tags_and_shas(tmp_path: Path, services: Services) -> None:
    repo = git_init(tmp_path / "repo", {"a.md": "# A\n\nfirst version\n"})
    first = repo.head().decode()
    repo.refs[b"refs/tags/v1"] = first.encode()
    write_tree(tmp_path / "repo", {"a.md": "# A\n\nsecond version\n"})
    second = commit_all(repo, "second")
    config = SourceConfig("hb", "git", str(tmp_path / "repo"))
    assert run(config, services, ref="v1").commit == first
    assert run(config, services, ref=second).commit == second
    assert run(config, services, ref="master").commit == second
    assert any("second version" in c.text for c in live_index(services, "hb", tmp_path).chunks)
    bad = run(config, services, ref="no-such-branch")
    assert bad.status == "error"
    assert "ref 'no-such-branch' not found; use one of" in (bad.error or "") and "refs/tags/v1" in (
        bad.error or ""
    )
