"""Who may call /mcp: API keys always; OAuth access tokens (JWTs) as well when an issuer is configured.

A bearer token shaped like a JWT goes to the OAuth verifier, anything else to the API keys, so
neither path pays for the other: an API key never loads PyJWT/cryptography, and a JWT never
causes a Secrets Manager re-read. (API keys never contain dots: `secrets.token_urlsafe`.)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, NamedTuple

from thoth.mcp_server.access import Sources, token_policy, token_sources
from thoth.mcp_server.settings import OAuthSettings
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth, presented_key
from thoth.mcp_server.transport.auth.errors import InsufficientScope, InvalidToken

if TYPE_CHECKING:
    from thoth.mcp_server.transport.auth.oauth_tokens import TokenVerifier

# base64url header (a JSON object, so it starts "eyJ"), payload, signature.
_JWT_SHAPE: Final = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

VerifierFactory = Callable[[OAuthSettings], "TokenVerifier"]


class AuthDecision(NamedTuple):
    """The outcome for one request: allowed, or the status and RFC 6750 error to answer with."""

    ok: bool
    status: int = 200
    error: str | None = None  # invalid_token | insufficient_scope; None: no credentials were sent
    reason: str | None = None  # safe to show the caller: what is wrong, what to do
    method: str | None = None  # "api_key" | "oauth", for the request log
    sources: Sources = None  # what the caller may read (None: every source); never logged


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of `Authorization: Bearer <token>`, if that is the header's scheme."""
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def looks_like_jwt(token: str) -> bool:
    return _JWT_SHAPE.fullmatch(token) is not None


def _default_factory(settings: OAuthSettings) -> TokenVerifier:
    from thoth.mcp_server.transport.auth.oauth_tokens import TokenVerifier  # PyJWT + cryptography: OAuth only

    return TokenVerifier(settings)


class Authenticator:
    """Checks one request's credentials; keeps one token verifier (and its key cache) per OAuth setup."""

    def __init__(self, api_keys: ApiKeyAuth | None = None, verifiers: VerifierFactory | None = None) -> None:
        self.api_keys = api_keys or ApiKeyAuth()
        self._factory = verifiers or _default_factory
        self._lock = threading.Lock()
        self._verifier: tuple[OAuthSettings, TokenVerifier] | None = None

    def verifier(self, settings: OAuthSettings) -> TokenVerifier:
        with self._lock:
            if self._verifier is None or self._verifier[0] != settings:
                self._verifier = (settings, self._factory(settings))
            return self._verifier[1]

    def check(
        self, headers: Mapping[str, str], oauth: OAuthSettings | None, audiences: tuple[str, ...]
    ) -> AuthDecision:
        """Allowed or refused; raises ThothError when the server cannot decide (no keys, keys down)."""
        if oauth is None:
            return self._api_key(headers)
        token = bearer_token(headers)
        if token is not None and looks_like_jwt(token):
            policy = token_policy()  # a malformed policy refuses every token, with the fix (ConfigError)
            try:
                principal = self.verifier(oauth).verify(token, audiences)
            except InvalidToken as exc:
                return AuthDecision(False, 401, "invalid_token", str(exc))
            except InsufficientScope as exc:
                return AuthDecision(False, 403, "insufficient_scope", str(exc))
            sources = token_sources(principal.groups, principal.scopes, policy)
            return AuthDecision(True, method="oauth", sources=sources)
        if presented_key(headers) is None:
            return AuthDecision(False, 401)
        if not self.api_keys.configured():  # an OAuth-only deployment: nothing else is a credential
            return AuthDecision(False, 401, "invalid_token", "the token is not an access token (JWT)")
        return self._api_key(headers)

    def _api_key(self, headers: Mapping[str, str]) -> AuthDecision:
        result = self.api_keys.check(headers)
        if not result.ok:
            return AuthDecision(False, 401, result.error)
        return AuthDecision(True, method="api_key", sources=result.sources)
