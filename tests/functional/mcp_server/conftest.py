"""Protocol functional tests run with one known API key and clean HTTP settings."""

from __future__ import annotations

import pytest

from tests.support.mcp_app import clean_http_env


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_http_env(monkeypatch)
