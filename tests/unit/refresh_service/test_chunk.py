"""Chunking: headings, anchors, line ranges, token target with overlap; fences and tables stay whole."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from thoth.refresh_service.chunk import ChunkSettings, chunk_document, count_tokens, page_url, slugify
from thoth.refresh_service.markup import parse_document
from thoth.shared.index import Chunk

HANDBOOK = Path(__file__).resolve().parents[3] / "samples" / "handbook"


def chunks_of(path: str, text: str, settings: ChunkSettings | None = None) -> list[Chunk]:
    doc = parse_document(path, text.encode())
    return chunk_document(
        doc, source="hb", url=page_url(path, "https://hb.example/"), commit="c0ffee", last_modified=None,
        settings=settings or ChunkSettings(),
    )  # fmt: skip


def test_heading_paths_anchors_and_file_line_ranges() -> None:
    text = (
        "---\ntitle: Guide\n---\n# Guide\n\nIntro.\n\n## Install it\n\nStep one.\n\n"
        "## FAQ\n\nQ.\n\n## FAQ\n\nA.\n"
    )
    chunks = chunks_of("docs/guide.md", text)
    assert [c.heading_path for c in chunks] == [
        ["Guide"],
        ["Guide", "Install it"],
        ["Guide", "FAQ"],
        ["Guide", "FAQ"],
    ]
    assert [c.url.split("#")[1] for c in chunks] == ["guide", "install-it", "faq", "faq-1"]
    assert chunks[0].url.startswith("https://hb.example/docs/guide/#")
    lines = text.splitlines()
    for chunk in chunks:
        assert "\n".join(lines[chunk.line_start - 1 : chunk.line_end]).strip() == chunk.text
    assert all(c.commit == "c0ffee" and c.title == "Guide" for c in chunks)


def test_fenced_code_and_tables_are_never_split() -> None:
    code = "```python\n" + "\n".join(f"value_{i} = compute({i})  # step {i}" for i in range(80)) + "\n```\n"
    table = "| key | value |\n| --- | --- |\n" + "".join(f"| k{i} | v{i} words here |\n" for i in range(60))
    text = "# Page\n\n" + "Some prose. " * 30 + "\n\n" + code + "\n" + table + "\nAfter.\n"
    chunks = chunks_of("p.md", text, ChunkSettings(target_tokens=60, overlap_tokens=10))
    holding_code = [c for c in chunks if "value_0 =" in c.text]
    assert (
        len(holding_code) == 1
        and "value_79 =" in holding_code[0].text
        and holding_code[0].text.count("```") == 2
    )
    holding_table = [c for c in chunks if "| k0 |" in c.text]
    assert len(holding_table) == 1 and "| k59 |" in holding_table[0].text
    assert all(c.text.count("```") % 2 == 0 for c in chunks)


def test_long_sections_split_near_the_target_with_overlap() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 25 for i in range(12)]
    chunks = chunks_of("p.md", "# Long\n\n" + "\n\n".join(paragraphs) + "\n", ChunkSettings(60, 35))
    assert len(chunks) > 3
    assert all(count_tokens(c.text) <= 2 * 60 for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        last_paragraph = previous.text.split("\n\n")[-1]
        assert current.text.startswith(last_paragraph)  # one paragraph of overlap
    assert len({c.id for c in chunks}) == len(chunks)


def test_plain_text_chunks_by_paragraph() -> None:
    chunks = chunks_of("faq.txt", "Question one?\nAnswer one.\n\nQuestion two?\nAnswer two.\n")
    assert len(chunks) == 1 and chunks[0].heading_path == [] and chunks[0].url == "https://hb.example/faq.txt"


def test_ids_are_deterministic_and_depend_on_path_and_content() -> None:
    a = chunks_of("a.md", "# A\n\ntext\n")
    assert [c.id for c in a] == [c.id for c in chunks_of("a.md", "# A\n\ntext\n")]
    assert a[0].id != chunks_of("b.md", "# A\n\ntext\n")[0].id
    assert a[0].content_hash == chunks_of("b.md", "# A\n\ntext\n")[0].content_hash


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Release process", "release-process"),
        ("1. Customers first", "1-customers-first"),
        ("What's `nox`?", "whats-nox"),
        ("A  --  B", "a-b"),
        ("[Link](http://x) text", "link-text"),
        ("snake_case stays", "snake_case-stays"),
    ],
)
def test_slugify_matches_gitlab_anchors(heading: str, slug: str) -> None:
    assert slugify(heading) == slug


@pytest.mark.parametrize(
    ("path", "prefix", "url"),
    [
        ("handbook/engineering/_index.md", "", "https://h.example/handbook/engineering/"),
        ("content/handbook/values.md", "content/", "https://h.example/handbook/values/"),
        ("README.md", "", "https://h.example/"),
        ("faq.txt", "", "https://h.example/faq.txt"),
    ],
)
def test_page_urls(path: str, prefix: str, url: str) -> None:
    assert page_url(path, "https://h.example", prefix) == url
    assert page_url(path, None) == path


def test_sample_handbook_chunks_cleanly() -> None:
    files = [p for p in HANDBOOK.rglob("*") if p.is_file()]
    assert len(files) >= 30
    total = 0
    for path in files:
        rel = path.relative_to(HANDBOOK).as_posix()
        chunks = chunks_of(rel, path.read_text())
        assert chunks, rel
        assert all(c.text.count("```") % 2 == 0 for c in chunks), rel
        total += len(chunks)
    assert total > 100
