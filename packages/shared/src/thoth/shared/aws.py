"""Lazily created boto3 clients with retries, timeouts and the AWS_ENDPOINT_URL override."""

from __future__ import annotations

import threading
from typing import Any

from thoth.shared.config import Settings, get_settings
from thoth.shared.errors import ConfigError

_clients: dict[tuple[str, str | None, float], Any] = {}
_lock = threading.Lock()


def client(service: str, settings: Settings | None = None) -> Any:
    """A cached boto3 client for `service`, created on first use (never at import time)."""
    settings = settings or get_settings()
    key = (service, settings.aws_endpoint_url, settings.aws_timeout_s)
    with _lock:
        if key not in _clients:
            import boto3  # imported here: boto3 costs ~100 ms that /health never needs
            from botocore.config import Config

            config = Config(
                connect_timeout=min(settings.aws_timeout_s, 5.0),
                read_timeout=settings.aws_timeout_s,
                retries={"max_attempts": 4, "mode": "standard"},
            )
            session = boto3.session.Session()
            if session.region_name is None:
                raise ConfigError(
                    f"no AWS region is configured for {service}; set AWS_REGION (e.g. us-east-1) "
                    "or AWS_DEFAULT_REGION"
                )
            _clients[key] = session.client(service, endpoint_url=settings.aws_endpoint_url, config=config)
        return _clients[key]


def reset_clients() -> None:
    """Forget cached clients (tests, or after credentials change)."""
    with _lock:
        _clients.clear()


def describe_error(exc: Exception, what: str) -> str:
    """A one-line, actionable message for a botocore failure."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, NoCredentialsError):
        return f"{what}: no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
    if isinstance(exc, EndpointConnectionError | ReadTimeoutError):
        return f"{what}: AWS endpoint unreachable ({exc}); check AWS_ENDPOINT_URL, the network and the region"
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = exc.response.get("Error", {}).get("Message", "")
        return f"{what}: AWS said {code}: {message}"
    return f"{what}: {type(exc).__name__}: {exc}"
