"""The refresh CLI as a user runs it: real subprocesses and git repository, JSON report on the last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.refresh import commit_all, git_init, write_tree
from thoth.shared.index import download_version, load_version
from thoth.shared.live import read_live
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore

pytestmark = pytest.mark.e2e
REPORT_KEYS = {
    "status", "source", "index_version", "commit", "files_added", "files_modified", "files_deleted",
    "files_skipped", "chunks_total", "chunks_embedded", "chunks_reused", "duration_s",
}  # fmt: skip
PAGES = {
    "handbook/engineering/on-call.md": (
        "---\ntitle: On-call\n---\n# On-call\n\n## Rotation\n\nShifts last one week.\n\n"
        "## Pay\n\n| Item | Amount |\n| --- | --- |\n| Allowance | 350 EUR |\n"
    ),
    "handbook/people/time-off.md": "# Time off\n\nTake at least 25 days of vacation.\n",
    "handbook/finance/expenses.md": (
        "# Expenses\n\n```text\nExpense app > Submit\n```\n\nMeals: 60 EUR a day.\n"
    ),
}


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THOTH_", "S3_", "DYNAMODB_"))}
    env.update({"THOTH_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) >= REPORT_KEYS
    return report


def test_cli_indexes_a_git_repository_then_refreshes_incrementally(tmp_path: Path) -> None:
    repo = git_init(tmp_path / "repo", PAGES)
    home = tmp_path / "home"
    first = cli(home, str(tmp_path / "repo"), "--name", "hb", "--json", "--base-url", "https://hb.example/")
    assert first.returncode == 0, first.stderr
    report = report_of(first)
    assert report["status"] == "ok" and report["kind"] == "git" and report["files_added"] == 3
    assert report["commit"] == repo.head().decode()
    assert "parse: 3/3 files" in first.stderr and "embeddings/s" in first.stderr and "hb: ok" in first.stderr

    write_tree(tmp_path / "repo", {"handbook/people/time-off.md": "# Time off\n\nTake at least 30 days.\n"})
    second_commit = commit_all(repo, "more vacation")
    second = cli(home, str(tmp_path / "repo"), "--name", "hb", "--json", "--base-url", "https://hb.example/")
    assert second.returncode == 0, second.stderr
    update = report_of(second)
    assert update["status"] == "ok" and update["commit"] == second_commit
    assert (update["files_modified"], update["files_added"], update["chunks_embedded"]) == (1, 0, 1)
    assert update["chunks_reused"] == update["chunks_total"] - 1

    # The MCP server's view: the live pointer and the shared reader.
    state, store = SqliteStateStore(home / "state.sqlite3"), LocalObjectStore(home / "objects")
    pointer = read_live(state, "hb")
    assert pointer is not None and pointer.version == update["index_version"]
    index = load_version(download_version(store, "hb", pointer.version, tmp_path / "dl"))
    assert any("30 days" in c.text for c in index.chunks)
    assert any(c.url == "https://hb.example/handbook/engineering/on-call/#pay" for c in index.chunks)


def test_cli_directory_kind_skip_reasons_and_human_summary(tmp_path: Path) -> None:
    # Nothing here needs the model: one file is skipped, so no embedding (and no torch import) happens.
    write_tree(tmp_path / "docs", {"scan.md": b"\x89PNG\r\n\x1a\n\x00\x00binary"})
    result = cli(tmp_path / "home", str(tmp_path / "docs"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("docs: ok")
    assert "skipped scan.md: binary file" in result.stderr
    again = report_of(cli(tmp_path / "home", str(tmp_path / "docs"), "--json"))
    assert again["status"] == "unchanged" and again["kind"] == "dir" and again["chunks_total"] == 0


def test_cli_errors_name_the_cause(tmp_path: Path) -> None:
    missing = cli(tmp_path / "home", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "neither a directory nor a git/s3 URL" in missing.stderr
    # A password in the location is refused before anything is fetched (issue 12: secrets stay in
    # the secret store), and never echoed.
    with_password = cli(tmp_path / "home", "http://oauth2:hunter2-secret@127.0.0.1:9/hb.git", "--json")
    assert with_password.returncode == 2 and "token_secret" in with_password.stderr
    assert "hunter2-secret" not in with_password.stdout + with_password.stderr
    url = "http://127.0.0.1:9/hb.git"
    unreachable = cli(tmp_path / "home", url, "--json")
    assert unreachable.returncode == 1
    report = report_of(unreachable)
    assert report["status"] == "error" and "cannot fetch" in report["error"]
    human = cli(tmp_path / "home", url, "--name", "hb")
    assert human.returncode == 1 and human.stdout.strip().startswith("hb: error — cannot fetch")
    for result in (unreachable, human):
        assert "hunter2-secret" not in result.stdout + result.stderr
        # urllib3's connection retries stay quiet: the report's error already says it all.
        assert "Retrying" not in result.stderr
