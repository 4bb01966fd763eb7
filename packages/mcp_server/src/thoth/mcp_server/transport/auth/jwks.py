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
from thoth.mcp_server.transport.auth.fetch import FetchError, fetch_json, is_loopback_http, secure_url
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


def _left(deadline: float, url: str) -> float:
    """Seconds left of the fetch budget for the next request; FetchError once none are."""
    left = deadline - time.monotonic()
    if left <= 0.05:
        raise FetchError(
            f"{url} was not tried: the {FETCH_TIMEOUT_S:g}-second budget of the key fetch is spent"
        )
    return left


def metadata_urls(issuer: str) -> list[str]:
    """Where the issuer's metadata may live: RFC 8414 (path-inserted), then OpenID Connect Discovery."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{issuer.rstrip('/')}/.well-known/openid-configuration",
    ]


class _Flight:
    """One fetch of the keys in progress; the requests that need its outcome wait on `done`."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.failure: str | None = None


class KeySet:
    """One issuer's keys, shared by every request of this process (thread-safe).

    A fetch runs outside the lock, one at a time (a single flight): the requests that need it
    wait for its outcome, at most its deadline, instead of each fetching in turn; requests whose
    keys are in hand are never held up by it. A failure is stamped when it happens, so the
    back-off after it is measured from its end, however slowly the issuer failed.
    """

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        fetch: Fetch | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._jwks_url = jwks_url
        # Plain http only to this machine, and only for a local test issuer or a keys URL the operator
        # set so: never where an https issuer's metadata or redirects point (on Lambda, 127.0.0.1:9001
        # is the Runtime API).
        self._loopback_http = is_loopback_http(issuer)
        self._configured = jwks_url if jwks_url and is_loopback_http(jwks_url) else None
        self._fetch = fetch or self._fetch_json
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._failed_at = float("-inf")
        self._failure = ""
        self._flight: _Flight | None = None

    def key(self, kid: str | None, algorithm: str) -> PyJWK:
        """The key `kid` for `algorithm`; UnknownKey, or KeysUnavailable when the keys cannot be had."""
        data = self._lookup(kid)
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

    def _lookup(self, kid: str | None) -> dict[str, Any] | None:
        """The key `kid`, after a fetch (this request's own, or the one in flight) when one is due."""
        with self._lock:
            now = self._clock()
            found = self._find(kid)
            stale = now - self._fetched_at >= KEYS_TTL_S
            if not stale and (found is not None or now - self._fetched_at < UNKNOWN_KID_REFETCH_S):
                return found
            if now - self._failed_at < RETRY_AFTER_FAILURE_S:
                raise KeysUnavailable(self._failure)
            flight, leader = self._flight, self._flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if leader:
            try:
                self._refresh(flight)
            finally:
                with self._lock:
                    self._flight = None
                flight.done.set()
        elif not flight.done.wait(FETCH_TIMEOUT_S + 1.0):
            raise KeysUnavailable(f"the signing keys of {self.issuer} did not arrive in time")
        if flight.failure is not None:
            raise KeysUnavailable(flight.failure)
        with self._lock:
            return self._find(kid)

    def _fetch_json(self, url: str, timeout_s: float) -> dict[str, Any]:
        return fetch_json(url, timeout_s, loopback_http=self._loopback_http or url == self._configured)

    def _find(self, kid: str | None) -> dict[str, Any] | None:
        if kid is not None and kid in self._keys:
            return self._keys[kid]
        # One published key and no kid on one side: it is the only candidate (RFC 7515 section 4.1.4).
        if len(self._keys) == 1 and (kid is None or None in self._keys):
            return next(iter(self._keys.values()))
        return None

    def _refresh(self, flight: _Flight) -> None:
        """Fetch the keys (no lock held: other requests keep using the keys in hand)."""
        deadline = time.monotonic() + FETCH_TIMEOUT_S  # one budget for discovery and the keys
        try:
            url = self._jwks_url or self._discover(deadline)
            document = self._fetch(url, _left(deadline, url))
            keys = self._signing_keys(document, url)
        except (FetchError, KeysUnavailable) as exc:
            failure = f"cannot fetch the signing keys of {self.issuer}: {exc}"
            with self._lock:
                self._failed_at, self._failure = self._clock(), failure  # when it failed, not began
            flight.failure = failure
            log.error("oauth signing keys unavailable; refusing tokens (503)", extra={"error": failure})
            return
        with self._lock:
            self._jwks_url = url
            self._keys, self._fetched_at = keys, self._clock()
        log.info("oauth signing keys fetched", extra={"jwks_url": url, "keys": len(keys)})

    def _discover(self, deadline: float) -> str:
        problems = []
        for url in metadata_urls(self.issuer):
            try:
                metadata = self._fetch(url, _left(deadline, url))
            except FetchError as exc:
                problems.append(str(exc))
                continue
            if metadata.get("issuer") != self.issuer:
                # RFC 8414 section 3.3: metadata naming another issuer must not be used.
                problems.append(f"{url} names issuer {str(metadata.get('issuer'))[:120]!r}")
                continue
            jwks_uri = metadata.get("jwks_uri")
            if isinstance(jwks_uri, str) and secure_url(jwks_uri, self._loopback_http):
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
