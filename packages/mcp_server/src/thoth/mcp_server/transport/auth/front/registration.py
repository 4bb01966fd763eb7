"""POST /oauth/register (RFC 7591): open dynamic registration that stores nothing.

Authlib validates the metadata (RFC 7591 section 2 against this server's metadata); Thoth adds its
redirect-URI rule and answers with a signed client id (`clients.register`).
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint

from thoth.mcp_server.protocol.jsonrpc import dumps
from thoth.mcp_server.transport.auth.front.clients import GRANT_TYPES, MAX_REDIRECT_URIS, redirect_uri_problem
from thoth.mcp_server.transport.auth.front.clients import register as sign_registration
from thoth.mcp_server.transport.auth.front.server import Context, description
from thoth.mcp_server.transport.events import HttpRequest, HttpResponse

NO_STORE: Final = {"cache-control": "no-store", "pragma": "no-cache", "content-type": "application/json"}


class _JsonPayload:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


class _JsonRequest:
    def __init__(self, data: dict[str, Any]) -> None:
        self.payload = _JsonPayload(data)


class _Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Authlib's RFC 7591 metadata checks against this server's metadata (scopes are not limited here:
    a client asking for scopes Thoth does not know is registered; /authorize grants Thoth's only)."""

    def __init__(self, server_metadata: dict[str, Any]) -> None:
        super().__init__()
        self._metadata = {k: v for k, v in server_metadata.items() if k != "scopes_supported"}

    def get_server_metadata(self) -> dict[str, Any]:
        return self._metadata


def _error(error: str, text: str) -> HttpResponse:
    return HttpResponse(400, dumps({"error": error, "error_description": description(text)}), dict(NO_STORE))


def register(request: HttpRequest, context: Context, server_metadata: dict[str, Any]) -> HttpResponse:
    """Validate the client's metadata and answer 201 with its stateless id (and secret, when confidential)."""
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error("invalid_client_metadata", "send the client metadata as a JSON object")
    if not isinstance(data, dict) or not data:
        return _error("invalid_client_metadata", "send the client metadata as a JSON object")
    uris = data.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > MAX_REDIRECT_URIS:
        return _error("invalid_redirect_uri", f"register 1 to {MAX_REDIRECT_URIS} redirect_uris")
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            return _error("invalid_redirect_uri", problem)
    try:
        metadata = _Registration(server_metadata).extract_client_metadata(_JsonRequest(data))
    except OAuth2Error as error:
        return _error(
            error.error or "invalid_client_metadata", error.description or "invalid client metadata"
        )
    grants = metadata.get("grant_types") or ["authorization_code"]
    if "authorization_code" not in grants or not set(grants) <= set(GRANT_TYPES):
        return _error(
            "invalid_client_metadata", f"grant_types must include authorization_code, among {GRANT_TYPES}"
        )
    metadata["token_endpoint_auth_method"] = (
        metadata.get("token_endpoint_auth_method") or "client_secret_basic"
    )
    client_id, secret = sign_registration(context.keys, metadata)
    body: dict[str, Any] = {
        "client_id": client_id,
        "client_id_issued_at": int(time.time()),
        "redirect_uris": uris,
        "token_endpoint_auth_method": metadata["token_endpoint_auth_method"],
        "grant_types": grants,
        "response_types": ["code"],
    }
    if secret is not None:
        body.update(client_secret=secret, client_secret_expires_at=0)
    if metadata.get("client_name"):
        body["client_name"] = str(metadata["client_name"])[:100]
    return HttpResponse(201, dumps(body), dict(NO_STORE))
