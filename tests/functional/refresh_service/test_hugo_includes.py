"""Hugo sources in the pipeline: includes read beside the pages, and pages re-indexed when one changes."""

from __future__ import annotations

from pathlib import Path

from tests.support.refresh import live_index, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig

SITE = {
    "config/_default/hugo.toml": 'baseURL = "https://h.example/"\n',
    "content/handbook/leave.md": (
        '---\ntitle: Leave\n---\n## How to ask\n\n{{% include "includes/ask.md" %}}\n\n'
        '## Later\n\n{{% include "includes/later.md" %}}\n'
    ),
    "content/handbook/other.md": "## Other\n\nUnrelated text about laptops.\n",
    "assets/includes/ask.md": "Ask your manager two weeks ahead.\n",
}


def test_includes_expand_and_a_changed_include_reindexes_its_pages(
    tmp_path: Path, services: Services
) -> None:
    root = tmp_path / "site"
    write_tree(root, SITE)
    config = SourceConfig("hb", "dir", str(root), include=("content/**/*.md",), base_url="https://h.example/")
    first = run(config, services)
    assert first.status == "ok", first.error
    assert first.files_total == 2  # config and assets are read, not indexed as pages
    assert first.warnings == [
        {
            "path": "content/handbook/leave.md",
            "warning": "include 'includes/later.md' not found (looked for content page includes/later.md; "
            "assets/includes/later.md); "
            "the page is indexed without it",
        }
    ]
    index = live_index(services, "hb", tmp_path / "1")
    ask = next(c for c in index.chunks if c.heading_path == ["How to ask"])
    assert "two weeks ahead" in ask.text and ask.url == "https://h.example/handbook/leave/#how-to-ask"

    write_tree(root, {"assets/includes/ask.md": "Ask your manager three weeks ahead.\n"})
    second = run(config, services)
    assert second.status == "ok" and second.files_modified == 1 and second.chunks_embedded == 1
    assert second.extra["pages_reindexed_for_includes"] == 1
    assert any("three weeks" in c.text for c in live_index(services, "hb", tmp_path / "2").chunks)

    write_tree(root, {"assets/includes/later.md": "Come back later.\n"})  # the missing include appears
    third = run(config, services)
    assert third.status == "ok" and third.files_modified == 1 and third.warnings == []
    assert any("Come back later." in c.text for c in live_index(services, "hb", tmp_path / "3").chunks)

    assert run(config, services).status == "unchanged"


def test_markup_markdown_turns_hugo_off(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "site"
    write_tree(root, SITE)
    config = SourceConfig("hb", "dir", str(root), include=("content/**/*.md",), markup="markdown")
    report = run(config, services)
    assert report.status == "ok" and report.warnings == []
    texts = [c.text for c in live_index(services, "hb", tmp_path).chunks]
    assert any('{{% include "includes/ask.md" %}}' in t for t in texts)
