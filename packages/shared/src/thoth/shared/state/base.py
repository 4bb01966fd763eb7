"""The state-store interface shared by DynamoDB and SQLite.

Items are addressed by a partition key `pk` and a sort key `sk`; values are JSON
objects. Every write bumps `rev`, so compare-and-swap on `rev` is safe against
ABA. Expired items (TTL) are invisible and count as absent for `create`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from thoth.shared.errors import StateError

MAX_VALUE_BYTES = 350_000  # DynamoDB's item limit is 400 KB; keep both backends under it
Clock = Callable[[], float]


@dataclass(frozen=True)
class Item:
    """One stored item."""

    pk: str
    sk: str
    value: dict[str, Any]
    rev: int
    expires_at: int | None = None


def check_key(pk: str, sk: str) -> None:
    """Keys are non-empty strings without NUL (DynamoDB and SQLite agree on those)."""
    for name, key in (("pk", pk), ("sk", sk)):
        if not isinstance(key, str) or not key or "\0" in key or len(key.encode()) > 1024:
            raise StateError(f"state {name} {key!r} is invalid; use a non-empty string under 1024 bytes")


def encode_value(value: dict[str, Any]) -> str:
    """JSON text of `value`; rejects what either backend could not store."""
    if not isinstance(value, dict):
        raise StateError(f"state values are JSON objects, got {type(value).__name__}")
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StateError(f"state value is not JSON-serializable: {exc}") from None
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise StateError(f"state value is {len(text.encode())} bytes; the limit is {MAX_VALUE_BYTES}")
    return text


def decode_value(text: str, pk: str, sk: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise StateError(f"state item {pk}/{sk} holds invalid JSON; delete it and re-run") from None
    if not isinstance(value, dict):
        raise StateError(f"state item {pk}/{sk} is not a JSON object; delete it and re-run")
    return value


def expiry(now: float, ttl_s: float | None) -> int | None:
    if ttl_s is None:
        return None
    if ttl_s <= 0:
        raise StateError(f"ttl_s must be positive, got {ttl_s}")
    return int(now + ttl_s + 0.999)


class StateStore(Protocol):
    """Conditional key-value store for pointers, locks, file hashes and run history."""

    def get(self, pk: str, sk: str) -> Item | None:
        """The live (unexpired) item, or None."""

    def put(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item:
        """Write unconditionally; returns the stored item with its new rev."""

    def create(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item | None:
        """Write only if absent or expired; None when a live item exists."""

    def swap(
        self, pk: str, sk: str, value: dict[str, Any], *, expected_rev: int, ttl_s: float | None = None
    ) -> Item | None:
        """Write only if the live item has `expected_rev`; None otherwise."""

    def delete(self, pk: str, sk: str, *, expected_rev: int | None = None) -> bool:
        """Remove the item (only at `expected_rev` when given); True if something was removed."""

    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        """Live items in partition `pk` whose sort key starts with `sk_prefix`, sorted by sk."""

    def describe(self) -> str:
        """Where the store lives, for logs and reports."""
