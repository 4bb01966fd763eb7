"""Checks every MCP request passes before any JSON-RPC is read: Host, Origin (CORS), credentials.

With OAuth on, refusals carry the RFC 6750 / RFC 9728 challenge that MCP clients start their
sign-in from: `WWW-Authenticate: Bearer resource_metadata="<this server's metadata URL>"`.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from thoth.mcp_server.protocol.jsonrpc import INVALID_REQUEST, RpcError, rpc_error
from thoth.mcp_server.settings import HttpSettings
from thoth.mcp_server.transport.auth.api_keys import AuthResult, challenge
from thoth.mcp_server.transport.auth.authenticator import AuthDecision, Authenticator
from thoth.mcp_server.transport.events import HttpRequest, HttpResponse, error_response, json_response
from thoth.mcp_server.transport.failures import failure_response
from thoth.shared.errors import ThothError

PREFLIGHT_HEADERS: Final = {
    "access-control-allow-methods": "POST",
    "access-control-allow-headers": "authorization, x-api-key, content-type, accept, "
    "mcp-protocol-version, mcp-method, mcp-name",
    "access-control-max-age": "600",
}
RESOURCE_METADATA_PATH: Final = "/.well-known/oauth-protected-resource"
REALM: Final = 'Bearer realm="thoth-mcp"'
# A Host / domain name the resource URL may be built from (DNS name or bracketed IPv6, optional port).
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::\d{1,5})?"
    r"|\[[0-9a-f:.]{2,45}\](?::\d{1,5})?"
)
# RFC 6750 section 3: error_description may hold only these characters.
_UNQUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


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
    """Origin allowlist; only a printable ASCII origin can ever be echoed back in a header.

    An entry ending in `:*` matches its scheme and host on any port (or none): `nox -s serve`
    allows http://localhost:* and the other loopback names that way.
    """
    if not (origin.isascii() and origin.isprintable()):
        return False
    value = origin.strip().lower().rstrip("/")
    if settings.any_origin or value in settings.allowed_origins:
        return True
    base, colon, port = value.rpartition(":")
    if colon and port.isdigit():
        return f"{base}:*" in settings.allowed_origins
    return f"{value}:*" in settings.allowed_origins


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
    # Browser clients must be able to read the challenge to start an OAuth sign-in.
    return {
        "access-control-allow-origin": origin,
        "vary": "Origin",
        "access-control-expose-headers": "www-authenticate",
    }


def misdirected() -> HttpResponse:
    return error_response(
        421, "misdirected_request", "Host is not served here; add it to THOTH_ALLOWED_HOSTS"
    )


def preflight(cors: dict[str, str]) -> HttpResponse:
    return HttpResponse(204, b"", {**cors, **PREFLIGHT_HEADERS})


def resource_url(request: HttpRequest, settings: HttpSettings) -> str | None:
    """This server's /mcp URL as OAuth sees it: THOTH_OAUTH_RESOURCE, else built from the domain the
    request reached (AWS's requestContext.domainName on Lambda, the Host locally); None if unusable."""
    assert settings.oauth is not None
    if settings.oauth.resource:
        return settings.oauth.resource
    domain = (request.domain or request.header("host") or "").strip().lower()
    if not _DOMAIN.fullmatch(domain):
        return None
    # Function URLs and HTTP APIs are https-only; `nox -s serve` is plain http on this machine.
    return f"{'https' if settings.on_lambda else 'http'}://{domain}/mcp"


def metadata_url(resource: str) -> str:
    """RFC 9728 section 3.1: the well-known suffix inserted between the host and the resource's path."""
    parts = urlsplit(resource)
    return f"{parts.scheme}://{parts.netloc}{RESOURCE_METADATA_PATH}{parts.path.rstrip('/')}"


def metadata_paths(resource: str) -> frozenset[str]:
    """Where the metadata is served: the RFC 9728 path-inserted URL, and the root one for clients that
    probe only that (both describe the same resource: /mcp is the only protected one here)."""
    return frozenset({RESOURCE_METADATA_PATH, urlsplit(metadata_url(resource)).path})


def resource_metadata(resource: str, settings: HttpSettings) -> dict[str, Any]:
    """The RFC 9728 protected resource metadata document."""
    assert settings.oauth is not None
    return {
        "resource": resource,
        "authorization_servers": [settings.oauth.issuer],
        "scopes_supported": list(settings.oauth.scopes),
        "bearer_methods_supported": ["header"],
        "resource_name": "Thoth handbook search",
    }


def _oauth_challenge(decision: AuthDecision, settings: HttpSettings, resource: str) -> str:
    assert settings.oauth is not None
    parts = [REALM]
    if decision.error:
        parts.append(f'error="{decision.error}"')
        if decision.reason:
            parts.append(f'error_description="{_UNQUOTABLE.sub("", decision.reason)[:200]}"')
    parts.append(f'resource_metadata="{metadata_url(resource)}"')
    if settings.oauth.scopes and decision.error in (None, "insufficient_scope"):
        parts.append(f'scope="{" ".join(settings.oauth.scopes)}"')
    return ", ".join(parts)


def _refusal(decision: AuthDecision, settings: HttpSettings, resource: str | None) -> HttpResponse:
    if settings.oauth is None or resource is None:
        return error_response(
            401,
            "unauthorized",
            "missing or invalid API key; send 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
            {"www-authenticate": challenge(AuthResult(False, decision.error))},
        )
    header = {"www-authenticate": _oauth_challenge(decision, settings, resource)}
    if decision.status == 403:
        scopes = " ".join(settings.oauth.scopes)
        return error_response(
            403, "insufficient_scope", f"{decision.reason}; sign in again granting: {scopes}", header
        )
    if decision.error:
        return error_response(401, "invalid_token", f"invalid token: {decision.reason}", header)
    return error_response(
        401,
        "unauthorized",
        "sign in: this server accepts OAuth access tokens from the authorization server named in its "
        f"metadata ({metadata_url(resource)}), or an API key as 'x-api-key: <key>'",
        header,
    )


def _token_in_url(query: str) -> bool:
    return any(name.lower() == "access_token" for name, _ in parse_qsl(query, keep_blank_values=True))


def authorize(
    auth: Authenticator, request: HttpRequest, settings: HttpSettings, note: dict[str, Any] | None = None
) -> HttpResponse | None:
    """None when the request may proceed, else the 400/401/403 (or 503 when the server cannot decide)."""
    outcome = authenticate(auth, request, settings, note)
    return outcome if isinstance(outcome, HttpResponse) else None


def authenticate(
    auth: Authenticator, request: HttpRequest, settings: HttpSettings, note: dict[str, Any] | None = None
) -> HttpResponse | AuthDecision:
    """The caller's AuthDecision (its sources too) when it may proceed, else the refusal to send."""
    if not settings.auth_enabled:
        return AuthDecision(True)
    if _token_in_url(request.query):
        return error_response(
            400,
            "invalid_request",
            "send the token in the Authorization header, never in the URL (URLs get logged)",
        )
    resource = None
    if settings.oauth is not None:
        resource = resource_url(request, settings)
        if resource is None:
            return error_response(400, "bad_request", "the Host header is missing or malformed")
    audiences = (settings.oauth.audiences or (resource,)) if settings.oauth and resource else ()
    try:
        decision = auth.check(request.headers, settings.oauth, audiences)
    except ThothError as exc:  # signing keys out of reach, no API keys, a malformed secret, ...
        return failure_response(exc, "auth")
    if decision.ok:
        if note is not None:
            note["auth"] = decision.method
        return decision
    return _refusal(decision, settings, resource)
