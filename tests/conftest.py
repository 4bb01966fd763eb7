"""Root fixtures: no test can reach a real AWS account or the developer's THOTH_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from thoth.shared import aws
from thoth.shared.config import get_settings

REPO = Path(__file__).resolve().parents[1]
_AWS_VARS = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "S3_BUCKET_NAME",
    "DYNAMODB_TABLE_NAME",
    "ENVIRONMENT",
    "THOTH_SECRETS_BACKEND",
    "THOTH_API_KEYS",
    "THOTH_GITLAB_TOKEN",
    "THOTH_CURSOR_KEY",
    "THOTH_OAUTH_UPSTREAM_CLIENT_SECRET",
    "THOTH_OAUTH_SIGNING_KEY",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fake credentials, a private THOTH_HOME, and fresh settings/clients for every test."""
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("THOTH_HOME", str(tmp_path / "thoth-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    get_settings.cache_clear()
    aws.reset_clients()
    yield
    get_settings.cache_clear()
    aws.reset_clients()
