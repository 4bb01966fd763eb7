"""HTTP-layer knobs of the MCP server, read from the environment and validated."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from thoth.shared.errors import ConfigError

DEFAULT_MAX_BODY_BYTES: Final = 1_048_576
# Lambda caps a synchronous request payload at 6 MB; a larger limit could never apply.
MAX_BODY_BYTES_CEILING: Final = 6_291_456
# API Gateway ends an integration at 30 s; answer well before it so the client sees our error.
REQUEST_BUDGET_S: Final = 25.0
_VARS: Final = ("THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_MAX_BODY_BYTES", "THOTH_AUTH")


@dataclass(frozen=True)
class HttpSettings:
    """Origin and Host allowlists (None: any Host), the body limit, and whether auth is on."""

    allowed_origins: frozenset[str]
    any_origin: bool
    allowed_hosts: frozenset[str] | None
    max_body_bytes: int
    auth_enabled: bool


def _csv(raw: str) -> list[str]:
    return [part.strip().lower().rstrip("/") for part in raw.split(",") if part.strip()]


def _max_body(raw: str) -> int:
    if not raw.strip():
        return DEFAULT_MAX_BODY_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"THOTH_MAX_BODY_BYTES={raw!r} is not an integer; set a byte count between 1024 and "
            f"{MAX_BODY_BYTES_CEILING} (default {DEFAULT_MAX_BODY_BYTES})"
        ) from None
    if not 1024 <= value <= MAX_BODY_BYTES_CEILING:
        raise ConfigError(
            f"THOTH_MAX_BODY_BYTES={raw!r} is out of range; set it between 1024 and {MAX_BODY_BYTES_CEILING}"
        )
    return value


def _auth_enabled(raw: str, on_lambda: bool) -> bool:
    value = raw.strip().lower() or "on"
    if value not in ("on", "off"):
        raise ConfigError(f"THOTH_AUTH={raw!r} is invalid; use 'on' (the default) or 'off'")
    if value == "off" and on_lambda:
        raise ConfigError(
            "THOTH_AUTH=off is refused on AWS Lambda: the endpoint would be open to anyone; "
            "remove THOTH_AUTH from the function's environment and store keys in the api-key secret"
        )
    return value == "on"


@lru_cache(maxsize=8)
def _parse(values: tuple[str, ...], on_lambda: bool) -> HttpSettings:
    origins_raw, hosts_raw, body_raw, auth_raw = values
    origins = _csv(origins_raw)
    hosts = _csv(hosts_raw)
    return HttpSettings(
        allowed_origins=frozenset(o for o in origins if o != "*"),
        any_origin="*" in origins,
        allowed_hosts=frozenset(hosts) if hosts else None,
        max_body_bytes=_max_body(body_raw),
        auth_enabled=_auth_enabled(auth_raw, on_lambda),
    )


def http_settings(env: Mapping[str, str] | None = None) -> HttpSettings:
    """Current settings; parsing is cached per distinct set of values, so env changes apply at once."""
    env = os.environ if env is None else env
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    return _parse(tuple(env.get(name, "") for name in _VARS), on_lambda)
