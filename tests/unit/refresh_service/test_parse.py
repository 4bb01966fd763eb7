"""Parsing: front matter, titles, encodings and limits; every failure is a skip reason."""

from __future__ import annotations

import pytest

from thoth.refresh_service.markup import ParseError, parse_document
from thoth.shared.errors import ThothError


def test_yaml_front_matter_is_metadata_and_lines_keep_file_numbers() -> None:
    doc = parse_document(
        "a/b.md", b"---\ntitle: On-call\ndate: 2024-05-01\ntags: [ops]\n---\n# Heading\n\nBody\n"
    )
    assert doc.title == "On-call"
    assert doc.meta == {"title": "On-call", "date": "2024-05-01", "tags": ["ops"]}
    assert doc.first_line == 6 and doc.lines[0] == "# Heading\n"


def test_toml_front_matter_bom_and_crlf() -> None:
    doc = parse_document("x.md", '\ufeff+++\r\ntitle = "Toml page"\r\n+++\r\nText\r\n'.encode())
    assert doc.title == "Toml page" and doc.lines == ["Text\n"]


@pytest.mark.parametrize(
    ("path", "data", "title"),
    [
        ("guide/setup.md", b"# Setting up\n\ntext\n", "Setting up"),
        ("guide/time-off.md", b"no heading here\n", "Time off"),
        ("guide/_index.md", b"text\n", "Guide"),
        ("notes.txt", b"# not a heading in text\n", "Notes"),
        ("a.md", b"---\n---\n# From H1\n", "From H1"),
    ],
)
def test_title_fallbacks(path: str, data: bytes, title: str) -> None:
    assert parse_document(path, data).title == title


def test_leading_rule_without_closing_is_not_front_matter() -> None:
    doc = parse_document("a.md", b"---\n# Title\n")
    assert doc.meta == {} and doc.title == "Title"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x02binary", "binary file"),
        (b"caf\xe9\n", "not valid UTF-8 (byte 3)"),
        (b"---\ntitle: [unclosed\n---\nx\n", "front matter is not valid YAML"),
        (b"---\n- a list\n---\nx\n", "not a mapping"),
        (b"+++\ntitle = 'x'\n", "never closed"),
        (b"x" * 101, "over the 100-byte limit"),
    ],
)
def test_unparseable_files_raise_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse_document("p.md", data, max_bytes=100)
    assert reason in str(excinfo.value)


def test_a_skip_reason_is_a_thoth_error() -> None:
    with pytest.raises(ThothError, match="re-save the file as UTF-8"):
        parse_document("p.md", b"caf\xe9")
