"""The refresh writes a change record per published version, with git commits; expires old ones."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.refresh import AUTHOR, PAGES, FaultyStore, commit_all, git_init, run, write_tree
from thoth.refresh_service.history_store import expire_history
from thoth.refresh_service.report import RunReport
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.errors import StorageError
from thoth.shared.history import PREFIX, read_record, record_key, record_versions

INCLUDE = ("**/*.md", "**/*.txt")


def config(root: Path) -> SourceConfig:
    return SourceConfig("hb", "git", str(root), include=INCLUDE, base_url="https://hb.example/")


def test_each_publish_records_its_pages_sections_and_commits(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "repo"
    repo = git_init(root, PAGES)
    first = run(config(root), services)
    assert first.status == "ok", first.error
    assert not list(services.store.list(PREFIX)), "the first version has nothing to compare with"

    write_tree(root, {"people/time-off.md": PAGES["people/time-off.md"].replace("25 days", "30 days")})
    sha_1 = commit_all(repo, "More vacation days")
    write_tree(root, {"security/keys.md": "# Keys\n\nRotate keys every 90 days.\n"})
    os.remove(root / "notes.txt")
    sha_2 = commit_all(repo, "Add the key rotation policy\n\nLonger body, never recorded.")
    second = run(config(root), services)
    assert second.status == "ok", second.error

    record = read_record(services.store, "hb", str(second.index_version))
    assert record["previous_version"] == first.index_version and record["commit"] == sha_2
    pages = {p["path"]: p for p in record["pages"]}
    assert set(pages) == {"people/time-off.md", "security/keys.md", "notes.txt"}
    time_off = pages["people/time-off.md"]
    assert time_off["kind"] == "modified"
    (section,) = time_off["sections"]
    assert section["change"] == "modified" and section["anchor"] == "time-off"
    assert section["removed_text"] == ["Take 25 days of vacation per year."]
    assert section["added_text"] == ["Take 30 days of vacation per year."]
    assert [c["sha"] for c in time_off["commits"]] == [sha_1]
    assert time_off["commits"][0]["subject"] == "More vacation days"
    assert pages["security/keys.md"]["kind"] == "added"
    assert pages["security/keys.md"]["commits"][0]["subject"] == "Add the key rotation policy"
    assert pages["notes.txt"]["kind"] == "deleted" and pages["notes.txt"]["commits"][0]["sha"] == sha_2
    raw = services.store.get(record_key("hb", str(second.index_version)))
    assert b"test@example.com" not in raw and AUTHOR.split(b" ")[0] not in raw  # no personal data


def test_a_failed_record_write_keeps_the_run_ok(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "repo"
    repo = git_init(root, PAGES)
    assert run(config(root), services).status == "ok"
    write_tree(root, {"guide/intro.md": PAGES["guide/intro.md"] + "\nA new line.\n"})
    commit_all(repo, "edit")

    class NoHistory(FaultyStore):
        def put(self, key: str, data: bytes) -> None:
            if key.startswith(PREFIX):
                raise StorageError("injected history failure")
            self.inner.put(key, data)

    services.store = NoHistory(services.store, "")  # type: ignore[assignment]
    report = run(config(root), services)
    assert report.status == "ok", report.error
    assert any("change record" in w["warning"] for w in report.warnings)


def test_records_past_the_window_are_deleted(tmp_path: Path, services: Services) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    for days in (1, 89, 91, 400):
        when = (now - timedelta(days=days)).strftime("%Y%m%d-%H%M%S-%f")
        services.store.put(record_key("hb", f"v{when}-ab12"), b"{}")
    report = RunReport("hb", "r", "t", "incremental")
    removed = expire_history(services.store, "hb", 90, report, now=now)
    assert len(removed) == 2
    left = sorted((now - when).days for _, when in record_versions(services.store, "hb"))
    assert left == [1, 89]
