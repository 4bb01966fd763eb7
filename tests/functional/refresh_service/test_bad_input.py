"""Bad input gives a clear skip reason or error, and never loses what is already published."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from dulwich.objects import Blob, Commit, Tree

from tests.support.git_hosts import git_host, make_tls
from tests.support.refresh import PAGES, git_init, live_index, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.live import read_live
from thoth.shared.secrets import Secrets

TOKEN = "glpat-Sup3rSecretToken"


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "docs"
    write_tree(root, {"good.md": "# Good\n\nA fine page.\n"})
    write_tree(root, {"binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR"})
    write_tree(root, {"latin1.md": "# Caf\xe9\n".encode("latin-1")})
    write_tree(root, {"broken-front-matter.md": "---\ntitle: [unclosed\n---\n# X\n"})
    with open(root / "huge.md", "wb") as handle:  # 50 MB, written in blocks
        block = b"# Huge\n" + b"lorem ipsum dolor sit amet " * 40 + b"\n"
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            handle.write(block)
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\nshould never be indexed\n")
    os.symlink(outside, root / "link-out.md")
    os.symlink(root / "good.md", root / "link-in.md")
    report = run(SourceConfig("docs", "dir", str(root)), services)
    assert report.status == "ok", report.error
    reasons = {s["path"]: s["reason"] for s in report.skipped}
    assert "binary" in reasons["binary.md"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "front matter" in reasons["broken-front-matter.md"]
    assert "THOTH_MAX_FILE_BYTES" in reasons["huge.md"]
    assert "outside the source" in reasons["link-out.md"]
    index = live_index(services, "docs", tmp_path)
    assert {c.path for c in index.chunks} == {"good.md", "link-in.md"}
    assert not any("never be indexed" in c.text for c in index.chunks)
    # Deterministic skips are remembered: an unchanged bad file is not re-read next time.
    assert run(SourceConfig("docs", "dir", str(root)), services).status == "unchanged"


def _tree_with(repo: object, names: list[bytes]) -> bytes:
    store = repo.object_store  # type: ignore[attr-defined]
    good = Blob.from_string(b"# Fine\n\nok\n")
    evil = Blob.from_string(b"# Evil\n\nescaped\n")
    store.add_object(good)
    store.add_object(evil)
    tree = Tree()
    tree.add(b"fine.md", 0o100644, good.id)
    for name in names:
        tree.add(name, 0o100644, evil.id)
    link = Blob.from_string(b"../../etc/passwd")
    store.add_object(link)
    tree.add(b"escape.md", 0o120000, link.id)
    store.add_object(tree)
    return bytes(tree.id)


def test_git_path_traversal_and_escaping_symlinks_are_skipped(tmp_path: Path, services: Services) -> None:
    repo = git_init(tmp_path / "repo")
    tree_id = _tree_with(repo, [b"..", b"a/../../evil.md"])
    commit = Commit()
    commit.tree = tree_id
    commit.author = commit.committer = b"T <t@example.com>"
    commit.author_time = commit.commit_time = 1_700_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"crafted tree"
    repo.object_store.add_object(commit)
    repo.refs[b"refs/heads/master"] = commit.id
    repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/master")
    report = run(SourceConfig("crafted", "git", str(tmp_path / "repo"), include=("**",)), services)
    assert report.status == "ok", report.error
    reasons = {s["path"]: s["reason"] for s in report.skipped}
    assert "outside the source" in reasons["escape.md"]
    assert any("traversal" in r for p, r in reasons.items() if p != "escape.md")
    assert len(reasons) == 3
    index = live_index(services, "crafted", tmp_path)
    assert [c.path for c in index.chunks] == ["fine.md"]


def test_empty_repository_is_a_clear_error(tmp_path: Path, services: Services) -> None:
    git_init(tmp_path / "empty")
    report = run(SourceConfig("empty", "git", str(tmp_path / "empty")), services)
    assert report.status == "error"
    assert "empty" in (report.error or "") and "commit" in (report.error or "")


def test_not_a_repository_is_a_clear_error(tmp_path: Path, services: Services) -> None:
    (tmp_path / "plain").mkdir()
    report = run(SourceConfig("plain", "git", str(tmp_path / "plain")), services)
    assert report.status == "error" and "not a git repository" in (report.error or "")


def test_unreachable_remote_keeps_the_published_version(tmp_path: Path, services: Services) -> None:
    write_tree(tmp_path / "docs", PAGES)
    good = run(SourceConfig("hb", "dir", str(tmp_path / "docs")), services)
    assert good.status == "ok"
    report = run(SourceConfig("hb", "git", "http://127.0.0.1:9/nothing.git"), services)
    assert report.status == "error"
    assert "cannot fetch" in (report.error or "") and "check the URL" in (report.error or "")
    pointer = read_live(services.state, "hb")
    assert pointer is not None and pointer.version == good.index_version
    assert live_index(services, "hb", tmp_path).manifest.chunk_count == good.chunks_total


def test_private_remote_with_token_and_wrong_token_never_leaks_it(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    git_init(tmp_path / "repo", {"a.md": "# A\n\nPrivate handbook page.\n"})
    caplog.set_level(logging.DEBUG)
    # A token travels over https only (issue 12): the fake host speaks TLS with a throwaway CA.
    tls = make_tls(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    with git_host(tmp_path / "repo", tls=tls, token=TOKEN) as host:
        url = host.url + "/repo.git"
        monkeypatch.setenv("THOTH_GITLAB_TOKEN", TOKEN)
        services.secrets = Secrets()
        ok = run(SourceConfig("private", "git", url, token_secret="gitlab-token"), services)
        assert ok.status == "ok", ok.error
        assert ok.commit is not None and ok.chunks_total >= 1
        monkeypatch.setenv("THOTH_GITLAB_TOKEN", "glpat-WrongTokenValue")
        services.secrets = Secrets()
        wrong = run(SourceConfig("private2", "git", url, token_secret="gitlab-token"), services)
        monkeypatch.delenv("THOTH_GITLAB_TOKEN")
        services.secrets = Secrets()
        anonymous = run(SourceConfig("private3", "git", url, token_secret="gitlab-token"), services)
    for report in (wrong, anonymous):
        assert report.status == "error"
        assert "token" in (report.error or "")
    dumped = json.dumps([ok.to_dict(), wrong.to_dict(), anonymous.to_dict()]) + caplog.text
    for history in ("private", "private2"):
        dumped += json.dumps(services.state.query(f"source#{history}")[0].value)
    assert TOKEN not in dumped and "glpat-WrongTokenValue" not in dumped
