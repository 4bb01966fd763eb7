"""Opaque pagination cursors bound to the tool, its arguments and the index versions they page over.

The tag is a checksum, not a secret: a stateless server on many Lambda instances has
no shared key. It catches truncated, edited or cross-tool cursors; offsets are
bounds-checked anyway, so a hand-made cursor can only ask for a page that exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from thoth.mcp_server.protocol.tools import ToolArgumentError

_KEY = b"thoth-cursor-v1"
_TAG_BYTES = 12
_RESTART = "call the tool again without cursor to start over"


def binding(arguments: dict[str, Any]) -> str:
    """A short digest of the arguments a cursor belongs to (cursor itself excluded)."""
    data = json.dumps({k: v for k, v in arguments.items() if k != "cursor"}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def encode(tool: str, bound: str, versions: str, offset: int) -> str:
    payload = json.dumps({"t": tool, "b": bound, "v": versions, "o": offset}, separators=(",", ":")).encode()
    tag = hmac.new(_KEY, payload, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(tag + payload).decode().rstrip("=")


def decode(tool: str, bound: str, cursor: str) -> tuple[str, int]:
    """(versions, offset) from a cursor this tool issued for these arguments; else ToolArgumentError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise ToolArgumentError(f"argument 'cursor' is not a cursor this server issued; {_RESTART}") from None
    tag, payload = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.new(_KEY, payload, hashlib.sha256).digest()[:_TAG_BYTES]):
        raise ToolArgumentError(f"argument 'cursor' is corrupt or was modified; {_RESTART}")
    try:
        data = json.loads(payload)
        versions, offset, owner, owner_binding = data["v"], data["o"], data["t"], data["b"]
    except (ValueError, KeyError, TypeError):
        raise ToolArgumentError(f"argument 'cursor' is corrupt; {_RESTART}") from None
    if owner != tool:
        raise ToolArgumentError(f"argument 'cursor' was issued by {owner}, not {tool}; {_RESTART}")
    if owner_binding != bound:
        raise ToolArgumentError(
            "argument 'cursor' belongs to a call with different arguments; "
            f"repeat the same arguments or {_RESTART}"
        )
    if not isinstance(versions, str) or isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ToolArgumentError(f"argument 'cursor' is corrupt; {_RESTART}")
    return versions, offset


def check_versions(expected: str, current: str) -> None:
    """A cursor pages over one index version; a refresh in between invalidates it."""
    if expected != current:
        raise ToolArgumentError(
            "argument 'cursor' refers to an index version that is no longer live (a refresh happened); "
            f"{_RESTART}"
        )
