"""The stdio transport as Claude Desktop / Claude Code start it, driven by the official SDK's stdio client."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.mcp_clients import REPO, offline_env

pytestmark = pytest.mark.e2e
# The console script lives beside the interpreter of the environment the package is installed in.
THOTH_MCP = Path(sys.executable).with_name("thoth-mcp")


def params(home: Path, command: list[str]) -> Any:
    from mcp.client.stdio import StdioServerParameters

    env = offline_env(home)
    return StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(REPO))


async def _session(server: Any, mode: str, errlog: Any) -> dict[str, Any]:
    from mcp.client import Client
    from mcp.client.stdio import stdio_client

    async with Client(stdio_client(server, errlog=errlog), mode=mode) as client:
        listing = await client.list_tools()
        search = await client.call_tool("search_handbook", {"query": "how do I request time off", "limit": 3})
        wrong_type = await client.call_tool("search_handbook", {"query": 123})
        out_of_range = await client.call_tool("search_handbook", {"query": "x", "limit": 99})
        return {
            "version": client.session.protocol_version,
            "tools": [t.name for t in listing.tools],
            "search": search,
            "wrong_type": wrong_type,
            "out_of_range": out_of_range,
        }


@pytest.mark.parametrize(
    ("command", "mode", "version"),
    [
        ([str(THOTH_MCP), "stdio"], "legacy", "2025-11-25"),
        ([sys.executable, "-m", "thoth.mcp_server", "stdio"], "auto", "2026-07-28"),
    ],
)
def test_sdk_session_over_stdio(handbook_home: Path, command: list[str], mode: str, version: str) -> None:
    assert THOTH_MCP.is_file(), "the thoth-mcp console script is not installed"
    with tempfile.TemporaryFile("w+") as errlog:
        outcome = asyncio.run(_session(params(handbook_home, command), mode, errlog))
        errlog.seek(0)
        stderr = errlog.read()
    assert outcome["version"] == version
    assert outcome["tools"] == [
        "search_handbook",
        "get_handbook_section",
        "list_topics",
        "index_status",
        "recent_changes",
    ]
    search = outcome["search"]
    assert not search.is_error and search.structured_content["results"]
    assert "time-off" in search.structured_content["results"][0]["path"]
    for name, fragment in (
        ("wrong_type", "'query' must be a string"),
        ("out_of_range", "'limit' = 99 is out of range"),
    ):
        result = outcome[name]  # SEP-1303: the model gets the message, not a protocol error
        assert result.is_error and fragment in result.content[0].text, result
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert lines and all(json.loads(line)["level"] for line in lines)  # logs: JSON lines, on stderr only
    assert "thoth-mcp stdio: stopped" in stderr  # the client closed stdin: a clean exit


def _raw(home: Path, lines: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "thoth.mcp_server", "stdio"],
        input="".join(line + "\n" for line in lines).encode(),
        env=offline_env(home),
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )


def test_stdout_carries_only_protocol_lines(handbook_home: Path) -> None:
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "search_handbook", "arguments": {"query": "expense claims"}}}  # fmt: skip
    done = _raw(handbook_home, [json.dumps(init), "{broken", json.dumps(call)])
    assert done.returncode == 0, done.stderr[-2000:]
    replies = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r.get("id") for r in replies] == [1, None, 2]
    assert replies[1]["error"]["code"] == -32700
    assert replies[2]["result"]["structuredContent"]["results"]
    assert b"stdio session initialized" in done.stderr


def test_sigterm_ends_the_server_cleanly(handbook_home: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "thoth.mcp_server", "stdio"], env=offline_env(handbook_home), cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n')
    server.stdin.flush()
    assert json.loads(server.stdout.readline()) == {"jsonrpc": "2.0", "id": 1, "result": {}}
    server.send_signal(signal.SIGTERM)
    _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr[-2000:]
    assert b"thoth-mcp stdio: stopped" in stderr


def test_stdio_builds_a_missing_encoder_on_first_use(handbook_home: Path, tmp_path: Path) -> None:
    """A fresh checkout: THOTH_ENCODER_DIR names an empty directory; the first search builds it."""
    env = {**offline_env(handbook_home), "THOTH_ENCODER_DIR": str(tmp_path / "encoder")}
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}}
    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello})
    arguments = {"name": "search_handbook", "arguments": {"query": "on-call"}}
    search = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "tools/call", "params": arguments}).replace(
        '"id": 0', '"id": %d'
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "thoth.mcp_server", "stdio"], env=env, cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(init.encode() + b"\n")
        server.stdin.flush()
        server.stdout.readline()
        for attempt in range(2, 30):  # the build takes about a minute under load; each call waits up to 15 s
            server.stdin.write((search % attempt).encode() + b"\n")
            server.stdin.flush()
            result = json.loads(server.stdout.readline())["result"]
            if not result.get("isError"):
                break
            assert "being built" in result["content"][0]["text"], result
        assert result["structuredContent"]["results"], result
        assert (tmp_path / "encoder" / "encoder.json").is_file()
    finally:
        _, stderr = server.communicate(timeout=60)  # closes stdin: EOF ends the session
    assert server.returncode == 0
    assert b"building it into" in stderr
    assert os.environ.get("AWS_LAMBDA_FUNCTION_NAME") is None
