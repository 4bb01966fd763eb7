"""The official MCP SDK client over real HTTP: ChatGPT's search then fetch of every id; search_handbook's
resource links read through resources/read; get_handbook_section with the urls search returns.

Two indexes of samples/handbook: the session's (no base URL: urls are relative, path#anchor) and
one built here with --base-url (absolute urls), served by the same in-process server in turn.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tests.support.mcp_clients import KEY, build_index, sdk_client
from thoth.mcp_server.transport.local_server import LocalServer
from thoth.shared.config import get_settings

pytestmark = pytest.mark.e2e
BASE = "https://handbook.example.com"
MODES = ["legacy", "auto"]  # 2025-11-25 through initialize, and 2026-07-28 through server/discover


@pytest.fixture(scope="module")
def linked_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("mcp-e2e-linked")
    build_index(home, "--base-url", f"{BASE}/")
    return home


@pytest.fixture
def linked_env(monkeypatch: pytest.MonkeyPatch, linked_home: Path) -> Path:
    for name in ("THOTH_AUTH", "THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_CHATGPT_TOOLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THOTH_HOME", str(linked_home))
    monkeypatch.setenv("THOTH_API_KEYS", KEY)
    get_settings.cache_clear()
    return linked_home


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _search_then_fetch(url: str, mode: str) -> dict[str, Any]:
    async with sdk_client(url, mode) as client:
        listing = await client.list_tools()
        search = await client.call_tool("search", {"query": "how do I request time off"})
        assert not search.is_error and len(search.content) == 1 and search.content[0].type == "text"
        results = json.loads(search.content[0].text)["results"]
        fetched = []
        for result in results:
            answer = await client.call_tool("fetch", {"id": result["id"]})
            assert not answer.is_error and len(answer.content) == 1, answer
            fetched.append(json.loads(answer.content[0].text))
        unknown = await client.call_tool("fetch", {"id": "thoth://handbook/nowhere.md"})
        hostile = await client.call_tool("fetch", {"id": "thoth://handbook/../../etc/passwd"})
        return {
            "tools": listing.tools,
            "results": results,
            "fetched": fetched,
            "unknown": unknown,
            "hostile": hostile,
        }


@pytest.mark.parametrize("mode", MODES)
def test_chatgpt_search_then_fetch_each_id(local_server: LocalServer, linked_env: Path, mode: str) -> None:
    outcome = run(_search_then_fetch(local_server.url, mode))
    tools = {tool.name: tool for tool in outcome["tools"]}
    assert {"search", "fetch", "search_handbook"} <= set(tools)
    for tool in outcome["tools"]:  # what clients show: a title and an inline icon on every tool
        assert tool.title and tool.icons and tool.icons[0].src.startswith("data:image/svg+xml;base64,")
    assert list(tools["search"].input_schema["properties"]) == ["query"]
    assert list(tools["fetch"].input_schema["properties"]) == ["id"]
    results = outcome["results"]
    assert 1 <= len(results) <= 8 and "time-off" in results[0]["id"]
    for result, document in zip(results, outcome["fetched"], strict=True):
        assert list(result) == ["id", "title", "url", "text"] and result["url"].startswith(f"{BASE}/")
        assert list(document) == ["id", "title", "text", "url", "metadata"]
        assert document["id"] == result["id"] and document["url"] == result["url"] and document["text"]
        assert document["metadata"]["source"] == "handbook"
    unknown, hostile = outcome["unknown"], outcome["hostile"]
    assert unknown.is_error and "no page with path 'nowhere.md'" in unknown.content[0].text
    assert hostile.is_error and "must be relative" in hostile.content[0].text


async def _links_then_read(url: str, mode: str) -> dict[str, Any]:
    async with sdk_client(url, mode) as client:
        templates = await client.list_resource_templates()
        listed = await client.list_resources()
        search = await client.call_tool("search_handbook", {"query": "on-call compensation", "limit": 3})
        links = [item for item in search.content if item.type == "resource_link"]
        reads = {link.uri: await client.read_resource(link.uri) for link in links}
        errors = {}
        for uri in ("thoth://handbook/engineering/on-call.md#pizza", "thoth://handbook/%2e%2e/x.md"):
            with pytest.raises(MCPError) as caught:
                await client.read_resource(uri)
            errors[uri] = (caught.value.error.code, caught.value.error.message)
        return {
            "capabilities": client.server_capabilities,
            "templates": templates.resource_templates,
            "listed": listed.resources,
            "search": search,
            "links": links,
            "reads": reads,
            "errors": errors,
        }


@pytest.mark.parametrize("mode", MODES)
def test_search_handbook_links_read_back(local_server: LocalServer, linked_env: Path, mode: str) -> None:
    outcome = run(_links_then_read(local_server.url, mode))
    assert outcome["capabilities"].resources is not None and outcome["listed"] == []
    assert [t.uri_template for t in outcome["templates"]] == [
        "thoth://{source}/{+path}",
        "thoth://{source}/{+path}#{anchor}",
    ]
    links = outcome["links"]
    assert outcome["search"].content[0].type == "text" and links
    assert links[0].uri == "thoth://handbook/engineering/on-call.md#compensation"
    assert links[0].mime_type == "text/markdown" and links[0].title == "On-call > Compensation"
    for link in links:
        text = outcome["reads"][link.uri].contents[0].text
        assert text.startswith("Source: ")
    section = outcome["reads"][links[0].uri].contents[0].text
    assert "allowance" in section and "## Rotation" not in section
    assert f"<{BASE}/engineering/on-call/#compensation>" in section
    missing, hostile = outcome["errors"].values()
    assert missing[0] == (-32002 if mode == "legacy" else -32602) and "no section #pizza" in missing[1]
    assert hostile[0] == -32602 and "must be relative" in hostile[1]


async def _sections_by_url(url: str, mode: str) -> list[tuple[str, Any, Any]]:
    async with sdk_client(url, mode) as client:
        search = await client.call_tool("search_handbook", {"query": "incident roles", "limit": 5})
        opened = []
        for hit in search.structured_content["results"]:
            relative = "/" + hit["url"].split("://", 1)[1].split("/", 1)[1]  # the same url without base
            for given in (hit["url"], relative):
                section = await client.call_tool("get_handbook_section", {"path": given, "max_chars": 2000})
                opened.append((given, hit, section))
        return opened


@pytest.mark.parametrize("mode", MODES)
def test_get_handbook_section_opens_absolute_and_relative_urls(
    local_server: LocalServer, linked_env: Path, mode: str
) -> None:
    opened = run(_sections_by_url(local_server.url, mode))
    assert opened and any("#" in given for given, _, _ in opened)
    for given, hit, section in opened:
        assert not section.is_error, (given, section.content[0].text)
        got = section.structured_content
        assert got["path"] == hit["path"] and got["url"] == hit["url"], given
        if "#" in hit["url"]:  # the fragment selects that section
            assert got["heading"] == hit["heading_path"][-1], given


@pytest.mark.usefixtures("served_env")
def test_relative_urls_of_a_source_without_base_url(local_server: LocalServer) -> None:
    async def drive() -> list[tuple[dict[str, Any], Any]]:
        async with sdk_client(local_server.url, "auto") as client:
            search = await client.call_tool("search_handbook", {"query": "on-call compensation", "limit": 3})
            hits = search.structured_content["results"]
            return [(h, await client.call_tool("get_handbook_section", {"path": h["url"]})) for h in hits]

    opened = run(drive())
    assert opened[0][0]["url"] == "engineering/on-call.md#compensation"  # no base URL: path#anchor
    for hit, section in opened:
        assert not section.is_error, section.content[0].text
        assert section.structured_content["path"] == hit["path"]
        if "#" in hit["url"]:
            assert section.structured_content["heading"] == hit["heading_path"][-1]
