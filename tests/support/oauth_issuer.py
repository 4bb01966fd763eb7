"""A scripted OAuth issuer for the unit tests: real keys (cryptography), real JWTs (PyJWT), no network.

Its `fetch` stands in for the HTTP GET of the issuer's metadata and JWKS, so a test can count
fetches, take the issuer down, or rotate keys. Functional and e2e tests use real issuers instead
(moto's Cognito, oidc-provider-mock).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.mcp_app import FakeCatalog
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.settings import OAuthSettings
from thoth.mcp_server.transport.auth.authenticator import Authenticator
from thoth.mcp_server.transport.auth.fetch import FetchError
from thoth.mcp_server.transport.auth.oauth_tokens import TokenVerifier

ISSUER = "https://issuer.example/realms/thoth"
JWKS_URL = "https://issuer.example/realms/thoth/protocol/openid-connect/certs"
AUDIENCE = "https://thoth.example/mcp"
SCOPE = "thoth/search"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    """Keys by kid, the documents it serves, and a record of every fetch."""

    keys: dict[str, Any] = field(default_factory=lambda: {"k1": rsa_key()})
    down: bool = False
    fetches: list[str] = field(default_factory=list)
    extra_jwks: list[dict[str, Any]] = field(default_factory=list)
    metadata_issuer: str = ISSUER

    def jwk(self, kid: str) -> dict[str, Any]:
        key = self.keys[kid]
        algorithm = (
            jwt.algorithms.ECAlgorithm
            if isinstance(key, ec.EllipticCurvePrivateKey)
            else jwt.algorithms.RSAAlgorithm
        )
        data: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
        data.update(kid=kid, use="sig")
        return data

    def fetch(self, url: str, timeout_s: float) -> dict[str, Any]:
        self.fetches.append(url)
        assert 0 < timeout_s <= 5, "every fetch is bounded in time"
        if self.down:
            raise FetchError(f"{url} is unreachable (connection refused)")
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return {"issuer": self.metadata_issuer, "jwks_uri": JWKS_URL}
        if url == JWKS_URL:
            return {"keys": [self.jwk(kid) for kid in self.keys] + self.extra_jwks}
        raise FetchError(f"{url} answered HTTP 404")

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "user-1",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 300,
            "scope": f"openid {SCOPE}",
            "client_id": "client-1",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid: str = "k1", algorithm: str = "RS256", key: Any = None, **claims: Any) -> str:
        headers = {"kid": kid} if kid else {}
        signing = key if key is not None else self.keys[kid]
        return jwt.encode(self.claims(**claims), signing, algorithm=algorithm, headers=headers)

    def public_pem(self, kid: str = "k1") -> bytes:
        return (
            self.keys[kid]
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with `alg: none` (or any header), which no library would produce on request."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}."


def hs256_with_public_key(issuer: Issuer, claims: dict[str, Any]) -> str:
    """The classic algorithm-confusion forgery: HMAC-SHA256 keyed with the issuer's public key."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = b64url(json.dumps(claims).encode())
    signature = hmac.new(issuer.public_pem(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(signature)}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oauth_app(issuer: Issuer, clock: Clock | None = None) -> App:
    def verifier(settings: OAuthSettings) -> TokenVerifier:
        return TokenVerifier(settings, fetch=issuer.fetch, clock=clock)

    return App(catalog=FakeCatalog(), auth=Authenticator(verifiers=verifier))
