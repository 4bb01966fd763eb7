"""Protocol functional tests run with one known API key and clean HTTP settings."""

from __future__ import annotations

import pytest

from tests.support.mcp_app import KEY
from thoth.mcp_server.settings import FRONT_NAMES, OAUTH_NAMES


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "THOTH_AUTH",
        "THOTH_ALLOWED_ORIGINS",
        "THOTH_ALLOWED_HOSTS",
        "THOTH_MAX_BODY_BYTES",
        *OAUTH_NAMES,
        *FRONT_NAMES,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("THOTH_API_KEYS", KEY)
