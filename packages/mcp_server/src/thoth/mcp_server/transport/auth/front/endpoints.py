"""The front's HTTP endpoints: metadata, JWKS, registration, /authorize, the upstream callback, /token.

Every answer is an RFC 6749 error where one applies (JSON `error` + `error_description`, or a redirect
to the client's validated redirect URI carrying `error`, `state` and `iss`). Nothing here logs a code,
a token, a client secret or a PKCE verifier: the request log holds the path without its query.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from thoth.mcp_server.access import claim_groups
from thoth.mcp_server.protocol.jsonrpc import dumps
from thoth.mcp_server.settings import HttpSettings, http_settings
from thoth.mcp_server.transport import guards
from thoth.mcp_server.transport.auth.front import paths, registration, store, upstream
from thoth.mcp_server.transport.auth.front.keys import key_ring
from thoth.mcp_server.transport.auth.front.server import (
    Context,
    FrontRequest,
    FrontServer,
    Subject,
    description,
)
from thoth.mcp_server.transport.events import HttpRequest, HttpResponse, error_response
from thoth.shared.errors import ConfigError, ThothError
from thoth.shared.secrets import Secrets

MAX_FORM_BYTES: Final = 16 * 1024
PUBLIC_CORS: Final = {"access-control-allow-origin": "*"}
LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
NO_STORE: Final = {"cache-control": "no-store", "pragma": "no-cache"}
# What an upstream may tell the client through Thoth (anything else becomes access_denied).
UPSTREAM_ERRORS: Final = frozenset({"access_denied", "temporarily_unavailable", "server_error"})

log = logging.getLogger("thoth.mcp_server.oauth_front")
_SECRETS = Secrets()


class _Headers(dict[str, str]):
    """Lowercase header names, looked up in any case (Authlib asks for "Authorization")."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, dumps(payload), {"content-type": "application/json", **(headers or {})})


def oauth_error(status: int, error: str, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    """An RFC 6749 section 5.2 error body."""
    return _json(
        status, {"error": error, "error_description": description(text)}, {**NO_STORE, **(headers or {})}
    )


def metadata(context: Context) -> dict[str, Any]:
    """RFC 8414 authorization server metadata (also served at the OpenID discovery path)."""
    issuer = context.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + paths.AUTHORIZE_PATH,
        "token_endpoint": issuer + paths.TOKEN_PATH,
        "registration_endpoint": issuer + paths.REGISTER_PATH,
        "jwks_uri": issuer + paths.JWKS_PATH,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "client_id_metadata_document_supported": True,
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": list(context.settings.scopes),
    }


def _with_iss(response: tuple[int, Any, dict[str, str]], context: Context) -> HttpResponse:
    """An Authlib answer as an HTTP response; a redirect to the client carries `iss` (RFC 9207)."""
    status, body, headers = response
    if "location" in headers:
        return HttpResponse(
            302, b"", {"location": add_params_to_uri(headers["location"], [("iss", context.issuer)])}
        )
    payload = dumps(body if isinstance(body, dict) else {"error": "server_error"})
    return HttpResponse(status, payload, {**headers, **NO_STORE, "content-type": "application/json"})


def _context(request: HttpRequest, settings: HttpSettings) -> Context | HttpResponse:
    assert settings.oauth is not None and settings.oauth.front is not None
    resource = guards.resource_url(request, settings)
    if resource is None:
        return error_response(400, "bad_request", "the Host header is missing or malformed")
    parts = urlsplit(resource)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK:
        # Codes and tokens never cross a network in clear: plain http is for `serve` on this machine.
        return oauth_error(
            403,
            "invalid_request",
            "this authorization server answers over https only (plain http on 127.0.0.1 alone); "
            "reach it through TLS, or set THOTH_OAUTH_RESOURCE to its public https /mcp URL",
        )
    return Context(f"{parts.scheme}://{parts.netloc}", resource, settings.oauth.front, key_ring())


