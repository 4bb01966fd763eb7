"""The server's version constant agrees with the packaging metadata."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

from tests.support.mcp_app import REPO_ROOT
from thoth.mcp_server.version import VERSION


def test_version_constant_matches_pyproject_and_installed_metadata() -> None:
    project = tomllib.loads((REPO_ROOT / "packages" / "mcp_server" / "pyproject.toml").read_text())["project"]
    assert VERSION == project["version"] == version("thoth-mcp-server")
