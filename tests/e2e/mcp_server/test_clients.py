"""Third-party MCP clients against `serve -- --no-auth` and `thoth-mcp stdio`: the official MCP
conformance suite (server scenarios) and MCP Inspector's CLI mode, as a user would run them."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.mcp_server.test_readme_configs import blocks
from tests.support.issuers import thoth_server
from tests.support.mcp_clients import KEY, REPO, offline_env
from tests.support.node_tools import ensure_installed, node_env

pytestmark = pytest.mark.e2e
SCENARIOS = ("server-initialize", "ping", "tools-list", "resources-list", "dns-rebinding-protection")
STDIO_TOOLS = ["search_handbook", "get_handbook_section", "list_topics", "index_status"]
TOOLS = [*STDIO_TOOLS, "search", "fetch"]  # over HTTP ChatGPT's pair is listed too (THOTH_CHATGPT_TOOLS=auto)


@pytest.fixture(scope="module")
def node_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("node-home")


@pytest.fixture(scope="module")
def npm_bin(node_home: Path) -> Path:
    return ensure_installed(node_home)


@pytest.fixture(scope="module")
def open_server(handbook_home: Path) -> Iterator[str]:
    with thoth_server(offline_env(handbook_home), "--no-auth") as (url, _):
        yield url.replace("127.0.0.1", "localhost")  # as the README tells browser-based clients


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_server_scenarios(
    npm_bin: Path, node_home: Path, open_server: str, scenario: str
) -> None:
    done = subprocess.run(
        [str(npm_bin / "conformance"), "server", "--url", f"{open_server}/mcp", "--scenario", scenario],
        env=node_env(node_home), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0 and " 0 failed" in output, output[-3000:]


def inspector(npm_bin: Path, node_home: Path, *args: str) -> object:
    done = subprocess.run(
        [str(npm_bin / "mcp-inspector"), "--cli", *args],
        env=node_env(node_home), capture_output=True, text=True, timeout=300, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


def readme_inspector_lines() -> list[list[str]]:
    """The README's Inspector commands, each as the words a shell would pass."""
    text = blocks()["inspector-cli"].replace("\\\n", " ")
    return [shlex.split(line) for line in text.splitlines() if line.strip()]


def test_inspector_cli_runs_the_readme_lines_against_serve_with_a_key(
    npm_bin: Path, node_home: Path, handbook_home: Path
) -> None:
    outputs = []
    with thoth_server(offline_env(handbook_home, THOTH_API_KEYS=KEY)) as (url, _):
        local = url.replace("127.0.0.1", "localhost")  # as the README tells browser-based clients
        for words in readme_inspector_lines():
            assert words[:3] == ["npx", "@modelcontextprotocol/inspector", "--cli"], words
            args = [w.replace("<key>", KEY).replace("http://localhost:8765", local) for w in words[3:]]
            outputs.append(inspector(npm_bin, node_home, *args))
    listing, result = outputs
    assert [t["name"] for t in listing["tools"]] == TOOLS  # type: ignore[index]
    hits = result["structuredContent"]["results"]  # type: ignore[index]
    assert "time-off" in hits[0]["path"]


def test_inspector_cli_over_stdio_as_the_readme_configures_it(
    npm_bin: Path, node_home: Path, handbook_home: Path
) -> None:
    thoth_mcp = str(Path(sys.executable).with_name("thoth-mcp"))
    env_args = ["-e", f"THOTH_HOME={handbook_home}", "-e", "HF_HUB_OFFLINE=1"]
    listing = inspector(npm_bin, node_home, *env_args, "--method", "tools/list", thoth_mcp, "stdio")
    assert [t["name"] for t in listing["tools"]] == STDIO_TOOLS  # type: ignore[index]
    result = inspector(
        npm_bin,
        node_home,
        *env_args,
        "--method",
        "tools/call",
        "--tool-name",
        "list_topics",
        thoth_mcp,
        "stdio",
    )
    assert result["structuredContent"]["topics"]  # type: ignore[index]
