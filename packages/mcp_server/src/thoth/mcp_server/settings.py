"""The MCP server's settings: the only module of the server that reads the environment.

HTTP knobs (origins, hosts, body limit, auth, OAuth) are re-read per request through a
cache keyed by their raw values, so a change applies at once and a parse costs nothing
after the first; search knobs (pointer TTL, encoder directory) likewise. Shared settings
(backends, THOTH_HOME, the cache directory) come from `thoth.shared.config`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final, NamedTuple
from urllib.parse import urlsplit

from thoth.shared.config import on_lambda
from thoth.shared.env import declared, env_choice, env_csv, env_float, env_int, env_str
from thoth.shared.errors import ConfigError

DEFAULT_MAX_BODY_BYTES: Final = 1_048_576
# Lambda caps a synchronous request payload at 6 MB; a larger limit could never apply.
MAX_BODY_BYTES_CEILING: Final = 6_291_456
# API Gateway ends an integration at 30 s; answer well before it so the client sees our error.
REQUEST_BUDGET_S: Final = 25.0
DEFAULT_POINTER_TTL_S: Final = 30.0
# Below this match measure (search/match.py) search_handbook says nothing matches well. Calibrated on
# the quality evaluation's tune splits (README "Answer quality"): real questions' best results sit
# above it, off-topic queries' below.
DEFAULT_WEAK_MATCH_FLOOR: Final = 0.27
ENCODER_LAYER_DIR: Final = Path("/opt/thoth-encoder")
# A source checkout keeps `nox -s build_encoder`'s output in build/encoder (harmless on Lambda).
ENCODER_CHECKOUT_DIR: Final = Path(__file__).resolve().parents[5] / "build" / "encoder"
VARIABLES: Final = declared("mcp_server")
# JWT algorithms a token may be signed with: asymmetric only, so a public key can never be
# (mis)used as an HMAC secret, and never "none".
ASYMMETRIC_ALGORITHMS: Final = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
DEFAULT_ALGORITHMS: Final = ("RS256",)  # what Cognito, Auth0, Okta, Entra ID and Keycloak sign with
DEFAULT_LEEWAY_S: Final = 60.0
MAX_LEEWAY_S: Final = 300.0
LOOPBACK_HOSTS: Final = ("localhost", "127.0.0.1", "[::1]")
# `serve` answers browser clients on this machine (MCP Inspector, the conformance suite) at any port.
LOOPBACK_ORIGINS: Final = tuple(
    f"{scheme}://{host}:*" for scheme in ("http", "https") for host in LOOPBACK_HOSTS
)
# RFC 6749 section 3.3 scope-token characters.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
OAUTH_NAMES: Final = (
    "THOTH_OAUTH_ISSUER", "THOTH_OAUTH_AUDIENCE", "THOTH_OAUTH_SCOPES", "THOTH_OAUTH_JWKS_URL",
    "THOTH_OAUTH_RESOURCE", "THOTH_OAUTH_ALGORITHMS", "THOTH_OAUTH_LEEWAY_S",
)  # fmt: skip


class OAuthSettings(NamedTuple):
    """The OAuth resource server: whose tokens count, for which audience, with which scopes.

    `audiences` empty means "the server's own /mcp URL" (`resource`, or the one the request
    reached); `jwks_url` None means "the jwks_uri of the issuer's metadata".
    """

    issuer: str
    audiences: tuple[str, ...]
    scopes: tuple[str, ...]
    jwks_url: str | None
    resource: str | None
    algorithms: tuple[str, ...]
    leeway_s: float


class HttpSettings(NamedTuple):
    """Origin and Host allowlists (None: any Host), the body limit, and whether auth is on."""

    allowed_origins: frozenset[str]
    any_origin: bool
    allowed_hosts: frozenset[str] | None
    max_body_bytes: int
    auth_enabled: bool
    oauth: OAuthSettings | None = None
    on_lambda: bool = False


class SearchSettings(NamedTuple):
    """Pointer re-read interval, the configured encoder directory (None: default), query logging,
    and the match measure below which an answer says that nothing matches well (0: never)."""

    pointer_ttl_s: float
    encoder_dir: Path | None
    log_queries: bool = False
    weak_match_floor: float = DEFAULT_WEAK_MATCH_FLOOR


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


def _url(name: str, raw: str, *, query: bool) -> str:
    """An absolute https URL (http only on this machine), without credentials or a fragment."""
    fix = f"set {name} to an https URL, e.g. https://auth.example.com/realms/thoth"
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        raise ConfigError(f"{name}={raw[:80]!r} is not a URL; {fix}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigError(f"{name}={raw[:80]!r} is not an absolute http(s) URL; {fix}")
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1", "::1"):
        raise ConfigError(f"{name}={raw[:80]!r} uses plain http; tokens and keys need TLS: {fix}")
    if parts.username or parts.password or parts.fragment or (parts.query and not query):
        raise ConfigError(f"{name}={raw[:80]!r} must not carry credentials, a query or a fragment; {fix}")
    if not (raw.isascii() and raw.isprintable()) or " " in raw:
        raise ConfigError(f"{name} contains spaces or non-ASCII characters; {fix}")
    return raw


def _algorithms(env: Mapping[str, str]) -> tuple[str, ...]:
    names = [a for a in re.split(r"[\s,]+", env_str(env, "THOTH_OAUTH_ALGORITHMS") or "") if a]
    if not names:
        return DEFAULT_ALGORITHMS
    by_upper = {a.upper(): a for a in ASYMMETRIC_ALGORITHMS}
    chosen: list[str] = []
    for name in names:
        if name.lower() == "none" or name.upper().startswith("HS"):
            raise ConfigError(
                f"THOTH_OAUTH_ALGORITHMS names {name[:12]!r}, which is refused: unsigned or shared-secret "
                f"tokens are forgeable by anyone holding the public key; use {', '.join(DEFAULT_ALGORITHMS)}"
            )
        if name.upper() not in by_upper:
            raise ConfigError(
                f"THOTH_OAUTH_ALGORITHMS names {name[:12]!r}; use some of {', '.join(ASYMMETRIC_ALGORITHMS)}"
            )
        chosen.append(by_upper[name.upper()])
    return tuple(dict.fromkeys(chosen))


def _oauth(env: Mapping[str, str]) -> OAuthSettings | None:
    issuer = env_str(env, "THOTH_OAUTH_ISSUER")
    if issuer is None:
        extra = [name for name in OAUTH_NAMES[1:] if env_str(env, name)]
        if extra:
            raise ConfigError(
                f"{', '.join(extra)} set without THOTH_OAUTH_ISSUER; set the issuer to turn OAuth on, "
                "or unset them"
            )
        return None
    audiences = env_csv(env, "THOTH_OAUTH_AUDIENCE")
    for audience in audiences:
        if not (audience.isascii() and audience.isprintable()) or " " in audience:
            raise ConfigError(
                "THOTH_OAUTH_AUDIENCE holds spaces or non-ASCII characters; list audiences separated by "
                "commas, e.g. https://thoth.example.com/mcp,my-cognito-app-client-id"
            )
    scopes = tuple((env_str(env, "THOTH_OAUTH_SCOPES") or "").split())
    for scope in scopes:
        if not _SCOPE_TOKEN.fullmatch(scope):
            raise ConfigError(
                f"THOTH_OAUTH_SCOPES holds {scope[:40]!r}, not a valid scope; separate scopes with spaces, "
                "e.g. thoth/search"
            )
    jwks_url = env_str(env, "THOTH_OAUTH_JWKS_URL")
    resource = env_str(env, "THOTH_OAUTH_RESOURCE")
    return OAuthSettings(
        issuer=_url("THOTH_OAUTH_ISSUER", issuer, query=False),
        audiences=tuple(dict.fromkeys(audiences)),
        scopes=tuple(dict.fromkeys(scopes)),
        jwks_url=_url("THOTH_OAUTH_JWKS_URL", jwks_url, query=True) if jwks_url else None,
        resource=_url("THOTH_OAUTH_RESOURCE", resource, query=True) if resource else None,
        algorithms=_algorithms(env),
        leeway_s=env_float(env, "THOTH_OAUTH_LEEWAY_S", DEFAULT_LEEWAY_S, 0.0, MAX_LEEWAY_S),
    )


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
        oauth=_oauth(env),
        on_lambda=on_lambda,
    )


def _snapshot(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, env.get(name, "")) for name in names)


def snap_start_init(env: Mapping[str, str] | None = None) -> bool:
    """True while Lambda initializes a function version for a SnapStart snapshot."""
    return (os.environ if env is None else env).get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def http_settings(env: Mapping[str, str] | None = None) -> HttpSettings:
    """Current HTTP settings; parsing is cached per distinct set of values, so env changes apply at once."""
    env = os.environ if env is None else env
    names = (
        "THOTH_ALLOWED_ORIGINS",
        "THOTH_ALLOWED_HOSTS",
        "THOTH_MAX_BODY_BYTES",
        "THOTH_AUTH",
        *OAUTH_NAMES,
    )
    return _http(_snapshot(env, names), on_lambda(env))


@lru_cache(maxsize=8)
def _search(values: tuple[tuple[str, str], ...]) -> SearchSettings:
    env = dict(values)
    configured = env_str(env, "THOTH_ENCODER_DIR")
    return SearchSettings(
        pointer_ttl_s=env_float(env, "THOTH_POINTER_TTL_S", DEFAULT_POINTER_TTL_S, 0.0, 3600.0),
        encoder_dir=Path(configured) if configured else None,
        log_queries=env_choice(env, "THOTH_LOG_QUERIES", ("on", "off"), "off") == "on",
        weak_match_floor=env_float(
            env, "THOTH_WEAK_MATCH_FLOOR", DEFAULT_WEAK_MATCH_FLOOR, 0.0, 1.0, unit="a match measure"
        ),
    )


def search_settings(env: Mapping[str, str] | None = None) -> SearchSettings:
    """Current search settings (cached per distinct set of values)."""
    env = os.environ if env is None else env
    names = ("THOTH_POINTER_TTL_S", "THOTH_ENCODER_DIR", "THOTH_LOG_QUERIES", "THOTH_WEAK_MATCH_FLOOR")
    return _search(_snapshot(env, names))


def chatgpt_tools(env: Mapping[str, str] | None = None) -> str:
    """When ChatGPT's search and fetch are listed: "auto" (over HTTP, not over stdio), "on" or "off".

    Read on its own, so tools/list never depends on an unrelated search setting being valid.
    """
    env = os.environ if env is None else env
    return env_choice(env, "THOTH_CHATGPT_TOOLS", ("auto", "on", "off"), "auto")


def source_access(env: Mapping[str, str] | None = None) -> str | None:
    """THOTH_SOURCE_ACCESS as set (parsed by thoth.mcp_server.access), or None."""
    return env_str(os.environ if env is None else env, "THOTH_SOURCE_ACCESS")


def local_overrides(*, no_auth: bool, allowed_hosts: str | None, loopback_origins: bool = False) -> None:
    """What `serve`/`invoke` change for a local run: auth off on request, hosts the socket answers to,
    and (serve) browser origins on this machine; a value the user set is kept."""
    if no_auth:
        os.environ["THOTH_AUTH"] = "off"
    if allowed_hosts is not None:
        os.environ.setdefault("THOTH_ALLOWED_HOSTS", allowed_hosts)
    if loopback_origins:
        os.environ.setdefault("THOTH_ALLOWED_ORIGINS", ",".join(LOOPBACK_ORIGINS))


def local_api_keys() -> str | None:
    """THOTH_API_KEYS as set for a local run (the `invoke` command adds one to a keyless event)."""
    return env_str(os.environ, "THOTH_API_KEYS")
