"""One real index of samples/handbook per run, and the local server wrapping the real handler."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mcp_clients import KEY, build_index
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.transport.local_server import LocalServer
from thoth.shared.config import get_settings


@pytest.fixture(scope="session")
def handbook_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("mcp-e2e-home")
    build_index(home)
    return home


@pytest.fixture
def served_env(monkeypatch: pytest.MonkeyPatch, handbook_home: Path) -> Path:
    """Point this process (where the server thread runs) at the indexed home, with one API key."""
    for name in ("THOTH_AUTH", "THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THOTH_HOME", str(handbook_home))
    monkeypatch.setenv("THOTH_API_KEYS", KEY)
    get_settings.cache_clear()
    return handbook_home


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalServer]:
    server = LocalServer(App(), port=0).start()
    yield server
    server.stop()
