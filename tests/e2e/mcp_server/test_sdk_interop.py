"""The official MCP Python SDK client (2.3.0) against the real handler over real HTTP, in both eras."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.support.mcp_clients import KEY, sdk_client
from thoth.mcp_server.transport.local_server import LocalServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served_env")]
# Over HTTP the ChatGPT pair is listed too (THOTH_CHATGPT_TOOLS=auto).
TOOLS = ["search_handbook", "get_handbook_section", "list_topics", "index_status", "search", "fetch"]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _exercise(url: str, mode: str) -> dict[str, Any]:
    async with sdk_client(url, mode) as client:
        session = client.session
        listing = await client.list_tools()
        search = await client.call_tool("search_handbook", {"query": "how do I request time off", "limit": 3})
        hit = search.structured_content["results"][0]
        section = await client.call_tool("get_handbook_section", {"path": hit["path"], "max_chars": 1000})
        topics = await client.call_tool("list_topics", {})
        status = await client.call_tool("index_status", {})
        # SEP-1303 (2025-11-25 on): arguments failing the schema are an isError result the model reads
        wrong_type = await client.call_tool("search_handbook", {"query": 123})
        out_of_range = await client.call_tool("search_handbook", {"query": "x", "limit": 99})
        errors = {}
        with pytest.raises(MCPError) as caught:  # an unknown tool stays a protocol error
            await client.call_tool("no_such_tool", {})
        errors["no_such_tool"] = (caught.value.error.code, caught.value.error.message)
        return {
            "version": session.protocol_version,
            "server": session.server_info,
            "discover": session.discover_result,
            "initialize": session.initialize_result,
            "tools": [t.name for t in listing.tools],
            "search": search,
            "section": section,
            "topics": topics,
            "status": status,
            "errors": errors,
            "wrong_type": wrong_type,
            "out_of_range": out_of_range,
        }


def _check_session(outcome: dict[str, Any]) -> None:
    assert outcome["tools"] == TOOLS
    search = outcome["search"]
    assert not search.is_error
    results = search.structured_content["results"]
    assert 1 <= len(results) <= 3
    assert any("time" in (r["title"] + " ".join(r["heading_path"])).lower() for r in results)
    assert results[0]["url"] and results[0]["snippet"]
    assert search.content[0].text  # the same hits as text for models without structured output
    assert not outcome["section"].is_error and outcome["section"].structured_content["content"]
    assert not outcome["topics"].is_error and outcome["topics"].structured_content["topics"]
    status = outcome["status"].structured_content
    assert status["status"] == "ok" and status["sources"][0]["source"] == "handbook"
    wrong_type, out_of_range = outcome["wrong_type"], outcome["out_of_range"]
    assert wrong_type.is_error and "argument 'query' must be a string" in wrong_type.content[0].text
    assert out_of_range.is_error and "'limit' = 99 is out of range" in out_of_range.content[0].text
    assert outcome["errors"]["no_such_tool"][0] == -32602


def test_handshake_era_session(local_server: LocalServer) -> None:
    outcome = run(_exercise(local_server.url, "legacy"))
    assert outcome["version"] == "2025-11-25"
    assert outcome["initialize"] is not None and outcome["discover"] is None
    assert outcome["server"].name == "thoth-mcp-server"
    assert "search_handbook" in outcome["initialize"].instructions
    _check_session(outcome)


@pytest.mark.parametrize("mode", ["auto", "2026-07-28"])
def test_modern_session(local_server: LocalServer, mode: str) -> None:
    outcome = run(_exercise(local_server.url, mode))
    assert outcome["version"] == "2026-07-28"
    assert outcome["initialize"] is None
    if mode == "auto":  # negotiated through server/discover
        discover = outcome["discover"]
        assert "2026-07-28" in discover.supported_versions and discover.capabilities.tools is not None
        assert outcome["server"].name == "thoth-mcp-server"
    _check_session(outcome)


def test_wrong_key_fails_the_connect_in_every_mode(local_server: LocalServer) -> None:
    async def connect(mode: str) -> None:
        async with sdk_client(local_server.url, mode, key="not-the-key-0123456789"):
            pass

    for mode in ("legacy", "auto"):
        with pytest.raises(Exception):  # noqa: B017 - the SDK surfaces 401 as a generic transport error
            run(connect(mode))


def test_http_rules_over_the_wire(local_server: LocalServer) -> None:
    url = local_server.url
    auth = {"authorization": f"Bearer {KEY}"}
    with httpx.Client(timeout=30) as http:
        health = http.get(f"{url}/health")
        assert health.status_code == 200 and health.json()["indexes"]["handbook"]["version"].startswith("v")
        for method in ("GET", "DELETE"):
            reply = http.request(method, f"{url}/mcp", headers=auth)
            assert reply.status_code == 405 and reply.headers["allow"] == "POST"
        assert http.get(f"{url}/nope").status_code == 404
        headers = {
            **auth,
            "accept": "application/json, text/event-stream",
            "content-type": "application/json",
        }
        note = http.post(
            f"{url}/mcp", headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        assert note.status_code == 202 and note.content == b""
        unauthorized = http.post(f"{url}/mcp", headers={**headers, "authorization": "Bearer nope"}, json={})
        assert (
            unauthorized.status_code == 401 and "bearer" in unauthorized.headers["www-authenticate"].lower()
        )
        duplicated = http.post(
            f"{url}/mcp",
            headers=[
                *headers.items(),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-protocol-version", "2026-07-28"),
            ],
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )
        assert duplicated.status_code == 400 and duplicated.json()["error"]["code"] == -32022
        chunked = http.post(f"{url}/mcp", headers=headers, content=iter([b"{}"]))
        assert chunked.status_code == 411


@pytest.mark.parametrize("version", ["2025-03-26", "2025-06-18"])
def test_older_handshake_revisions_through_the_sdk_session(local_server: LocalServer, version: str) -> None:
    """The SDK offers only 2025-11-25 in `initialize`; adopt an older negotiated revision and let it drive."""
    import httpx2
    import mcp_types as types
    from mcp.client import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    offer = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "e2e", "version": "1"},
        },
    }
    headers = {"authorization": f"Bearer {KEY}", "accept": "application/json, text/event-stream"}
    answer = httpx.post(f"{local_server.url}/mcp", json=offer, headers=headers, timeout=30).json()["result"]
    assert answer["protocolVersion"] == version

    async def drive() -> tuple[Any, Any]:
        async with (
            httpx2.AsyncClient(headers={"authorization": f"Bearer {KEY}"}, timeout=30) as http,
            streamable_http_client(f"{local_server.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            session.adopt(types.InitializeResult.model_validate(answer))
            await session.send_notification(types.InitializedNotification())
            await session.send_ping()
            listing = await session.list_tools()
            result = await session.call_tool("search_handbook", {"query": "expense claims", "limit": 2})
            return listing, result

    listing, result = run(drive())
    assert [t.name for t in listing.tools] == TOOLS
    has_structure = version != "2025-03-26"
    assert (listing.tools[0].output_schema is not None) == has_structure
    assert not result.is_error and result.content[0].text
    assert (result.structured_content is not None) == has_structure
