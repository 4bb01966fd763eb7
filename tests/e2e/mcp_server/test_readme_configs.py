"""The README's client configurations, as written, connect: each block is read, its placeholders
filled in (checkout path, key, host), and the official MCP SDK connects the way the client would."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.issuers import thoth_server
from tests.support.mcp_clients import KEY, REPO, offline_env

pytestmark = pytest.mark.e2e
BLOCK = re.compile(r"<!-- client-config: (?P<name>[a-z0-9-]+) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```", re.S)
EXPECTED = {
    "claude-code-http", "claude-code-stdio", "claude-desktop-stdio", "cursor-http", "vscode-http",
    "inspector-cli",
}  # fmt: skip


def blocks() -> dict[str, str]:
    found = {m["name"]: m["body"] for m in BLOCK.finditer((REPO / "README.md").read_text())}
    assert set(found) == EXPECTED, f"README client-config blocks changed: {sorted(found)}"
    return found


@pytest.fixture(scope="module")
def served(handbook_home: Path) -> Iterator[str]:
    with thoth_server(offline_env(handbook_home, THOTH_API_KEYS=KEY)) as (url, _):
        yield url


def fill(text: str, url: str, home: Path) -> str:
    thoth_mcp = Path(sys.executable).with_name("thoth-mcp")  # what `nox -s stdio` installs, in this venv
    return (
        text.replace("https://<thoth-host>/mcp", f"{url}/mcp")
        .replace("<key>", KEY)
        .replace("/path/to/thoth/.nox/dev/bin/thoth-mcp", str(thoth_mcp))
        .replace("/path/to/thoth/.thoth", str(home))
        .replace("/path/to/thoth", str(REPO))
    )


def http_config(name: str, text: str) -> tuple[str, dict[str, str]]:
    if name == "claude-code-http":
        words = shlex.split(text)
        assert words[:5] == ["claude", "mcp", "add", "--transport", "http"]
        header = words[words.index("--header") + 1]
        key, _, value = header.partition(":")
        return words[6], {key.strip(): value.strip()}
    config = json.loads(text)
    server = (config.get("mcpServers") or config["servers"])["thoth"]
    headers = dict(server.get("headers", {}))
    for item in config.get("inputs", []):  # VS Code asks for each ${input:…} once
        headers = {k: v.replace(f"${{input:{item['id']}}}", KEY) for k, v in headers.items()}
    return server["url"], headers


def stdio_config(name: str, text: str) -> tuple[str, list[str], dict[str, str]]:
    if name == "claude-code-stdio":
        words = shlex.split(text)
        assert words[:4] == ["claude", "mcp", "add", "thoth"]
        env = dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "-e")
        command = words[words.index("--") + 1 :]
        return command[0], command[1:], env
    server = json.loads(text)["mcpServers"]["thoth"]
    return server["command"], server["args"], server["env"]


async def connect_http(url: str, headers: dict[str, str]) -> list[str]:
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        result = await client.call_tool("search_handbook", {"query": "expense claims", "limit": 1})
        assert not result.is_error, result
        return [t.name for t in (await client.list_tools()).tools]


async def connect_stdio(command: str, args: list[str], env: dict[str, str]) -> list[str]:
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    # Clients start the server with only the configured variables (plus a basic PATH/HOME).
    server = StdioServerParameters(command=command, args=args, env={**env, "HF_HUB_OFFLINE": "1"})
    with tempfile.TemporaryFile("w+") as errlog:
        async with Client(stdio_client(server, errlog=errlog)) as client:
            result = await client.call_tool("search_handbook", {"query": "expense claims", "limit": 1})
            assert not result.is_error, result
            return [t.name for t in (await client.list_tools()).tools]


@pytest.mark.parametrize("name", sorted(EXPECTED - {"inspector-cli"}))  # test_clients.py runs that one
def test_readme_client_config_connects(name: str, served: str, handbook_home: Path) -> None:
    text = fill(blocks()[name], served, handbook_home)
    assert "<" not in text.replace("<!--", ""), f"unfilled placeholder in {name}: {text}"
    if name.endswith("-http"):
        tools = asyncio.run(connect_http(*http_config(name, text)))
    else:
        tools = asyncio.run(connect_stdio(*stdio_config(name, text)))
    assert tools[0] == "search_handbook"
