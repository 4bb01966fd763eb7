"""API-key authentication: keys from the api-key secret, constant-time checks, never logged.

An entry of the secret is a key string (every source) or `{"key": "...", "sources": [...]}`
(only those sources; thoth.mcp_server.access says what a grant means).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final, NamedTuple

from thoth.mcp_server.access import Sources, source_list
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
    sources: Sources = None  # what the matched key may read (None: every source)


class KeyEntry(NamedTuple):
    """One configured key and the sources it may read (None: every source)."""

    key: str
    sources: Sources


_LIST_SHAPE: Final = (
    'the api-key secret must be a non-empty JSON list of keys, e.g. ["key1", '
    '{"key": "key2", "sources": ["handbook"]}], or a single plain key'
)


def _entry(item: object, position: int) -> KeyEntry:
    if isinstance(item, str) and item:
        return KeyEntry(item.strip(), None)
    if isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"]:
        register_secret(item["key"].strip())  # before any error below can mention the entry
        extra = sorted(set(item) - {"key", "sources"})
        if extra or "sources" not in item:
            raise ConfigError(
                f"API key #{position} is an object with fields {sorted(item)}; give exactly "
                '"key" and "sources", e.g. {"key": "...", "sources": ["handbook"]} (a plain string reads all)'
            )
        return KeyEntry(item["key"].strip(), source_list(item["sources"], f"API key #{position}'s sources"))
    raise ConfigError(_LIST_SHAPE)


def parse_entries(raw: str | None) -> tuple[KeyEntry, ...]:
    """Key entries from a secret value: a JSON list (rotation, per-key sources) or one plain string."""
    if raw is None or not raw.strip():
        return ()
    text = raw.strip()
    if text.startswith(("[", "{")):
        try:
            value = json.loads(text)
        except ValueError:
            raise ConfigError(
                f"the api-key secret starts with {text[0]!r} but is not a JSON list; {_LIST_SHAPE}"
            ) from None
        if not isinstance(value, list) or not value:
            raise ConfigError(_LIST_SHAPE)
        entries = tuple(_entry(item, position) for position, item in enumerate(value, 1))
    else:
        entries = (KeyEntry(text, None),)
    for position, entry in enumerate(entries, 1):
        register_secret(entry.key)
        if len(entry.key) < MIN_KEY_CHARS:
            raise ConfigError(f"API key #{position} is shorter than {MIN_KEY_CHARS} characters; {KEY_FIX}")
        if any(ch.isspace() or not ch.isprintable() for ch in entry.key):
            raise ConfigError(f"API key #{position} contains whitespace or control characters; {KEY_FIX}")
    return entries


def parse_keys(raw: str | None) -> tuple[str, ...]:
    """The keys alone (see parse_entries)."""
    return tuple(entry.key for entry in parse_entries(raw))


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
        self._parsed: tuple[str, tuple[tuple[bytes, Sources], ...]] | None = None
        self._last_refresh = float("-inf")

    def _digests(self) -> tuple[tuple[bytes, Sources], ...]:
        raw = self._secrets.get("api-key") or ""
        with self._lock:
            if self._parsed is None or self._parsed[0] != raw:
                self._parsed = (raw, tuple((_digest(e.key), e.sources) for e in parse_entries(raw)))
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
        match = self._match(wanted, digests)
        if match is not None:
            return AuthResult(True, sources=match[0])
        now = self._clock()
        if now - self._last_refresh >= REFRESH_ON_MISS_S:
            self._last_refresh = now
            self._secrets.clear()
            match = self._match(wanted, self._digests())
            if match is not None:
                return AuthResult(True, sources=match[0])
        return AuthResult(False, "invalid_token")

    @staticmethod
    def _match(wanted: bytes, digests: tuple[tuple[bytes, Sources], ...]) -> tuple[Sources] | None:
        """(the matched key's sources,) or None; compares every configured key (no early exit)."""
        found: tuple[Sources] | None = None
        for digest, sources in digests:
            if hmac.compare_digest(wanted, digest) and found is None:
                found = (sources,)
        return found


def challenge(result: AuthResult) -> str:
    """The WWW-Authenticate value for a 401."""
    return f'{CHALLENGE}, error="{result.error}"' if result.error else CHALLENGE
