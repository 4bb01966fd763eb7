"""OAuth clients without a client table: stateless signed registrations (RFC 7591) and CIMD URLs.

A registered client's id is a JWS (HS256, keyed from the signing key) over its redirect URIs and
metadata, so any Lambda instance verifies it without a lookup and a client cannot change what it
registered. A confidential client's secret is an HMAC of its id under another derived key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import jwt
from authlib.oauth2.rfc6749 import ClientMixin

from thoth.mcp_server.transport.auth.front.keys import KeyRing, b64url

AUTH_METHODS: Final = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES: Final = ("authorization_code", "refresh_token")
MAX_CLIENT_ID_CHARS: Final = 4096
MAX_REDIRECT_URIS: Final = 10
MAX_URI_CHARS: Final = 2000
CLIENT_ID_TYPE: Final = "thoth-client"
_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def redirect_uri_problem(uri: Any) -> str | None:
    """Why `uri` cannot be a redirect URI (https, or http to a loopback address for native apps), or None."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_CHARS:
        return "a redirect URI must be a non-empty string of at most 2000 characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return f"{uri[:120]!r} is not a URL"
    if not host or parts.fragment or parts.username or parts.password:
        return f"{uri[:120]!r} must be an absolute URL without a fragment or credentials"
    if not (uri.isascii() and uri.isprintable()) or " " in uri:
        return f"{uri[:120]!r} holds spaces or non-ASCII characters"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _loopback(host):
        return None
    return f"{uri[:120]!r} is neither https nor http to a loopback address (127.0.0.1, [::1], localhost)"


def _loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Client(ClientMixin):  # type: ignore[misc]
    """A client as Authlib's grants see it: redirect URIs, how it authenticates, what it may do."""

    client_id: str
    redirect_uris: tuple[str, ...]
    auth_method: str = "none"
    grant_types: tuple[str, ...] = GRANT_TYPES
    name: str | None = None
    secret_digest: bytes | None = None  # the expected secret, hashed (confidential clients only)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OAuth 2.1: the redirect URI must be named when a client registered several.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""  # narrowed to the front's scopes by the server (`FrontServer.granted_scope`)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact string match (OAuth 2.1 section 4.1.1)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_digest is None:
            return False
        given = hashlib.sha256(client_secret.encode("utf-8", "surrogatepass")).digest()
        return hmac.compare_digest(given, self.secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def client_secret(ring: KeyRing, client_id: str, kid: str) -> str:
    """The secret of a confidential registered client: an HMAC of its id (nothing is stored)."""
    digest = hmac.new(ring.derived("client-secret", kid), client_id.encode("ascii"), hashlib.sha256)
    return b64url(digest.digest())


def register(ring: KeyRing, metadata: dict[str, Any], now: float | None = None) -> tuple[str, str | None]:
    """A new client id (and its secret, for client_secret_* methods) for validated `metadata`."""
    kid = ring.current.kid
    claims = {
        "redirect_uris": list(metadata["redirect_uris"]),
        "auth": metadata.get("token_endpoint_auth_method", "client_secret_basic"),
        "grants": list(metadata.get("grant_types") or ["authorization_code"]),
        "iat": int(time.time() if now is None else now),
    }
    if metadata.get("client_name"):
        claims["name"] = str(metadata["client_name"])[:100]
    client_id = jwt.encode(
        claims, ring.derived("client-id", kid), algorithm="HS256", headers={"kid": kid, "typ": CLIENT_ID_TYPE}
    )
    secret = None if claims["auth"] == "none" else client_secret(ring, client_id, kid)
    return client_id, secret


def registered_client(ring: KeyRing, client_id: str) -> Client | None:
    """The client a signed id describes; None when it is forged, altered or signed by a retired key."""
    if len(client_id) > MAX_CLIENT_ID_CHARS or client_id.count(".") != 2:
        return None
    try:
        header = jwt.get_unverified_header(client_id)
        key = ring.find(header.get("kid"))
        if key is None or header.get("typ") != CLIENT_ID_TYPE:
            return None
        claims = jwt.decode(
            client_id, ring.derived("client-id", key.kid), algorithms=["HS256"], options={"require": ["iat"]}
        )
    except jwt.PyJWTError:
        return None
    uris, auth, grants = claims.get("redirect_uris"), claims.get("auth"), claims.get("grants")
    if not isinstance(uris, list) or auth not in AUTH_METHODS or not isinstance(grants, list):
        return None
    secret = None
    if auth != "none":
        secret = hashlib.sha256(client_secret(ring, client_id, key.kid).encode("ascii")).digest()
    return Client(
        client_id,
        tuple(str(uri) for uri in uris),
        auth,
        tuple(str(grant) for grant in grants if grant in GRANT_TYPES),
        claims.get("name") if isinstance(claims.get("name"), str) else None,
        secret,
    )
