"""Fault injection at each stage: the previous version keeps serving, nothing partial shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import thoth.refresh_service.parse_pass as parse_pass
from tests.support.refresh import (
    PAGES,
    CountingEmbedder,
    FaultyState,
    FaultyStore,
    live_index,
    run,
    versions,
    write_tree,
)
from thoth.refresh_service.markup import parse_document
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.live import read_live

INCLUDE = ("**/*.md", "**/*.txt")


def _setup(tmp_path: Path, services: Services) -> tuple[SourceConfig, str]:
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root), include=INCLUDE)
    first = run(config, services)
    assert first.status == "ok", first.error
    write_tree(root, {"guide/new.md": "# New page\n\nFresh content about canaries.\n"})
    write_tree(root, {"guide/intro.md": PAGES["guide/intro.md"] + "\nMore welcome text.\n"})
    assert first.index_version is not None
    return config, first.index_version


def _assert_previous_serves(services: Services, version: str, tmp_path: Path) -> None:
    pointer = read_live(services.state, "docs")
    assert pointer is not None and pointer.version == version
    assert versions(services.store, "docs") == {version}, "a partial version is visible"
    index = live_index(services, "docs", tmp_path)
    assert all(c.path != "guide/new.md" for c in index.chunks)


def _assert_heals(config: SourceConfig, services: Services, tmp_path: Path) -> None:
    report = run(config, services)
    assert report.status == "ok", report.error
    index = live_index(services, "docs", tmp_path)
    assert any("canaries" in c.text for c in index.chunks)
    assert any("More welcome text" in c.text for c in index.chunks)


@pytest.mark.parametrize("stage", ["embed", "object-write", "verify", "pointer-flip"])
def test_failure_keeps_previous_version_live_and_next_run_completes(
    stage: str, tmp_path: Path, services: Services, embedder: CountingEmbedder
) -> None:
    config, version = _setup(tmp_path, services)
    healthy_store, healthy_state = services.store, services.state
    if stage == "embed":
        embedder.fail_on_call = embedder.calls + 1
    elif stage == "object-write":
        services.store = FaultyStore(healthy_store, "index.bin")  # type: ignore[assignment]
    elif stage == "verify":
        services.store = FaultyStore(healthy_store, "texts.bin", corrupt=True)  # type: ignore[assignment]
    else:
        services.state = FaultyState(healthy_state, "live")  # type: ignore[assignment]
    failed = run(config, services)
    assert failed.status == "error"
    assert failed.error
    if stage == "verify":
        assert "checksum" in failed.error
    services.store, services.state = healthy_store, healthy_state
    embedder.fail_on_call = None
    _assert_previous_serves(services, version, tmp_path)
    embedder.texts.clear()
    _assert_heals(config, services, tmp_path)
    if stage != "embed":
        # Vectors computed by the failed run were cached; the healing run embeds nothing new.
        assert embedder.texts == []


def test_parse_crash_skips_the_file_and_the_next_run_retries_it(
    tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, version = _setup(tmp_path, services)

    def crashing(path: str, data: bytes, *args: Any) -> object:
        if path == "guide/new.md":
            raise RuntimeError("injected parser crash")
        return parse_document(path, data, *args)

    monkeypatch.setattr(parse_pass, "parse_document", crashing)
    report = run(config, services)
    assert report.status == "ok", report.error
    assert [s["path"] for s in report.skipped] == ["guide/new.md"]
    assert "injected parser crash" in report.skipped[0]["reason"]
    assert report.index_version != version
    monkeypatch.setattr(parse_pass, "parse_document", parse_document)
    retry = run(config, services)
    assert retry.status == "ok" and retry.files_added == 1
    index = live_index(services, "docs", tmp_path)
    assert any("canaries" in c.text for c in index.chunks)
