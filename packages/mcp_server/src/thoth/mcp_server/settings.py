"""The MCP server's settings: the only module of the server that reads the environment.

HTTP knobs (origins, hosts, body limit, auth) are re-read per request through a cache
keyed by their raw values, so a change applies at once and a parse costs nothing after
the first; search knobs (pointer TTL, encoder directory) likewise. Shared settings
(backends, THOTH_HOME, the cache directory) come from `thoth.shared.config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from thoth.shared.env import declared, env_choice, env_csv, env_float, env_int, env_str
from thoth.shared.errors import ConfigError

DEFAULT_MAX_BODY_BYTES: Final = 1_048_576
# Lambda caps a synchronous request payload at 6 MB; a larger limit could never apply.
MAX_BODY_BYTES_CEILING: Final = 6_291_456
# API Gateway ends an integration at 30 s; answer well before it so the client sees our error.
REQUEST_BUDGET_S: Final = 25.0
DEFAULT_POINTER_TTL_S: Final = 30.0
ENCODER_LAYER_DIR: Final = Path("/opt/thoth-encoder")
# A source checkout keeps `nox -s build_encoder`'s output in build/encoder (harmless on Lambda).
ENCODER_CHECKOUT_DIR: Final = Path(__file__).resolve().parents[5] / "build" / "encoder"
VARIABLES: Final = declared("mcp_server")


@dataclass(frozen=True)
class HttpSettings:
    """Origin and Host allowlists (None: any Host), the body limit, and whether auth is on."""

    allowed_origins: frozenset[str]
    any_origin: bool
    allowed_hosts: frozenset[str] | None
    max_body_bytes: int
    auth_enabled: bool


@dataclass(frozen=True)
class SearchSettings:
    """Pointer re-read interval, the configured encoder directory (None: default), query logging."""

    pointer_ttl_s: float
    encoder_dir: Path | None
    log_queries: bool = False


def _lowered(values: list[str]) -> list[str]:
    return [value.lower().rstrip("/") for value in values]


def _auth_enabled(env: Mapping[str, str], on_lambda: bool) -> bool:
    try:
        value = env_choice(env, "THOTH_AUTH", ("on", "off"), "on")
    except ConfigError:
        raise ConfigError(
            f"THOTH_AUTH={env.get('THOTH_AUTH')!r} is invalid; use 'on' (the default) or 'off'"
        ) from None
    if value == "off" and on_lambda:
        raise ConfigError(
            "THOTH_AUTH=off is refused on AWS Lambda: the endpoint would be open to anyone; "
            "remove THOTH_AUTH from the function's environment and store keys in the api-key secret"
        )
    return value == "on"


@lru_cache(maxsize=8)
def _http(values: tuple[tuple[str, str], ...], on_lambda: bool) -> HttpSettings:
    env = dict(values)
    origins = _lowered(env_csv(env, "THOTH_ALLOWED_ORIGINS"))
    hosts = _lowered(env_csv(env, "THOTH_ALLOWED_HOSTS"))
    return HttpSettings(
        allowed_origins=frozenset(o for o in origins if o != "*"),
        any_origin="*" in origins,
        allowed_hosts=frozenset(hosts) if hosts else None,
        max_body_bytes=env_int(
            env, "THOTH_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, MAX_BODY_BYTES_CEILING, "a byte count"
        ),
        auth_enabled=_auth_enabled(env, on_lambda),
    )


def _snapshot(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, env.get(name, "")) for name in names)


def on_lambda(env: Mapping[str, str] | None = None) -> bool:
    """True inside AWS Lambda (its runtime sets AWS_LAMBDA_FUNCTION_NAME)."""
    return bool((os.environ if env is None else env).get("AWS_LAMBDA_FUNCTION_NAME"))


def http_settings(env: Mapping[str, str] | None = None) -> HttpSettings:
    """Current HTTP settings; parsing is cached per distinct set of values, so env changes apply at once."""
    env = os.environ if env is None else env
    names = ("THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_MAX_BODY_BYTES", "THOTH_AUTH")
    return _http(_snapshot(env, names), on_lambda(env))


@lru_cache(maxsize=8)
def _search(values: tuple[tuple[str, str], ...]) -> SearchSettings:
    env = dict(values)
    configured = env_str(env, "THOTH_ENCODER_DIR")
    return SearchSettings(
        pointer_ttl_s=env_float(env, "THOTH_POINTER_TTL_S", DEFAULT_POINTER_TTL_S, 0.0, 3600.0),
        encoder_dir=Path(configured) if configured else None,
        log_queries=env_choice(env, "THOTH_LOG_QUERIES", ("on", "off"), "off") == "on",
    )


def search_settings(env: Mapping[str, str] | None = None) -> SearchSettings:
    """Current search settings (cached per distinct set of values)."""
    env = os.environ if env is None else env
    return _search(_snapshot(env, ("THOTH_POINTER_TTL_S", "THOTH_ENCODER_DIR", "THOTH_LOG_QUERIES")))


def local_overrides(*, no_auth: bool, allowed_hosts: str | None) -> None:
    """What `serve`/`invoke` change for a local run: auth off on request, hosts the socket answers to."""
    if no_auth:
        os.environ["THOTH_AUTH"] = "off"
    if allowed_hosts is not None:
        os.environ.setdefault("THOTH_ALLOWED_HOSTS", allowed_hosts)


def local_api_keys() -> str | None:
    """THOTH_API_KEYS as set for a local run (the `invoke` command adds one to a keyless event)."""
    return env_str(os.environ, "THOTH_API_KEYS")
