"""Pagination cursors: round trip, and every bad or forged cursor is a ToolArgumentError."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search import cursor

ARGS = {"path": "a.md", "max_chars": 8000}
BOUND = cursor.binding(ARGS, "*")


def test_round_trip_and_binding_ignores_cursor() -> None:
    token = cursor.encode("get_handbook_section", BOUND, "handbook:v1", 1234)
    assert cursor.decode("get_handbook_section", BOUND, token) == ("handbook:v1", 1234)
    assert cursor.binding({**ARGS, "cursor": token}, "*") == BOUND
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


def test_the_key_is_the_deployment_secret_not_a_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 11: a cursor minted with the old source constant, or another deployment's key, is refused."""
    import hashlib
    import hmac
    import json

    payload = json.dumps(
        {"t": "get_handbook_section", "b": BOUND, "v": "handbook:v1", "o": 5}, separators=(",", ":")
    ).encode()
    forged_tag = hmac.new(b"thoth-cursor-v1", payload, hashlib.sha256).digest()[:12]
    forged = base64.urlsafe_b64encode(forged_tag + payload).decode().rstrip("=")
    monkeypatch.setenv("THOTH_CURSOR_KEY", "a" * 64)
    with pytest.raises(ToolArgumentError, match="corrupt or was modified"):
        cursor.decode("get_handbook_section", BOUND, forged)
    issued = cursor.encode("get_handbook_section", BOUND, "handbook:v1", 5)
    # Another instance of the same deployment (same secret) accepts it; another deployment does not.
    assert cursor.decode("get_handbook_section", BOUND, issued) == ("handbook:v1", 5)
    monkeypatch.setenv("THOTH_CURSOR_KEY", "b" * 64)
    with pytest.raises(ToolArgumentError, match="corrupt or was modified"):
        cursor.decode("get_handbook_section", BOUND, issued)


def test_a_short_cursor_key_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from thoth.shared.errors import ConfigError

    monkeypatch.setenv("THOTH_CURSOR_KEY", "short")
    with pytest.raises(ConfigError, match="openssl rand -hex 32"):
        cursor.encode("get_handbook_section", BOUND, "handbook:v1", 5)


def test_without_a_key_each_process_draws_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THOTH_CURSOR_KEY", raising=False)
    issued = cursor.encode("get_handbook_section", BOUND, "handbook:v1", 5)
    assert cursor.decode("get_handbook_section", BOUND, issued) == ("handbook:v1", 5)
    monkeypatch.setattr(cursor, "_fallback", None)  # what a fresh process starts with
    with pytest.raises(ToolArgumentError, match="corrupt or was modified"):
        cursor.decode("get_handbook_section", BOUND, issued)
