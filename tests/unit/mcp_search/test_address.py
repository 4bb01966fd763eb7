"""thoth:// addresses: what search issues parses back to the same place; hostile ones are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thoth.mcp_server.search.address import (
    MAX_ANCHOR_CHARS,
    MAX_URI_CHARS,
    SECTION_TEMPLATE,
    TEMPLATES,
    Address,
    BadAddress,
    anchor_of,
    parse,
)
from thoth.mcp_server.search.specs import MAX_PATH_CHARS


def test_page_and_section_addresses() -> None:
    page = Address("handbook", "people/time-off.md")
    assert page.uri() == "thoth://handbook/people/time-off.md"
    section = Address("handbook", "people/time-off.md", "requesting-time-off")
    assert section.uri() == "thoth://handbook/people/time-off.md#requesting-time-off"
    assert parse(section.uri()) == section and parse(page.uri()) == page
    assert section.page() == page
    assert parse("thoth://handbook/people/time-off.md#") == page  # an empty fragment names the page


def test_odd_characters_are_percent_encoded_and_decoded() -> None:
    address = Address("wiki", "Équipe/notes #1?.md", "café & co")
    uri = address.uri()
    assert uri.isascii() and " " not in uri and "?" not in uri and uri.count("#") == 1
    assert parse(uri) == address


def test_the_sdk_template_matcher_reads_the_same_parts() -> None:
    from mcp.shared.uri_template import UriTemplate

    address = Address("handbook", "a b/c.md", "x y")
    matched = UriTemplate.parse(SECTION_TEMPLATE).match(address.uri())
    assert matched == {"source": "handbook", "path": "a b/c.md", "anchor": "x y"}
    for template in TEMPLATES:
        UriTemplate.parse(template.uri_template)  # every template the server lists is valid RFC 6570


def test_anchor_of_a_chunk_url() -> None:
    assert anchor_of("https://h.example.com/a/b#c-d") == "c-d"
    assert anchor_of("a/b.md#c") == "c"
    assert anchor_of("https://h.example.com/a/b") is None
    assert anchor_of("https://h.example.com/a/b#") is None


HOSTILE = [
    ("", "not a thoth:// address"),
    ("https://handbook.example.com/people/time-off", "not a thoth:// address"),
    ("THOTH://handbook/a.md", "not a thoth:// address"),
    ("thoth:/handbook/a.md", "not a thoth:// address"),
    ("thoth://", "not a source name"),
    ("thoth://handbook", "names no page"),
    ("thoth://handbook/", "names no page"),
    ("thoth://Handbook/a.md", "not a source name"),
    ("thoth://hand book/a.md", "spaces or control characters"),
    ("thoth://../etc/passwd", "not a source name"),
    ("thoth://handbook/../../etc/passwd", "must be relative"),
    ("thoth://handbook/a/./b.md", "must be relative"),
    ("thoth://handbook//etc/passwd", "must be relative"),
    ("thoth://handbook/a//b.md", "must be relative"),
    ("thoth://handbook/%2e%2e/secret.md", "must be relative"),
    ("thoth://handbook/%2Fetc/passwd", "must be relative"),
    ("thoth://handbook/a%5C..%5Cb.md", "must be relative"),
    ("thoth://handbook/a.md?x=1", "no query"),
    ("thoth://handbook/a.md\n", "control characters"),
    ("thoth://handbook/a%00.md", "control characters"),
    ("thoth://handbook/a.md#x%0Ay", "control characters"),
    ("thoth://handbook/a%zz.md", "%XX escape"),
    ("thoth://handbook/a%.md", "%XX escape"),
    ("thoth://handbook/a%ff%fe.md", "not UTF-8"),
    ("thoth://handbook/a.md#%C3", "not UTF-8"),
    ("thoth://handbook/" + "a" * (MAX_PATH_CHARS + 1), "limit is"),
    ("thoth://handbook/a.md#" + "x" * (MAX_ANCHOR_CHARS + 1), "limit is"),
    ("thoth://handbook/" + "a" * MAX_URI_CHARS, "limit is"),
    ("thoth://" + "s" * 64 + "/a.md", "not a source name"),
]


@pytest.mark.parametrize(("uri", "message"), HOSTILE)
def test_hostile_addresses_are_refused_with_the_reason(uri: str, message: str) -> None:
    with pytest.raises(BadAddress, match=message) as caught:
        parse(uri)
    assert len(str(caught.value)) < 400  # a 4 KB address is not echoed back whole


_SEGMENT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(
    lambda s: "/" not in s and "\\" not in s and s not in (".", "..")
)


@given(
    source=st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,20}\Z"),
    segments=st.lists(_SEGMENT, min_size=1, max_size=4),
    anchor=st.none() | st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40),
)
def test_every_address_search_can_issue_parses_back(
    source: str, segments: list[str], anchor: str | None
) -> None:
    address = Address(source, "/".join(segments), anchor)
    assert parse(address.uri()) == address
