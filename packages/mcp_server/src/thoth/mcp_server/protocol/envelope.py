"""The 2026-07-28 per-request envelope: `_meta` fields and the HTTP headers that mirror the body."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from thoth.mcp_server.protocol.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    UNSUPPORTED_PROTOCOL_VERSION,
    Message,
    RpcError,
)
from thoth.mcp_server.protocol.revisions import (
    META_CLIENT_CAPABILITIES,
    META_PROTOCOL_VERSION,
    MODERN_VERSIONS,
    SUPPORTED_VERSIONS,
)

# Methods whose params field is mirrored into the Mcp-Name header.
NAME_FIELDS: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
PARAM_HEADER_PREFIX: Final = "mcp-param-"
_SENTINEL = re.compile(r"^=\?base64\?(?P<payload>.*)\?=\Z")
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]*\Z")


def unsupported_version(requested: str, request_id: Any = None) -> RpcError:
    """-32022 naming every version this server speaks (newest first)."""
    return RpcError(
        UNSUPPORTED_PROTOCOL_VERSION,
        f"Unsupported protocol version {requested[:40]!r}; "
        f"this server supports {', '.join(SUPPORTED_VERSIONS[::-1])}",
        {"supported": list(SUPPORTED_VERSIONS[::-1]), "requested": requested},
        request_id,
    )


def decode_header_value(value: str | None) -> str | None:
    """A header value with the `=?base64?…?=` sentinel undone; None when absent or malformed."""
    if value is None:
        return None
    match = _SENTINEL.fullmatch(value)
    if match is None:
        return value if _HEADER_SAFE.fullmatch(value) else None
    payload = match.group("payload")
    try:
        raw = base64.b64decode(payload, validate=True)
        # Only the canonical encoding is accepted, so one value has exactly one spelling.
        if base64.b64encode(raw).decode("ascii") != payload:
            return None
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _mismatch(message: str, request_id: Any) -> RpcError:
    return RpcError(HEADER_MISMATCH, f"Header mismatch: {message}", None, request_id)


def _check_routing_headers(message: Message, headers: Mapping[str, str], version: Any, rid: Any) -> None:
    if headers.get("mcp-protocol-version") != version:
        raise _mismatch("MCP-Protocol-Version does not match params._meta protocolVersion", rid)
    if headers.get("mcp-method") != message.method:
        raise _mismatch("Mcp-Method header is missing or does not match the body's method", rid)
    name_field = NAME_FIELDS.get(message.method or "")
    if name_field is not None:
        body_value = (message.params or {}).get(name_field)
        if decode_header_value(headers.get("mcp-name")) != body_value:
            raise _mismatch(f"Mcp-Name header is missing or does not match params.{name_field}", rid)


def check_envelope(message: Message, headers: Mapping[str, str] | None) -> str:
    """Validate a modern request's `_meta` and routing headers (None: stdio, which has no headers to
    mirror the body); returns its protocol version.

    Order follows the specification's ladder: a missing envelope is -32602, headers
    that disagree with the body are -32020 (before the version check, so a client
    that contradicts itself is told so), and an unserved version is -32022.
    """
    rid = message.id
    meta = (message.params or {}).get("_meta")
    if not isinstance(meta, dict):
        raise RpcError(
            INVALID_PARAMS,
            f"Invalid params: params._meta must be an object carrying {META_PROTOCOL_VERSION!r} "
            f"and {META_CLIENT_CAPABILITIES!r}",
            None,
            rid,
        )
    missing = [key for key in (META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES) if key not in meta]
    if missing:
        raise RpcError(
            INVALID_PARAMS, f"Invalid params: params._meta is missing {', '.join(missing)}", None, rid
        )
    version = meta[META_PROTOCOL_VERSION]
    if headers is not None:
        _check_routing_headers(message, headers, version, rid)
    if not isinstance(version, str):
        raise RpcError(
            INVALID_PARAMS, "Invalid params: the protocolVersion in params._meta must be a string", None, rid
        )
    if version not in MODERN_VERSIONS:
        raise unsupported_version(version, rid)
    if not isinstance(meta[META_CLIENT_CAPABILITIES], dict):
        raise RpcError(
            INVALID_PARAMS, "Invalid params: clientCapabilities in params._meta must be an object", None, rid
        )
    return version


def _annotated(schema: Any) -> Iterator[tuple[tuple[str, ...], str, dict[str, Any]]]:
    """(property path, header token, property schema) for every `x-mcp-header` on a pure properties chain."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        if not isinstance(node, dict):
            continue
        token = node.get("x-mcp-header")
        if path and isinstance(token, str):
            yield path, token, node
        properties = node.get("properties")
        if isinstance(properties, dict):
            stack.extend(((*path, name), sub) for name, sub in properties.items())


def _render(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    return None


def check_param_headers(
    schema: Any, arguments: Mapping[str, Any], headers: Mapping[str, str], rid: Any
) -> None:
    """Mcp-Param-* headers must agree with the arguments their tool's schema mirrors (-32020)."""
    for path, token, prop in _annotated(schema):
        header = headers.get(PARAM_HEADER_PREFIX + token.lower())
        value: Any = arguments
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        rendered = _render(value) if value is not None else None
        if header is None and rendered is None:
            continue
        if header is None or rendered is None:
            raise _mismatch(
                f"Mcp-Param-{token} header and argument {'.'.join(path)!r} must be sent together", rid
            )
        decoded = decode_header_value(header)
        if decoded is None:
            raise _mismatch(
                f"Mcp-Param-{token} header carries invalid characters or a malformed encoding", rid
            )
        if (
            prop.get("type") == "integer"
            and isinstance(value, int)
            and re.fullmatch(r"-?\d+(\.0+)?", decoded)
            and int(decoded.split(".")[0]) == value
        ):
            continue  # integers compare numerically: "42.0" matches 42
        if decoded != rendered:
            raise _mismatch(f"Mcp-Param-{token} header does not match argument {'.'.join(path)!r}", rid)
