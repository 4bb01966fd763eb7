"""Finding 5: a symlink cannot get around the `.git` skip or the exclude globs (dir and git sources)."""

from __future__ import annotations

import os
from pathlib import Path

from dulwich.objects import Blob, Commit, Tree

from tests.support.refresh import commit_all, git_init, live_index, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.git import git_snapshot
from thoth.refresh_service.sources.snapshot import Snapshot, dir_snapshot

SECRET = "glpat-RemoteUrlTokenInGitConfig"
PRIVATE = "salary bands of every engineer"
FILES = {
    "guide/real.md": "# Real\n\nA page that is linked to.\n",
    "private/secret.md": f"# Private\n\n{PRIVATE}\n",
}


def _reasons(snapshot: Snapshot) -> dict[str, str]:
    return {s.path: s.reason for s in snapshot.skipped}


def _links(root: Path) -> None:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    os.symlink("../.git/config", root / "docs" / "git-config.md")
    os.symlink("../private/secret.md", root / "docs" / "leak.md")
    os.symlink("leak.md", root / "docs" / "chain.md")  # a link to a link into private/
    os.symlink("../guide/real.md", root / "docs" / "ok.md")


def test_dir_links_into_dot_git_or_excluded_paths_are_skipped(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "docs-src"
    write_tree(root, FILES)
    write_tree(
        root, {".git/config": f'[remote "origin"]\n\turl = https://oauth2:{SECRET}@gitlab.example/x\n'}
    )
    _links(root)
    os.symlink("../.git", root / "guide" / "dotgit")  # a directory link: never followed
    config = SourceConfig("docs", "dir", str(root), exclude=("private/**",))
    snapshot = dir_snapshot(config)
    reasons = _reasons(snapshot)
    assert "docs/ok.md" in snapshot.files and "guide/real.md" in snapshot.files
    assert set(snapshot.files).isdisjoint({"docs/git-config.md", "docs/leak.md", "docs/chain.md"})
    assert ".git" in reasons["docs/git-config.md"]
    assert "excluded" in reasons["docs/leak.md"] and "excluded" in reasons["docs/chain.md"]
    assert "not followed" in reasons["guide/dotgit"]
    report = run(config, services)
    assert report.status == "ok", report.error
    text = "".join(c.text for c in live_index(services, "docs", tmp_path).chunks)
    assert SECRET not in text and PRIVATE not in text and "linked to" in text
    assert {s["path"] for s in report.skipped} >= {"docs/git-config.md", "docs/leak.md", "docs/chain.md"}


def test_dir_link_to_the_dot_git_directory_of_a_parent_is_skipped(tmp_path: Path) -> None:
    # The source is a subfolder of a checkout: ../.git is outside the source as well.
    write_tree(tmp_path / "checkout", {".git/config": SECRET, "handbook/a.md": "# A\n"})
    os.symlink("../.git/config", tmp_path / "checkout" / "handbook" / "b.md")
    snapshot = dir_snapshot(SourceConfig("hb", "dir", str(tmp_path / "checkout" / "handbook")))
    assert list(snapshot.files) == ["a.md"]
    assert "outside the source" in _reasons(snapshot)["b.md"]


def test_git_links_into_excluded_paths_are_skipped(tmp_path: Path) -> None:
    repo = git_init(tmp_path / "repo", FILES)
    _links(tmp_path / "repo")
    commit_all(repo, "links")
    config = SourceConfig("hb", "git", str(tmp_path / "repo"), exclude=("private/**",))
    snapshot = git_snapshot(config, tmp_path / "cache", None, None, None)
    try:
        reasons = _reasons(snapshot)
        assert "docs/ok.md" in snapshot.files
        assert snapshot.read("docs/ok.md") == FILES["guide/real.md"].encode()
        assert "excluded" in reasons["docs/leak.md"]
        assert "docs/leak.md" not in snapshot.files and "docs/chain.md" not in snapshot.files
        assert "docs/git-config.md" not in snapshot.files
    finally:
        snapshot.close()


def test_git_tree_entries_named_dot_git_are_never_read(tmp_path: Path) -> None:
    """A crafted tree can hold a `.git` folder (git itself refuses to check one out); so do we."""
    repo = git_init(tmp_path / "repo")
    store = repo.object_store
    config_blob = Blob.from_string(SECRET.encode())
    page = Blob.from_string(b"# Page\n\nfine\n")
    link = Blob.from_string(b"../.GIT/config")
    inner = Tree()
    inner.add(b"config", 0o100644, config_blob.id)
    inner.add(b"config.md", 0o100644, config_blob.id)
    docs = Tree()
    docs.add(b"page.md", 0o100644, page.id)
    docs.add(b"git-config.md", 0o120000, link.id)
    docs.add(b".git", 0o040000, inner.id)
    top = Tree()
    top.add(b".GIT", 0o040000, inner.id)
    top.add(b"docs", 0o040000, docs.id)
    for obj in (config_blob, page, link, inner, docs, top):
        store.add_object(obj)
    commit = Commit()
    commit.tree = top.id
    commit.author = commit.committer = b"T <t@example.com>"
    commit.author_time = commit.commit_time = 1_700_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"crafted .git entries"
    store.add_object(commit)
    repo.refs[b"refs/heads/master"] = commit.id
    repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/master")
    config = SourceConfig("crafted", "git", str(tmp_path / "repo"), include=("**",))
    snapshot = git_snapshot(config, tmp_path / "cache", None, None, None)
    try:
        assert list(snapshot.files) == ["docs/page.md"]
        reasons = _reasons(snapshot)
        assert ".git" in reasons[".GIT"] and ".git" in reasons["docs/.git"]
        assert ".git" in reasons["docs/git-config.md"]
    finally:
        snapshot.close()