def front_response(request: HttpRequest, note: dict[str, Any]) -> HttpResponse:
    """Answer one request to a path of `paths.FRONT_PATHS`."""
    settings = http_settings()
    if settings.oauth is None or settings.oauth.front is None or not settings.auth_enabled:
        return error_response(
            404, "not_found", "this server is no authorization server (THOTH_OAUTH_UPSTREAM is unset)"
        )
    if not guards.host_allowed(request.header("host"), settings):
        return guards.misdirected()
    note["auth"] = "oauth_front"
    try:
        context = _context(request, settings)
        if isinstance(context, HttpResponse):
            return context
        return _route(request, context)
    except ThothError as exc:  # the state table, a secret or the signing key out of reach
        log.error("oauth front unavailable", extra={"error": str(exc)[:500]})
        if isinstance(exc, ConfigError):
            return oauth_error(503, "server_error", "the authorization server is misconfigured; see its logs")
        return oauth_error(
            503, "temporarily_unavailable", "the authorization server cannot answer now; retry"
        )


def _route(request: HttpRequest, context: Context) -> HttpResponse:
    path, method = request.path, request.method
    public = path in (paths.AS_METADATA_PATH, paths.OPENID_METADATA_PATH, paths.JWKS_PATH)
    if method == "OPTIONS" and (public or path in (paths.TOKEN_PATH, paths.REGISTER_PATH)):
        allowed = "GET" if public else "POST"
        return HttpResponse(
            204,
            b"",
            {
                **PUBLIC_CORS,
                "access-control-allow-methods": allowed,
                "access-control-allow-headers": "authorization, content-type, mcp-protocol-version",
                "access-control-max-age": "600",
            },
        )
    if public:
        if method not in ("GET", "HEAD"):
            return error_response(405, "method_not_allowed", "use GET", {"allow": "GET, HEAD", **PUBLIC_CORS})
        document = context.keys.jwks() if path == paths.JWKS_PATH else metadata(context)
        response = _json(200, document, {**PUBLIC_CORS, "cache-control": "public, max-age=300"})
        if method == "HEAD":
            response.body = b""
        return response
    if path in (paths.AUTHORIZE_PATH, paths.CALLBACK_PATH):
        if method != "GET":
            return error_response(405, "method_not_allowed", "use GET", {"allow": "GET"})
        pairs = parse_qsl(request.query, keep_blank_values=True)
        return (
            authorize(request, context, pairs)
            if path == paths.AUTHORIZE_PATH
            else callback(request, context, pairs)
        )
    if method != "POST":
        return error_response(405, "method_not_allowed", "use POST", {"allow": "POST", **PUBLIC_CORS})
    if len(request.body) > MAX_FORM_BYTES:
        return oauth_error(413, "invalid_request", f"the body exceeds {MAX_FORM_BYTES} bytes", PUBLIC_CORS)
    if path == paths.REGISTER_PATH:
        return _cors(registration.register(request, context, metadata(context)))
    return _cors(token(request, context))


def _cors(response: HttpResponse) -> HttpResponse:
    response.headers.update(PUBLIC_CORS)
    return response


def _uri(context: Context, path: str) -> str:
    return context.issuer + path


def authorize(request: HttpRequest, context: Context, pairs: list[tuple[str, str]]) -> HttpResponse:
    """Check the client's request, remember it, and send the browser to the upstream's sign-in."""
    server = FrontServer(context)
    oauth_request = FrontRequest("GET", _uri(context, paths.AUTHORIZE_PATH), _Headers(request.headers), pairs)
    try:
        grant = server.get_consent_grant(oauth_request)
    except OAuth2Error as error:
        return _with_iss(server.handle_error_response(oauth_request, error), context)
    try:
        found, _ = upstream.discover(context.settings.upstream)
    except upstream.UpstreamError as exc:
        log.error("oauth upstream unavailable", extra={"error": str(exc)[:500]})
        unavailable = OAuth2Error(
            "the sign-in provider cannot be reached; try again shortly",
            error="temporarily_unavailable",
            redirect_uri=grant.redirect_uri,
            state=oauth_request.payload.state,
        )
        return _with_iss(server.handle_error_response(oauth_request, unavailable), context)
    state, verifier, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(64), secrets.token_urlsafe(16)
    pending = {
        "params": [list(pair) for pair in pairs],
        "verifier": verifier,
        "nonce": nonce,
        "issuer": context.issuer,
    }
    client_id, _ = upstream.credentials(context.settings.client_id, _SECRETS)
    store.save(store.PENDING, state, pending, store.PENDING_TTL_S)
    location = upstream.authorization_url(
        found,
        client_id,
        _uri(context, paths.CALLBACK_PATH),
        context.settings.upstream_scopes,
        state,
        create_s256_code_challenge(verifier),
        nonce,
    )
    return HttpResponse(302, b"", {"location": location})


