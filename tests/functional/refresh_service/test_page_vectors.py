"""Each published version carries one vector per page (title + description), embedded only when it changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.refresh import PAGES, live_index, run, write_tree
from thoth.refresh_service.pages import page_text
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig


def test_page_vectors_follow_titles_and_descriptions(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "docs"
    write_tree(root, PAGES)
    config = SourceConfig("docs", "dir", str(root))
    first = run(config, services)
    assert first.status == "ok", first.error
    index = live_index(services, "docs", tmp_path / "a")
    pages = len(index.pages.paths)
    assert pages == len([p for p in PAGES if p.endswith(".md")]) and first.pages_embedded == pages
    assert index.page_vectors is not None and index.page_vectors.shape == (pages, 384)
    # The stored vector is the embedding of the page's title (+ description), within int8 rounding.
    intro = index.pages.paths.index("guide/intro.md")
    first_chunk = next(c for c in index.chunks if c.path == "guide/intro.md")
    expected = services.embedder.encode([page_text(first_chunk)])[0]
    assert float(np.dot(index.page_vectors[intro], expected)) > 0.99

    write_tree(root, {"people/time-off.md": PAGES["people/time-off.md"] + "\nMore about leave.\n"})
    body_only = run(config, services)
    assert body_only.status == "ok" and body_only.pages_embedded == 0  # same title, vector reused
    write_tree(
        root, {"guide/intro.md": "---\ntitle: Welcome\ndescription: Start here.\n---\n\n# Welcome\n\nHi.\n"}
    )
    retitled = run(config, services)
    assert retitled.status == "ok" and retitled.pages_embedded == 1
    index = live_index(services, "docs", tmp_path / "b")
    assert index.page_vectors is not None and index.page_vectors.shape[0] == pages
