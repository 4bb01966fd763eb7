"""Pages read back whole and once: every page of the fixture sites, chunked as the refresh does and
assembled as get_handbook_section does, is the page's text (no block twice, no heading lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from thoth.mcp_server.search.section import assemble
from thoth.refresh_service.chunk import ChunkSettings, chunk_document, markdown_blocks, page_url
from thoth.refresh_service.markup import ParseError, parse_document
from thoth.refresh_service.markup.sitefiles import widened, with_site
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import dir_snapshot

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def pages(folder: str) -> list[tuple[str, list[str], str]]:
    """(path, the page's lines as parsed, the page as read back) for every page of a sample source."""
    config = SourceConfig("s", "dir", str(SAMPLES / folder), base_url="https://h.example/")
    snap = with_site(dir_snapshot(widened(config)), config)
    out = []
    for path in sorted(snap.files):
        try:
            doc = parse_document(path, snap.read(path), site=snap.site)
        except ParseError:
            continue
        url = page_url(path, config.base_url, "", snap.site, doc.meta)
        # Small chunks: every page splits into several, with overlap between them.
        settings = ChunkSettings(target_tokens=40, overlap_tokens=24)
        chunks = chunk_document(doc, source="s", url=url, commit=None, last_modified=None, settings=settings)
        lines = list(doc.lines)
        if doc.kind == "markdown":
            markdown_blocks(lines, snap.site)  # as the chunker does: `{#id}` leaves the heading text
        if chunks:
            out.append((path, lines, assemble(chunks)[0]))
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("folder", ["hugo-site", "handbook"])
def test_every_page_reads_back_as_its_text(folder: str) -> None:
    found = pages(folder)
    assert len(found) >= 5
    for path, lines, read_back in found:
        assert _lines(read_back) == _lines("".join(lines)), path


def test_a_heading_with_only_subsections_and_a_repeated_entry_read_back_once() -> None:
    entries = "".join(f"term{i}\n: definition {i} of the entry\n\n" for i in range(12))
    body = "## Install\n\n### On Linux\n\n" + entries
    doc = parse_document("p.md", body.encode())
    chunks = chunk_document(
        doc, source="s", url="u", commit=None, last_modified=None,
        settings=ChunkSettings(target_tokens=20, overlap_tokens=10),
    )  # fmt: skip
    read_back = assemble(chunks)[0]
    assert len(chunks) > 3 and read_back.startswith("## Install\n\n### On Linux")
    assert [read_back.count(f"definition {i} of") for i in range(12)] == [1] * 12