def callback(request: HttpRequest, context: Context, pairs: list[tuple[str, str]]) -> HttpResponse:
    """The upstream's answer: exchange its code, then give the client its own one-time code."""
    answer = dict(pairs)
    pending = store.take_pending(answer["state"]) if answer.get("state") else None
    if pending is None or pending.get("issuer") != context.issuer:
        return oauth_error(
            400,
            "invalid_request",
            "this sign-in is unknown, expired or already completed; start again from your MCP client",
        )
    server = FrontServer(context)
    params = [(str(name), str(value)) for name, value in pending["params"]]
    oauth_request = FrontRequest(
        "GET", _uri(context, paths.AUTHORIZE_PATH), _Headers(request.headers), params
    )
    try:
        grant = server.get_consent_grant(oauth_request)  # checked again: a CIMD document may have changed
    except OAuth2Error as error:
        return _with_iss(server.handle_error_response(oauth_request, error), context)
    try:
        subject = _sign_in(context, answer, pending)
    except OAuth2Error as error:
        error.redirect_uri, error.state = grant.redirect_uri, oauth_request.payload.state
        return _with_iss(server.handle_error_response(oauth_request, error), context)
    response = server.create_authorization_response(oauth_request, grant_user=subject, grant=grant)
    return _with_iss(response, context)


def _sign_in(context: Context, answer: dict[str, str], pending: dict[str, Any]) -> Subject:
    """Who signed in upstream; OAuth2Error (for the client) when they did not."""
    if "error" in answer:
        error = answer["error"] if answer["error"] in UPSTREAM_ERRORS else "access_denied"
        raise OAuth2Error("the sign-in provider did not sign you in", error=error)
    if not answer.get("code"):
        raise OAuth2Error("the sign-in provider sent no code", error="server_error")
    try:
        found, keys = upstream.discover(context.settings.upstream)
        client_id, secret = upstream.credentials(context.settings.client_id, _SECRETS)
        tokens = upstream.exchange(
            found,
            client_id,
            secret,
            answer["code"],
            _uri(context, paths.CALLBACK_PATH),
            str(pending["verifier"]),
        )
        claims = upstream.identity(found, keys, tokens["id_token"], client_id, str(pending["nonce"]))
    except upstream.UpstreamError as exc:
        log.warning("oauth upstream sign-in failed", extra={"error": str(exc)[:500]})
        raise OAuth2Error(
            "the sign-in provider's answer could not be used; try again", error="server_error"
        ) from None
    email = claims.get("email")
    groups = tuple(sorted(claim_groups(claims)))
    return Subject(
        claims["sub"],
        secrets.token_urlsafe(16),
        context.resource,
        email if isinstance(email, str) else None,
        groups,
    )


def token(request: HttpRequest, context: Context) -> HttpResponse:
    """POST /oauth/token: the authorization-code and refresh-token grants (Authlib)."""
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return oauth_error(
            400, "invalid_request", "send the token request as application/x-www-form-urlencoded"
        )
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return oauth_error(400, "invalid_request", "the token request is not UTF-8")
    server = FrontServer(context)
    oauth_request = FrontRequest("POST", _uri(context, paths.TOKEN_PATH), _Headers(request.headers), pairs)
    return _with_iss(server.create_token_response(oauth_request), context)
