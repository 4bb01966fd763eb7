"""Resources, resource links and icons, per revision: the protocol side, over a fake catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.mcp_app import (
    HANDSHAKE,
    META,
    MODERN,
    FakeCatalog,
    call,
    make_app,
    modern,
    modern_headers,
    post,
    request,
)
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.protocol.dispatch import SERVER_ICON
from thoth.mcp_server.protocol.resources import (
    ResourceNotFound,
    ResourceTemplate,
    ResourceText,
    ResourceUriError,
)
from thoth.mcp_server.protocol.tools import Deadline, ResourceLink, ToolOutput, ToolSpec, svg_icon
from thoth.shared.errors import ThothError

ICON = svg_icon('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
LINK = ResourceLink("fake://doc/1#part", "doc/1#part", "Doc 1 > Part", "text/markdown")
TEMPLATE = ResourceTemplate("fake://doc/{id}", "doc", "A document", "One document.", "text/markdown", (ICON,))


@dataclass
class ResourceCatalog(FakeCatalog):
    """The fake catalog plus resources, one linking tool and tool icons."""

    reads: list[str] = field(default_factory=list)

    def tool_specs(self) -> list[ToolSpec]:
        return [spec._replace(icons=(ICON,)) for spec in super().tool_specs()]

    def call_tool(self, name: str, arguments: Any, deadline: Deadline) -> ToolOutput:
        if name == "echo":
            return ToolOutput("see the link", {"echo": arguments}, links=(LINK,))
        return super().call_tool(name, arguments, deadline)

    def resource_templates(self) -> list[ResourceTemplate]:
        return [TEMPLATE]

    def read_resource(self, uri: str, deadline: Deadline) -> list[ResourceText]:
        self.reads.append(uri)
        if uri == "fake://doc/1":
            return [ResourceText(uri, "text/markdown", "# Doc 1\n")]
        if uri == "fake://doc/bad":
            raise ResourceUriError("the address holds control characters; copy it as it was given")
        if uri == "fake://doc/broken":
            raise ThothError("index at /tmp/thoth/indexes/x/manifest.json is corrupt; re-run a refresh")
        if uri == "fake://doc/crash":
            raise RuntimeError("boom in /work/secret/path.py")
        raise ResourceNotFound("no page with path 'doc/9' is indexed")


@pytest.fixture
def app() -> App:
    return make_app(ResourceCatalog())


def _handshake(app: App, method: str, version: str, params: dict[str, Any] | None = None) -> Any:
    return call(app, post(request(method, params), {"mcp-protocol-version": version}))


def _modern_read(app: App, uri: str) -> Any:
    body = request("resources/read", {"uri": uri, "_meta": dict(META)})
    return call(app, post(body, modern_headers("resources/read", uri)))


def test_capabilities_name_resources_only_with_a_resource_catalog(app: App) -> None:
    init = request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}})
    caps = call(app, post(init)).result["capabilities"]
    assert caps == {"tools": {"listChanged": False}, "resources": {"subscribe": False, "listChanged": False}}
    assert "resources" in call(app, modern("server/discover")).result["capabilities"]
    plain = make_app(FakeCatalog())
    assert call(plain, post(init)).result["capabilities"] == {"tools": {"listChanged": False}}
    for method in ("resources/list", "resources/templates/list", "resources/read"):
        assert _handshake(plain, method, "2025-11-25", {"uri": "fake://doc/1"}).error["code"] == -32601


@pytest.mark.parametrize("version", [*HANDSHAKE, MODERN])
def test_resource_links_only_from_2025_06_18(app: App, version: str) -> None:
    params = {"name": "echo", "arguments": {}}
    if version == MODERN:
        result = call(app, modern("tools/call", params)).result
    else:
        result = _handshake(app, "tools/call", version, params).result
    kinds = [item["type"] for item in result["content"]]
    if version == "2025-03-26":
        assert kinds == ["text"]
    else:
        assert kinds == ["text", "resource_link"]
        assert result["content"][1] == {
            "type": "resource_link",
            "uri": "fake://doc/1#part",
            "name": "doc/1#part",
            "title": "Doc 1 > Part",
            "mimeType": "text/markdown",
        }


@pytest.mark.parametrize("version", [*HANDSHAKE, MODERN])
def test_icons_only_from_2025_11_25(app: App, version: str) -> None:
    if version == MODERN:
        tools = call(app, modern("tools/list")).result["tools"]
        info = call(app, modern("server/discover")).result["_meta"]["io.modelcontextprotocol/serverInfo"]
        templates = call(app, post(request("resources/templates/list", {"_meta": dict(META)}),
                                   modern_headers("resources/templates/list"))).result  # fmt: skip
    else:
        tools = _handshake(app, "tools/list", version).result["tools"]
        init = request("initialize", {"protocolVersion": version, "capabilities": {}})
        info = call(app, post(init)).result["serverInfo"]
        templates = _handshake(app, "resources/templates/list", version).result
    entry = templates["resourceTemplates"][0]
    if version in ("2025-03-26", "2025-06-18"):
        assert all("icons" not in tool for tool in tools) and "icons" not in info and "icons" not in entry
    else:
        assert all(tool["icons"] == [ICON.wire()] for tool in tools)
        assert info["icons"] == [SERVER_ICON.wire()] and entry["icons"] == [ICON.wire()]
    assert ("title" in entry) == (version != "2025-03-26")
    assert entry["uriTemplate"] == "fake://doc/{id}" and entry["mimeType"] == "text/markdown"


def test_every_icon_is_an_inline_svg_or_https() -> None:
    import base64
    import xml.etree.ElementTree as ET

    from thoth.mcp_server.search import icons

    for icon in (SERVER_ICON, icons.SEARCH, icons.PAGE, icons.TOPICS, icons.STATUS):
        assert icon.src.startswith("data:image/svg+xml;base64,") and icon.mime_type == "image/svg+xml"
        svg = ET.fromstring(base64.b64decode(icon.src.split(",", 1)[1]))  # well-formed SVG
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert not any(
            el.tag.endswith("script") or any(k.startswith("on") for k in el.attrib) for el in svg.iter()
        )
        assert len(icon.src) < 1024


def test_read_per_revision(app: App) -> None:
    for version in HANDSHAKE:
        result = _handshake(app, "resources/read", version, {"uri": "fake://doc/1"}).result
        assert result == {
            "contents": [{"uri": "fake://doc/1", "mimeType": "text/markdown", "text": "# Doc 1\n"}]
        }
    new = _modern_read(app, "fake://doc/1")
    assert new.status == 200
    assert new.result["contents"][0]["text"] == "# Doc 1\n"
    assert (new.result["resultType"], new.result["cacheScope"]) == ("complete", "private")
    assert new.result["ttlMs"] > 0


def test_list_is_empty_and_takes_no_cursor(app: App) -> None:
    assert _handshake(app, "resources/list", "2025-11-25").result == {"resources": []}
    listed = call(
        app, post(request("resources/list", {"_meta": dict(META)}), modern_headers("resources/list"))
    )
    assert listed.result["resources"] == [] and listed.result["cacheScope"] == "public"
    for method in ("resources/list", "resources/templates/list"):
        assert _handshake(app, method, "2025-11-25", {"cursor": "x"}).error["code"] == -32602


@pytest.mark.parametrize("params", [{}, {"uri": ""}, {"uri": 5}, {"uri": None}, {"uri": ["fake://doc/1"]}])
def test_read_needs_a_uri(app: App, params: dict[str, Any]) -> None:
    reply = _handshake(app, "resources/read", "2025-11-25", params)
    assert reply.error["code"] == -32602 and "params.uri" in reply.error["message"]


def test_read_failures_map_to_protocol_errors(app: App) -> None:
    bad = _handshake(app, "resources/read", "2025-11-25", {"uri": "fake://doc/bad"})
    assert bad.error["code"] == -32602 and "control characters" in bad.error["message"]
    missing = _handshake(app, "resources/read", "2025-11-25", {"uri": "fake://doc/9"})
    assert missing.error["code"] == -32002 and "no page with path" in missing.error["message"]
    assert missing.error["data"] == {"uri": "fake://doc/9"}
    gone = _modern_read(app, "fake://doc/9")  # -32002 is retired in 2026-07-28
    assert gone.status == 400 and gone.error["code"] == -32602
    broken = _handshake(app, "resources/read", "2025-11-25", {"uri": "fake://doc/broken"})
    assert broken.error["code"] == -32603 and "corrupt" in broken.error["message"]
    assert "/tmp/thoth" not in broken.error["message"]
    crash = _handshake(app, "resources/read", "2025-11-25", {"uri": "fake://doc/crash"})
    assert crash.error["code"] == -32603 and "boom" not in crash.error["message"]
    assert "request id" in crash.error["message"]


def test_modern_read_checks_the_name_header_before_reading() -> None:
    catalog = ResourceCatalog()
    app = make_app(catalog)
    body = request("resources/read", {"uri": "fake://doc/1", "_meta": dict(META)})
    wrong = call(app, post(body, modern_headers("resources/read", "fake://doc/2")))
    assert wrong.status == 400 and wrong.error["code"] == -32020
    assert catalog.reads == []
