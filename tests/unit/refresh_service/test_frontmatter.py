"""Front matter: capped, alias-free, bounded in chunks; Hugo drafts, url/slug and section URLs."""

from __future__ import annotations

import json

import pytest

from thoth.refresh_service.chunk import ChunkSettings, chunk_document, page_url
from thoth.refresh_service.markup import ParseError, Site, parse_document
from thoth.refresh_service.markup.frontmatter import MAX_FRONT_MATTER_BYTES, chunk_meta

ALIAS_BOMB = (
    "---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\n# Bomb\n"
)


def test_yaml_aliases_are_refused_with_the_reason() -> None:
    with pytest.raises(ParseError, match=r"YAML alias \(\*a\) at line 3; aliases are not allowed"):
        parse_document("bomb.md", ALIAS_BOMB.encode())


def test_oversized_and_deep_front_matter_are_refused() -> None:
    big = "---\ntitle: x\nnotes: " + "y" * MAX_FRONT_MATTER_BYTES + "\n---\nbody\n"
    with pytest.raises(ParseError, match="over the 65536-byte limit"):
        parse_document("big.md", big.encode())
    deep = "---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nbody\n"
    with pytest.raises(ParseError, match="front matter"):
        parse_document("deep.md", deep.encode())
    huge_int = "+++\nx = " + "9" * 5000 + "\n+++\nbody\n"
    with pytest.raises(ParseError, match="not valid TOML"):
        parse_document("int.md", huge_int.encode())


def test_chunks_carry_only_a_bounded_part_of_the_front_matter() -> None:
    meta = {
        "title": "T",
        "description": "  A   page\nabout things. " + "d" * 5000,
        "aliases": ["/a/", 3, "/b/", *[f"/c{i}/" for i in range(100)]],
        "big": ["x" * 1000] * 50,
    }
    out = chunk_meta(meta)
    assert set(out) == {"description", "aliases"}
    assert out["description"].startswith("A page about things. ") and len(out["description"]) == 1000
    assert out["aliases"][:2] == ["/a/", "/b/"] and len(out["aliases"]) <= 50
    assert len(json.dumps(out)) < 20_000


def test_description_feeds_the_embedding_context() -> None:
    doc = parse_document(
        "p.md", b"---\ntitle: T\ndescription: About leave.\n---\n## H\n\nText.\n", site=Site()
    )
    chunk = chunk_document(
        doc, source="s", url="u", commit=None, last_modified=None, settings=ChunkSettings()
    )[0]
    assert chunk.meta == {"description": "About leave."}
    other = parse_document("p.md", b"---\ntitle: T\n---\n## H\n\nText.\n", site=Site())
    plain = chunk_document(
        other, source="s", url="u", commit=None, last_modified=None, settings=ChunkSettings()
    )
    assert chunk.content_hash != plain[0].content_hash


def test_hugo_drafts_are_skipped_with_a_reason_markdown_drafts_are_not() -> None:
    data = b"---\ntitle: D\ndraft: true\n---\nx\n"
    with pytest.raises(ParseError, match="draft: true"):
        parse_document("d.md", data, site=Site())
    assert parse_document("d.md", data).title == "D"


@pytest.mark.parametrize(
    ("path", "meta", "url"),
    [
        ("content/handbook/values/_index.md", {}, "https://h.example/handbook/values/"),
        ("content/_index.md", {}, "https://h.example/"),
        (
            "content/handbook/people-group/paid-time-off.md",
            {},
            "https://h.example/handbook/people-group/paid-time-off/",
        ),
        ("content/Sec/My Page.md", {}, "https://h.example/sec/my-page/"),
        ("content/bund/index.md", {"slug": "renamed"}, "https://h.example/renamed/"),
        ("content/sl/page.md", {"slug": "Other Slug"}, "https://h.example/sl/other-slug/"),
        ("content/sl/u.md", {"url": "/custom/Path"}, "https://h.example/custom/Path/"),
        ("content/sl/u2.md", {"url": "custom2/x.html"}, "https://h.example/custom2/x.html"),
        ("content/sl/Café Ünï.md", {}, "https://h.example/sl/café-ünï/"),
    ],
)
def test_hugo_page_urls(path: str, meta: dict[str, str], url: str) -> None:
    # Each was checked against the pages hugo v0.168.0 wrote.
    assert page_url(path, "https://h.example", "", Site(), meta) == url


def test_hugo_title_comes_from_the_h1_without_its_attribute_block() -> None:
    assert parse_document("a.md", b"# Real title {#x} ##\n\ntext\n", site=Site()).title == "Real title"
    # A cubic regex used to hang on this line (issue 12): a linear scan returns at once.
    assert (
        parse_document("h.md", ("# a" + " " * 200_000 + "b\n").encode()).title == "a"
    )  # cut at MAX_HEADING_CHARS
