"""The front's short-lived state in the state table (DynamoDB on AWS, SQLite locally): any instance goes on.

Items are keyed by a SHA-256 of the secret they stand for (a state id, a code, a refresh token), so the
table never holds a usable credential. Single use is a conditional write: an item is consumed by a
compare-and-swap on its `rev`, so of two racing requests exactly one wins.

- pending sign-ins (`oauth-pending`): the client's /authorize request while the user signs in upstream;
- authorization codes (`oauth-code`): consumed by their first use; a second use revokes the family;
- refresh tokens (`oauth-refresh`): rotated on every use; presenting a rotated one revokes the family;
- families (`oauth-family`): every refresh token descended from one sign-in, revoked together.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Final

from thoth.shared.config import get_settings
from thoth.shared.state import StateStore, state_store

PENDING_TTL_S: Final = 600.0  # the user's upstream sign-in (password, MFA) must finish within this
CODE_TTL_S: Final = 120.0
USED_CODE_TTL_S: Final = 600.0  # a used code is remembered this long, so its replay revokes the family
REFRESH_TTL_S: Final = 30 * 86400.0
FAMILY_TTL_S: Final = 90 * 86400.0  # a sign-in lasts at most this long, however often it is refreshed
PENDING, CODE, REFRESH, FAMILY = "oauth-pending", "oauth-code", "oauth-refresh", "oauth-family"

_lock = threading.Lock()
_stores: dict[tuple[str | None, str], StateStore] = {}


def store() -> StateStore:
    """The state store of the current settings (one per table or THOTH_HOME, per process)."""
    settings = get_settings()
    key = (settings.dynamodb_table, str(settings.home))
    with _lock:
        if key not in _stores:
            _stores[key] = state_store(settings)
        return _stores[key]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def save(kind: str, secret: str, value: dict[str, Any], ttl_s: float) -> None:
    state = store()
    state.put(kind, digest(secret), value, ttl_s=ttl_s)


def take_pending(state_id: str) -> dict[str, Any] | None:
    """The pending sign-in for `state_id`, removed so it serves once; None when unknown, expired or taken."""
    state = store()
    item = state.get(PENDING, digest(state_id))
    if item is None or not state.delete(PENDING, item.sk, expected_rev=item.rev):
        return None
    return item.value


def open_family(family: str) -> None:
    """Start a token family (a no-op when it exists: a revoked family stays revoked)."""
    state = store()
    state.create(FAMILY, family, {"revoked": False}, ttl_s=FAMILY_TTL_S)


def revoke_family(family: str) -> None:
    state = store()
    state.put(FAMILY, family, {"revoked": True}, ttl_s=FAMILY_TTL_S)


def family_live(family: str) -> bool:
    state = store()
    item = state.get(FAMILY, family)
    return item is not None and not item.value.get("revoked")


def take_code(code: str) -> dict[str, Any] | None:
    """The code's grant, marked used; None when unknown, expired or used (a reuse revokes its family)."""
    return _consume(CODE, code, USED_CODE_TTL_S)


def take_refresh(token: str) -> dict[str, Any] | None:
    """The refresh token's grant, marked rotated; None when unknown, expired, rotated (then its family is
    revoked: a rotated token presented again means it leaked) or its family revoked."""
    grant = _consume(REFRESH, token, REFRESH_TTL_S)
    if grant is None or not family_live(str(grant.get("family"))):
        return None
    return grant


def _consume(kind: str, secret: str, used_ttl_s: float) -> dict[str, Any] | None:
    state = store()
    item = state.get(kind, digest(secret))
    if item is None:
        return None
    used = {**item.value, "used": True}
    if (
        item.value.get("used")
        or state.swap(kind, item.sk, used, expected_rev=item.rev, ttl_s=used_ttl_s) is None
    ):
        revoke_family(str(item.value.get("family")))
        return None
    return item.value
