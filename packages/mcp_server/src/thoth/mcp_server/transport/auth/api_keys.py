"""API-key authentication: keys from the api-key secret, constant-time checks, never logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final, NamedTuple

from thoth.shared.errors import ConfigError
from thoth.shared.logging import register_secret
from thoth.shared.secrets import Secrets

MIN_KEY_CHARS: Final = 16
# A key that fails is re-checked against a fresh secret at most this often, so a key
# rotated in a moment ago works without waiting for the cache TTL (and a flood of bad
# keys cannot turn into a flood of Secrets Manager calls).
REFRESH_ON_MISS_S: Final = 10.0
KEY_FIX: Final = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
CHALLENGE: Final = 'Bearer realm="thoth-mcp"'


class AuthResult(NamedTuple):
    """The outcome of checking one request; `error` is the RFC 6750 error code when a key was sent."""

    ok: bool
    error: str | None = None


def parse_keys(raw: str | None) -> tuple[str, ...]:
    """Keys from a secret value: a JSON list of strings (rotation) or one plain string."""
    if raw is None or not raw.strip():
        return ()
    text = raw.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise ConfigError(
                "the api-key secret starts with '[' but is not a JSON list; "
                'store ["key1", "key2"] or a single plain key'
            ) from None
        if not isinstance(value, list) or not value or not all(isinstance(k, str) and k for k in value):
            raise ConfigError(
                'the api-key secret must be a non-empty JSON list of strings, e.g. ["key1", "key2"]'
            )
        keys = tuple(k.strip() for k in value)
    else:
        keys = (text,)
    for position, key in enumerate(keys, 1):
        register_secret(key)
        if len(key) < MIN_KEY_CHARS:
            raise ConfigError(f"API key #{position} is shorter than {MIN_KEY_CHARS} characters; {KEY_FIX}")
        if any(ch.isspace() or not ch.isprintable() for ch in key):
            raise ConfigError(f"API key #{position} contains whitespace or control characters; {KEY_FIX}")
    return keys


def _digest(key: str) -> bytes:
    # Comparing fixed-length digests keeps compare_digest's timing independent of key length.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>`, else `x-api-key`."""
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    api_key = headers.get("x-api-key", "").strip()
    return api_key or None


class ApiKeyAuth:
    """Checks requests against the api-key secret (cached by `Secrets` with its TTL)."""

    def __init__(self, secrets: Secrets | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._secrets = secrets or Secrets()
        self._clock = clock
        self._lock = threading.Lock()
        self._parsed: tuple[str, tuple[bytes, ...]] | None = None
        self._last_refresh = float("-inf")

    def _digests(self) -> tuple[bytes, ...]:
        raw = self._secrets.get("api-key") or ""
        with self._lock:
            if self._parsed is None or self._parsed[0] != raw:
                self._parsed = (raw, tuple(_digest(k) for k in parse_keys(raw)))
            return self._parsed[1]

    def configured(self) -> bool:
        """True when at least one key is configured (raises ConfigError when the secret is malformed)."""
        return bool(self._digests())

    def check(self, headers: Mapping[str, str]) -> AuthResult:
        """Whether the request carries a configured key. ConfigError when none is configured."""
        digests = self._digests()
        if not digests:
            raise ConfigError(
                "no API keys are configured; set THOTH_API_KEYS locally or store keys in the "
                "thoth/<env>/api-key secret on AWS (a JSON list allows rotation)"
            )
        key = presented_key(headers)
        if key is None:
            return AuthResult(False)
        wanted = _digest(key)
        if self._matches(wanted, digests):
            return AuthResult(True)
        now = self._clock()
        if now - self._last_refresh >= REFRESH_ON_MISS_S:
            self._last_refresh = now
            self._secrets.clear()
            if self._matches(wanted, self._digests()):
                return AuthResult(True)
        return AuthResult(False, "invalid_token")

    @staticmethod
    def _matches(wanted: bytes, digests: tuple[bytes, ...]) -> bool:
        found = False
        for digest in digests:  # no early exit: every configured key is compared
            found |= hmac.compare_digest(wanted, digest)
        return found


def challenge(result: AuthResult) -> str:
    """The WWW-Authenticate value for a 401."""
    return f'{CHALLENGE}, error="{result.error}"' if result.error else CHALLENGE
