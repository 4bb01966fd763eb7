"""Secrets: Secrets Manager on AWS (cached with a TTL), environment variables locally."""

from __future__ import annotations

import threading
import time
from typing import Any

from thoth.shared import aws
from thoth.shared.config import Settings, get_settings, secret_from_env
from thoth.shared.errors import ThothError
from thoth.shared.logging import register_secret

# Local stand-ins for thoth/<env>/<name> in Secrets Manager.
ENV_VARS = {
    "api-key": "THOTH_API_KEYS",
    "gitlab-token": "THOTH_GITLAB_TOKEN",
    "cursor-key": "THOTH_CURSOR_KEY",
    "oauth-client-secret": "THOTH_OAUTH_UPSTREAM_CLIENT_SECRET",
    "oauth-signing-key": "THOTH_OAUTH_SIGNING_KEY",
}


class SecretError(ThothError):
    """A secret could not be read."""


class Secrets:
    """Reads `thoth/<env>/<name>`; values are registered for log redaction."""

    def __init__(self, settings: Settings | None = None, clock: Any = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def get(self, name: str) -> str | None:
        """The secret's value, or None when it is not set."""
        if name not in ENV_VARS:
            raise SecretError(f"unknown secret {name!r}; known: {', '.join(sorted(ENV_VARS))}")
        settings = self.settings
        if settings.secrets_backend == "env":
            value = secret_from_env(ENV_VARS[name])
        else:
            value = self._from_aws(settings, name)
        register_secret(value)
        return value

    def _from_aws(self, settings: Settings, name: str) -> str | None:
        secret_id = settings.secret_name(name)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(secret_id)
            if cached and now - cached[0] < settings.secret_cache_ttl_s:
                return cached[1]
        try:
            response = aws.client("secretsmanager", settings).get_secret_value(SecretId=secret_id)
            value: str | None = response.get("SecretString")
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code != "ResourceNotFoundException":
                raise SecretError(aws.describe_error(exc, f"reading secret {secret_id}")) from None
            value = None
        with self._lock:
            self._cache[secret_id] = (now, value)
        return value

    def clear(self) -> None:
        """Drop cached values (e.g. after a rotation)."""
        with self._lock:
            self._cache.clear()
