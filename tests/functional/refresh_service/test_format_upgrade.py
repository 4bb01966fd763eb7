"""A live version of an older index format: the next refresh rebuilds and publishes format 3."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.support.refresh import PAGES, live_index, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.state import SourceState
from thoth.shared.index import FORMAT_VERSION
from thoth.shared.live import read_live


def test_incremental_refresh_over_a_format_2_version_rebuilds_it(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root))
    first = run(config, services)
    assert first.status == "ok", first.error
    # Turn the live version into what format 2 left behind: its manifest says 2, its files are gone.
    prefix = f"indexes/docs/{first.index_version}/"
    manifest = json.loads(services.store.get(prefix + "manifest.json"))
    manifest["format_version"] = 2
    services.store.put(prefix + "manifest.json", json.dumps(manifest).encode())
    services.store.delete(prefix + "index.bin")
    write_tree(root, {"guide/new.md": "# New page\n\nFresh content about canaries.\n"})
    second = run(config, services, mode="incremental")
    assert second.status == "ok", second.error
    pointer = read_live(services.state, "docs")
    assert pointer is not None and pointer.version == second.index_version != first.index_version
    index = live_index(services, "docs", tmp_path)
    assert index.manifest.format_version == FORMAT_VERSION
    assert any("canaries" in c.text for c in index.chunks)
    assert {c.path for c in index.chunks} >= {"guide/new.md", *(p for p in PAGES if p.endswith(".md"))}
    assert np.all(np.isfinite(index.vectors))


def test_an_unchanged_source_over_a_format_2_version_is_rebuilt_too(
    tmp_path: Path, services: Services
) -> None:
    """With no file changed, the state from the old format must not let the old version stay live."""
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root))
    first = run(config, services)
    assert first.status == "ok", first.error
    state = SourceState(services.state, "docs")
    state.set_meta({k: v for k, v in state.meta().items() if k != "format"})  # what format 2 recorded
    second = run(config, services, mode="incremental")
    assert second.status == "ok" and second.change_detection == "full", second.error
    assert second.index_version != first.index_version
