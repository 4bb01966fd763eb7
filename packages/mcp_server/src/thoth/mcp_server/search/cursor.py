"""Opaque pagination cursors bound to the tool, its arguments and the index versions they page over.

The tag is an HMAC under the deployment's `cursor-key` secret (Secrets Manager
`thoth/<env>/cursor-key`, THOTH_CURSOR_KEY locally), so every Lambda instance accepts
every other's cursors and nobody without the key can mint one. Without a key (a local run)
each process draws a random one: cursors then live as long as the process. Offsets are
bounds-checked as well, so even a valid cursor can only ask for a page that exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import threading
from typing import Any

from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.shared.errors import ConfigError
from thoth.shared.secrets import Secrets

_TAG_BYTES = 12
_RESTART = "call the tool again without cursor to start over"
MIN_KEY_CHARS = 32  # a 64-hex-digit key from `openssl rand -hex 32` is the intended shape
_DOMAIN = b"thoth-cursor-v2\0"  # a key shared with another use still yields tags of its own

log = logging.getLogger(__name__)
_secrets = Secrets()
_fallback: bytes | None = None
_fallback_lock = threading.Lock()


def _key() -> bytes:
    """The HMAC key: the cursor-key secret (cached by Secrets), else a random one for this process."""
    global _fallback
    value = _secrets.get("cursor-key")
    if value is not None:
        if len(value) < MIN_KEY_CHARS:
            raise ConfigError(
                f"the cursor-key secret is {len(value)} characters long; set at least {MIN_KEY_CHARS} "
                "random ones (e.g. `openssl rand -hex 32`) in thoth/<env>/cursor-key or THOTH_CURSOR_KEY"
            )
        return _DOMAIN + value.encode()
    with _fallback_lock:
        if _fallback is None:
            _fallback = _DOMAIN + secrets.token_bytes(32)
            log.warning(
                "no cursor-key secret: cursors are valid only in this process; set thoth/<env>/cursor-key "
                "(THOTH_CURSOR_KEY locally) so every instance accepts them"
            )
        return _fallback


def forget_process_key() -> None:
    """Drop the random per-process key (after a SnapStart restore every copy must draw its own)."""
    global _fallback
    with _fallback_lock:
        _fallback = None


def _tag(payload: bytes) -> bytes:
    return hmac.new(_key(), payload, hashlib.sha256).digest()[:_TAG_BYTES]


def binding(arguments: dict[str, Any], scope: str) -> str:
    """A short digest of the arguments a cursor belongs to (cursor itself excluded) and of the caller's
    source policy (`access.scope_tag`): a cursor replayed by a caller with another policy is refused."""
    bound = {k: v for k, v in arguments.items() if k != "cursor"}
    data = json.dumps({"arguments": bound, "scope": scope}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def encode(tool: str, bound: str, versions: str, offset: int) -> str:
    payload = json.dumps({"t": tool, "b": bound, "v": versions, "o": offset}, separators=(",", ":")).encode()
    tag = _tag(payload)
    return base64.urlsafe_b64encode(tag + payload).decode().rstrip("=")


def decode(tool: str, bound: str, cursor: str) -> tuple[str, int]:
    """(versions, offset) from a cursor this tool issued for these arguments; else ToolArgumentError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise ToolArgumentError(f"argument 'cursor' is not a cursor this server issued; {_RESTART}") from None
    tag, payload = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(payload)):
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
            "argument 'cursor' belongs to a call with different arguments or other credentials; "
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
