"""Checks every MCP request passes before any JSON-RPC is read: Host, Origin (CORS), API key."""

from __future__ import annotations

import logging
from typing import Final

from thoth.mcp_server.protocol.jsonrpc import INVALID_REQUEST, RpcError, rpc_error
from thoth.mcp_server.settings import HttpSettings
from thoth.mcp_server.transport.api_keys import ApiKeyAuth, challenge
from thoth.mcp_server.transport.events import HttpRequest, HttpResponse, error_response, json_response
from thoth.shared.errors import ThothError

PREFLIGHT_HEADERS: Final = {
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": "authorization, x-api-key, content-type, accept, "
    "mcp-protocol-version, mcp-method, mcp-name",
    "access-control-max-age": "600",
}

log = logging.getLogger("thoth.mcp_server.guards")


def host_allowed(host: str | None, settings: HttpSettings) -> bool:
    """Host allowlist (DNS-rebinding guard); an entry without a port matches any port."""
    if settings.allowed_hosts is None:
        return True
    if not host:
        return False
    host = host.strip().lower()
    bare = host if host.endswith("]") else host.rsplit(":", 1)[0]
    return host in settings.allowed_hosts or bare in settings.allowed_hosts


def origin_allowed(origin: str, settings: HttpSettings) -> bool:
    """Origin allowlist; only a printable ASCII origin can ever be echoed back in a header."""
    if not (origin.isascii() and origin.isprintable()):
        return False
    return settings.any_origin or origin.strip().lower().rstrip("/") in settings.allowed_origins


def cross_origin(request: HttpRequest, settings: HttpSettings) -> dict[str, str] | HttpResponse:
    """CORS headers for an allowed Origin ({} without one), or the 403 for a forbidden one."""
    origin = request.header("origin")
    if origin is None:
        return {}
    if not origin_allowed(origin, settings):
        error = RpcError(
            INVALID_REQUEST, "Forbidden: this Origin is not allowed; add it to THOTH_ALLOWED_ORIGINS"
        )
        return json_response(403, rpc_error(None, error))
    return {"access-control-allow-origin": origin, "vary": "Origin"}


def misdirected() -> HttpResponse:
    return error_response(
        421, "misdirected_request", "Host is not served here; add it to THOTH_ALLOWED_HOSTS"
    )


def preflight(cors: dict[str, str]) -> HttpResponse:
    return HttpResponse(204, b"", {**cors, **PREFLIGHT_HEADERS})


def authorize(auth: ApiKeyAuth, request: HttpRequest, settings: HttpSettings) -> HttpResponse | None:
    """None when the request may proceed, else the 401 (or 503 when no key is configured)."""
    if not settings.auth_enabled:
        return None
    try:
        result = auth.check(request.headers)
    except ThothError as exc:  # no keys, a malformed secret, or Secrets Manager unreachable
        log.error("authentication is not configured: %s", exc)
        return error_response(503, "auth_not_configured", "authentication is not configured on this server")
    if result.ok:
        return None
    return error_response(
        401,
        "unauthorized",
        "missing or invalid API key; send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
        {"www-authenticate": challenge(result)},
    )
