"""The MCP revisions this server speaks and what differs between them.

Handshake-era revisions (2025-03-26 … 2025-11-25) negotiate through `initialize`;
the modern revision (2026-07-28) carries version, client info and capabilities in
every request's `_meta` and is served statelessly. Per-revision differences are
data here, so the protocol code asks "does this revision have X" instead of
comparing dates.
"""

from __future__ import annotations

from typing import Final, NamedTuple

HEADER_ABSENT_REVISION: Final = "2025-03-26"
"""Streamable HTTP (2025-06-18+): a request without MCP-Protocol-Version is treated as 2025-03-26."""


class Revision(NamedTuple):
    """One protocol revision and the wire features it has."""

    version: str
    modern: bool
    batches: bool  # JSON-RPC batches: only 2025-03-26 allows them
    structured_content: bool  # tools: title, outputSchema, structuredContent (2025-06-18+)
    result_type: bool  # every result carries `resultType` (2026-07-28)
    cache_hints: bool  # list, read and discover results carry ttlMs/cacheScope (2026-07-28)
    ping: bool  # `ping` exists (removed in 2026-07-28)
    # SEP-1303 (final in 2025-11-25): arguments failing inputSchema are an isError tool result the
    # model can read and correct, not a -32602 protocol error.
    argument_errors_as_results: bool
    resource_links: bool  # tool results may hold `resource_link` content items (2025-06-18+)
    icons: bool  # `icons` on server info, tools and resource templates (2025-11-25+)
    # resources/read of a URI the server does not have: -32002 until 2025-11-25; the code is
    # retired in 2026-07-28, where an unknown resource is invalid params.
    resource_not_found: int


REVISIONS: Final[dict[str, Revision]] = {
    r.version: r
    for r in (
        Revision("2025-03-26", False, True, False, False, False, True, False, False, False, -32002),
        Revision("2025-06-18", False, False, True, False, False, True, False, True, False, -32002),
        Revision("2025-11-25", False, False, True, False, False, True, True, True, True, -32002),
        Revision("2026-07-28", True, False, True, True, True, False, True, True, True, -32602),
    )
}
HANDSHAKE_VERSIONS: Final = tuple(v for v, r in REVISIONS.items() if not r.modern)
MODERN_VERSIONS: Final = tuple(v for v, r in REVISIONS.items() if r.modern)
SUPPORTED_VERSIONS: Final = tuple(REVISIONS)
LATEST_HANDSHAKE: Final = HANDSHAKE_VERSIONS[-1]

# Reserved `_meta` keys of the modern per-request envelope.
META_PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
META_CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"


def negotiate_handshake(requested: object) -> str:
    """The version an `initialize` answer carries: the client's if supported, else our latest."""
    if isinstance(requested, str) and requested in HANDSHAKE_VERSIONS:
        return requested
    return LATEST_HANDSHAKE
