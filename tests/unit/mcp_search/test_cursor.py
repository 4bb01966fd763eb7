"""Pagination cursors: round trip, and every bad or forged cursor is a ToolArgumentError."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search import cursor

ARGS = {"path": "a.md", "max_chars": 8000}
BOUND = cursor.binding(ARGS)


def test_round_trip_and_binding_ignores_cursor() -> None:
    token = cursor.encode("get_handbook_section", BOUND, "handbook:v1", 1234)
    assert cursor.decode("get_handbook_section", BOUND, token) == ("handbook:v1", 1234)
    assert cursor.binding({**ARGS, "cursor": token}) == BOUND
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _flip(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: "not base64 !!", "not a cursor this server issued"),
        (lambda t: t[:-6], "corrupt"),
        (lambda t: t + "AAAA", "corrupt or was modified"),
        (lambda t: _flip(t, 0), "corrupt or was modified"),
        (lambda t: _flip(t, 30), "corrupt or was modified"),
        (lambda t: "A", "not a cursor this server issued"),
        (lambda t: cursor.encode("list_topics", BOUND, "handbook:v1", 5), "issued by list_topics"),
        (lambda t: cursor.encode("get_handbook_section", "0" * 16, "handbook:v1", 5), "different arguments"),
        (lambda t: cursor.encode("get_handbook_section", BOUND, "handbook:v1", -1), "corrupt"),
    ],
)
def test_bad_cursors(make: object, message: str) -> None:
    token = cursor.encode("get_handbook_section", BOUND, "handbook:v1", 99)
    bad = make(token)  # type: ignore[operator]
    with pytest.raises(ToolArgumentError, match=message):
        cursor.decode("get_handbook_section", BOUND, bad)


def test_stale_version_is_rejected() -> None:
    with pytest.raises(ToolArgumentError, match="no longer live"):
        cursor.check_versions("handbook:v1", "handbook:v2")
    cursor.check_versions("handbook:v2", "handbook:v2")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_garbage_never_decodes(text: str) -> None:
    with pytest.raises(ToolArgumentError, match=r"^argument 'cursor'"):
        cursor.decode("list_topics", BOUND, text)
