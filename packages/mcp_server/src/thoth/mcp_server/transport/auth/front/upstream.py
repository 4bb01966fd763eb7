"""The upstream OpenID provider (Cognito, or any): discovery, sign-in redirect, code exchange, the user.

Thoth is one confidential client of the upstream with one callback (`/oauth/callback`), and uses PKCE
(S256) there too, whether or not the upstream's metadata advertises it (Cognito's does not). The ID
token comes straight from the token endpoint over TLS, and is still verified against the upstream's
keys (issuer, audience = Thoth's client id, expiry, nonce) before its `sub` is trusted.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Final, NamedTuple
from urllib.parse import quote, urlencode

import jwt

from thoth.mcp_server.settings import ASYMMETRIC_ALGORITHMS
from thoth.mcp_server.transport.auth.errors import KeysUnavailable
from thoth.mcp_server.transport.auth.fetch import (
    USER_AGENT,
    FetchError,
    fetch_json,
    is_loopback_http,
    secure_url,
)
from thoth.mcp_server.transport.auth.jwks import KeySet, UnknownKey, metadata_urls
from thoth.shared.errors import ConfigError, ThothError
from thoth.shared.logging import register_secret
from thoth.shared.secrets import Secrets

FETCH_TIMEOUT_S: Final = 3.0
EXCHANGE_TIMEOUT_S: Final = 10.0
METADATA_TTL_S: Final = 3600.0
MAX_RESPONSE_BYTES: Final = 64 * 1024
LEEWAY_S: Final = 60
CLIENT_SECRET_NAME: Final = "oauth-client-secret"  # noqa: S105 - the secret's name, not its value
CREDENTIALS_FIX: Final = (
    "set THOTH_OAUTH_UPSTREAM_CLIENT_ID (and THOTH_OAUTH_UPSTREAM_CLIENT_SECRET locally), or store "
    '{"client_id": "...", "client_secret": "..."} in the thoth/<env>/oauth-client-secret secret'
)


class UpstreamError(ThothError):
    """The upstream provider failed or answered something unusable (never names a code or token)."""


class Upstream(NamedTuple):
    """The endpoints Thoth uses, from the upstream's metadata."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_lock = threading.Lock()
_known: dict[str, tuple[float, Upstream, KeySet]] = {}


