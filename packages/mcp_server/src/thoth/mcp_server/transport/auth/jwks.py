"""The issuer's signing keys: found through its metadata, fetched on first use, cached, refetched sparingly.

A token naming an unknown `kid` triggers at most one refetch a minute (so rotated-in keys work at
once, and a flood of made-up kids cannot turn into a flood of fetches). Keys older than an hour
are refetched on next use. When the keys cannot be fetched the caller must refuse the request
(fail closed): KeysUnavailable, which the endpoint answers with 503.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from jwt import PyJWK
from jwt.exceptions import PyJWKError

from thoth.mcp_server.transport.auth.errors import KeysUnavailable
from thoth.mcp_server.transport.auth.fetch import FetchError, fetch_json, secure_url
from thoth.shared.errors import ThothError

FETCH_TIMEOUT_S: Final = 3.0  # an issuer slower than this is treated as down: the request fails closed
UNKNOWN_KID_REFETCH_S: Final = 60.0
KEYS_TTL_S: Final = 3600.0
RETRY_AFTER_FAILURE_S: Final = 5.0  # during an outage, requests fail at once instead of each waiting
SIGNING_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP"})  # never "oct": a shared secret is no public key

log = logging.getLogger("thoth.mcp_server.oauth")

Fetch = Callable[[str, float], dict[str, Any]]


class UnknownKey(ThothError):
    """The token names a key the issuer does not publish (the token is invalid, 401)."""


def metadata_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may live: RFC 8414 (path-inserted), then OpenID Connect Discovery."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]


class KeySet:
    """One issuer's keys, shared by every request of this process (thread-safe)."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        fetch: Fetch = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._jwks_url = jwks_url
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._failure = ""

    def key(self, kid: str | None, algorithm: str) -> PyJWK:
        """The key `kid` for `algorithm`; UnknownKey, or KeysUnavailable when the keys cannot be had."""
        with self._lock:
            now = self._clock()
            stale = now - self._fetched_at >= KEYS_TTL_S
            missing = self._find(kid) is None
            if stale or (missing and now - self._fetched_at >= UNKNOWN_KID_REFETCH_S):
                self._refresh(now)
            data = self._find(kid)
        if data is None:
            if kid is None:
                raise UnknownKey("the token names no key (kid) and the issuer publishes several")
            raise UnknownKey("the token is signed with a key the issuer does not publish")
        declared = data.get("alg")
        if declared is not None and declared != algorithm:
            raise UnknownKey(f"the token's key is for {str(declared)[:12]}, not {algorithm}")
        try:
            return PyJWK(data, algorithm)
        except PyJWKError as exc:  # e.g. an RSA algorithm named for an EC key
            raise UnknownKey(f"the token's key cannot verify {algorithm} ({type(exc).__name__})") from None

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        if kid is not None and kid in self._keys:
            return self._keys[kid]
        # One published key and no kid on one side: it is the only candidate (RFC 7515 section 4.1.4).
        if len(self._keys) == 1 and (kid is None or None in self._keys):
            return next(iter(self._keys.values()))
        return None

    def _refresh(self, now: float) -> None:
        if now - self._failed_at < RETRY_AFTER_FAILURE_S:
            raise KeysUnavailable(self._failure)
        try:
            url = self._jwks_url or self._discover()
            document = self._fetch(url, FETCH_TIMEOUT_S)
            keys = self._signing_keys(document, url)
        except (FetchError, KeysUnavailable) as exc:
            self._failed_at, self._failure = now, f"cannot fetch the signing keys of {self.issuer}: {exc}"
            log.error("oauth signing keys unavailable; refusing tokens (503)", extra={"error": self._failure})
            raise KeysUnavailable(self._failure) from None
        self._jwks_url = url
        self._keys, self._fetched_at = keys, now
        log.info("oauth signing keys fetched", extra={"jwks_url": url, "keys": len(keys)})

    def _discover(self) -> str:
        problems = []
        for url in metadata_urls(self.issuer):
            try:
                metadata = self._fetch(url, FETCH_TIMEOUT_S)
            except FetchError as exc:
                problems.append(str(exc))
                continue
            if metadata.get("issuer") != self.issuer:
                # RFC 8414 section 3.3: metadata naming another issuer must not be used.
                problems.append(f"{url} names issuer {str(metadata.get('issuer'))[:120]!r}")
                continue
            jwks_uri = metadata.get("jwks_uri")
            if isinstance(jwks_uri, str) and secure_url(jwks_uri):
                return jwks_uri
            problems.append(f"{url} has no https jwks_uri")
        raise KeysUnavailable("; ".join(problems) + "; or set THOTH_OAUTH_JWKS_URL")

    @staticmethod
    def _signing_keys(document: dict[str, Any], url: str) -> dict[str | None, dict[str, Any]]:
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise KeysUnavailable(f"{url} is not a JWK set (no 'keys' list)")
        keys: dict[str | None, dict[str, Any]] = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("kty") not in SIGNING_KEY_TYPES:
                continue
            if entry.get("use", "sig") != "sig":
                continue  # an encryption key never verifies a signature
            kid = entry.get("kid")
            keys[kid if isinstance(kid, str) else None] = entry
        if not keys:
            raise KeysUnavailable(f"{url} publishes no public signing key")
        return keys
