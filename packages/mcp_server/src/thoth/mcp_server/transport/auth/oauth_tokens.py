"""OAuth 2.1 access tokens (JWTs) for this resource server: signature, issuer, audience, time, scopes.

PyJWT (with `cryptography`) does the cryptography and the registered-claim checks; this module
decides what Thoth accepts. Imported only when a JWT-shaped bearer token arrives with OAuth on,
so the API-key and /health paths never load it (measured by `nox -s bench -- mcp`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import jwt

from thoth.mcp_server.access import claim_groups, claim_words
from thoth.mcp_server.settings import OAuthSettings
from thoth.mcp_server.transport.auth.errors import InsufficientScope, InvalidToken
from thoth.mcp_server.transport.auth.jwks import Fetch, KeySet, UnknownKey

# Larger than any real access token (Cognito ~1.1 kB; Entra ID with 200 groups ~8 kB is below the
# 8 kB header cap already enforced on every header).
MAX_TOKEN_CHARS: Final = 8000


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for (never logged in full)."""

    subject: str | None
    client_id: str | None
    scopes: frozenset[str]
    groups: frozenset[str] = frozenset()  # cognito:groups or groups: what THOTH_SOURCE_ACCESS maps


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """`scope` (RFC 9068, Cognito, Auth0, Keycloak) or `scp` (Okta, Entra ID): a string or a list."""
    return claim_words(claims, ("scope", "scp"))


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


_FAILURES: Final[tuple[tuple[type[Exception], str], ...]] = (
    (jwt.ExpiredSignatureError, "the token has expired; get a new one from the authorization server"),
    (jwt.ImmatureSignatureError, "the token is not valid yet (nbf/iat in the future); check the clocks"),
    (jwt.InvalidIssuerError, "the token was issued by another authorization server"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim (exp, iat or iss)"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.InvalidIssuedAtError, "the token's iat claim is malformed"),
    (jwt.DecodeError, "the token is malformed"),
)


class TokenVerifier:
    """Verifies access tokens against one issuer's keys; one per OAuth configuration and process."""

    def __init__(
        self,
        settings: OAuthSettings,
        fetch: Fetch | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.keys = KeySet(settings.issuer, settings.jwks_url, fetch, **({"clock": clock} if clock else {}))

    def verify(self, token: str, audiences: tuple[str, ...]) -> Principal:
        """The token's principal; InvalidToken, InsufficientScope, or KeysUnavailable (fail closed)."""
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken(f"the token is longer than {MAX_TOKEN_CHARS} characters")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a JWT") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.settings.algorithms:
            shown = algorithm[:12] if isinstance(algorithm, str) else type(algorithm).__name__
            accepted = ", ".join(self.settings.algorithms)
            raise InvalidToken(f"the token is signed with {shown!r}; this server accepts {accepted}")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's kid is not a string")
        try:
            key = self.keys.key(kid, algorithm)
        except UnknownKey as exc:
            raise InvalidToken(str(exc)) from None
        claims = self._decode(token, key, algorithm)
        self._check_audience(claims, audiences)
        scopes = _scopes(claims)
        missing = [scope for scope in self.settings.scopes if scope not in scopes]
        if missing:
            raise InsufficientScope(f"the token lacks the scope(s) {' '.join(missing)}")
        subject, client = claims.get("sub"), claims.get("client_id", claims.get("azp"))
        return Principal(
            subject if isinstance(subject, str) else None,
            client if isinstance(client, str) else None,
            scopes,
            claim_groups(claims),
        )

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iat", "iss"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            for kind, message in _FAILURES:
                if isinstance(exc, kind):
                    raise InvalidToken(message) from None
            raise InvalidToken(f"the token is invalid ({type(exc).__name__})") from None
        if not isinstance(claims.get("exp"), int | float) or not isinstance(claims.get("iat"), int | float):
            raise InvalidToken("the token's exp and iat must be numbers")
        token_use = claims.get("token_use")
        if token_use is not None and token_use != "access":  # noqa: S105 - a claim value, not a password
            # Cognito marks its ID tokens token_use=id: proof of login, not a grant to call this API.
            raise InvalidToken("the token is not an access token (token_use is not 'access')")
        return claims

    @staticmethod
    def _check_audience(claims: dict[str, Any], audiences: tuple[str, ...]) -> None:
        present = _audiences(claims)
        if present:
            if not any(aud in audiences for aud in present):
                raise InvalidToken("the token was issued for another resource (aud); request it for this one")
            return
        # Cognito access tokens carry no aud: the app client they were issued to is client_id.
        client_id = claims.get("client_id")
        if claims.get("token_use") == "access" and isinstance(client_id, str) and client_id in audiences:
            return
        raise InvalidToken("the token names no audience (aud) this server accepts")