def discover(issuer: str, fetch: Any = None) -> tuple[Upstream, KeySet]:
    """The upstream's endpoints and key set (cached an hour per issuer); UpstreamError otherwise.

    Plain http endpoints only for an upstream on this machine (a test issuer), as for any issuer.
    """
    loopback = is_loopback_http(issuer)
    get: Any = fetch or functools.partial(fetch_json, loopback_http=loopback)
    now = time.monotonic()
    with _lock:
        cached = _known.get(issuer)
        if cached and now - cached[0] < METADATA_TTL_S:
            return cached[1], cached[2]
    problems = []
    for url in reversed(metadata_urls(issuer)):  # OpenID discovery first: Cognito has no RFC 8414 document
        try:
            metadata = get(url, FETCH_TIMEOUT_S)
        except FetchError as exc:
            problems.append(str(exc))
            continue
        if metadata.get("issuer") != issuer:
            problems.append(f"{url} names issuer {str(metadata.get('issuer'))[:120]!r}")
            continue
        endpoints = [metadata.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
        if not all(isinstance(e, str) and secure_url(e, loopback) for e in endpoints):
            problems.append(f"{url} lacks an https authorization_endpoint, token_endpoint or jwks_uri")
            continue
        upstream = Upstream(issuer, *endpoints)
        keys = KeySet(issuer, upstream.jwks_uri, fetch)
        with _lock:
            _known[issuer] = (now, upstream, keys)
        return upstream, keys
    raise UpstreamError(f"the upstream provider {issuer} cannot be discovered: {'; '.join(problems)}")


def authorization_url(
    upstream: Upstream,
    client_id: str,
    callback: str,
    scopes: tuple[str, ...],
    state: str,
    challenge: str,
    nonce: str,
) -> str:
    """Where the user's browser signs in upstream, coming back to Thoth's one callback."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": " ".join(scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in upstream.authorization_endpoint else "?"
    return f"{upstream.authorization_endpoint}{separator}{query}"


def credentials(configured_id: str | None, secrets: Secrets) -> tuple[str, str | None]:
    """Thoth's upstream client id and secret. The secret holds the secret alone, or (as Terraform writes
    it: the app client is created after the function, whose URL is its callback) a JSON object with both."""
    raw = secrets.get(CLIENT_SECRET_NAME)
    client_id, secret = configured_id, raw
    if raw is not None and raw.lstrip().startswith("{"):
        try:
            document = json.loads(raw)
        except ValueError:
            raise ConfigError(
                f"the upstream client secret starts with '{{' but is not JSON; {CREDENTIALS_FIX}"
            ) from None
        stored_id, secret = document.get("client_id"), document.get("client_secret")
        if not isinstance(stored_id, str) or not (secret is None or isinstance(secret, str)):
            raise ConfigError(
                f"the upstream client secret's JSON lacks a string client_id; {CREDENTIALS_FIX}"
            )
        if configured_id and configured_id != stored_id:
            raise ConfigError(
                "THOTH_OAUTH_UPSTREAM_CLIENT_ID differs from the client_id in the oauth-client-secret "
                "secret; unset THOTH_OAUTH_UPSTREAM_CLIENT_ID or fix the secret"
            )
        client_id = stored_id
        register_secret(secret)
    if not client_id:
        raise ConfigError(f"the front has no upstream client id; {CREDENTIALS_FIX}")
    return client_id, secret or None


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 section 2.3.1: both parts form-urlencoded before the base64.
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def exchange(
    upstream: Upstream, client_id: str, secret: str | None, code: str, callback: str, verifier: str
) -> dict[str, Any]:
    """The upstream's token response for `code`; UpstreamError (without the code) otherwise."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback,
        "code_verifier": verifier,
    }
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "accept": "application/json",
        "user-agent": USER_AGENT,
    }
    if secret:
        headers["authorization"] = _basic(client_id, secret)
    else:
        form["client_id"] = client_id
    # https (or loopback http) only: checked in `discover`.
    request = urllib.request.Request(  # noqa: S310
        upstream.token_endpoint, data=urlencode(form).encode("ascii"), headers=headers, method="POST"
    )
    deadline = time.monotonic() + EXCHANGE_TIMEOUT_S
    try:
        with urllib.request.urlopen(request, timeout=EXCHANGE_TIMEOUT_S) as response:  # noqa: S310
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = _error_code(exc.read(4096))
        raise UpstreamError(
            f"the upstream token endpoint refused the code (HTTP {exc.code}{detail})"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise UpstreamError(
            f"the upstream token endpoint is unreachable ({getattr(exc, 'reason', exc)})"
        ) from None
    if time.monotonic() > deadline or len(body) > MAX_RESPONSE_BYTES:
        raise UpstreamError("the upstream token endpoint answered too slowly or too much")
    try:
        tokens = json.loads(body)
    except ValueError:
        raise UpstreamError("the upstream token endpoint did not answer JSON") from None
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise UpstreamError(
            "the upstream token response holds no id_token; ask upstream for the 'openid' scope"
        )
    return tokens


def _error_code(body: bytes) -> str:
    """`: <error>` from an RFC 6749 error body (the code is an enumerated word, safe to log)."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return ""
    return f": {error}" if isinstance(error, str) and error.isidentifier() else ""


def identity(upstream: Upstream, keys: KeySet, id_token: str, client_id: str, nonce: str) -> dict[str, Any]:
    """The verified claims of the upstream ID token (sub, and email when present)."""
    try:
        header = jwt.get_unverified_header(id_token)
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise UpstreamError(
                f"the upstream ID token is signed with {str(algorithm)[:12]!r}, not a public key"
            )
        key = keys.key(header.get("kid"), algorithm)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=upstream.issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        )
    except (UnknownKey, KeysUnavailable) as exc:
        raise UpstreamError(f"the upstream ID token cannot be verified: {exc}") from None
    except jwt.PyJWTError as exc:
        raise UpstreamError(f"the upstream ID token is invalid ({type(exc).__name__})") from None
    if claims.get("nonce") != nonce:
        raise UpstreamError("the upstream ID token's nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise UpstreamError("the upstream ID token names no subject")
    return claims
