"""MCP methods: what each one answers, shaped for the revision the request speaks.

A lean core instead of the official SDK's server: importing the SDK server costs
about 0.6 s with precompiled bytecode and about 1.0 s without on these machines,
which alone would break the cold-start budget (/health <= 150 ms, first search
<= 600 ms in a fresh process). The official SDK *client* is the oracle in tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from thoth.mcp_server.protocol import resource_methods
from thoth.mcp_server.protocol.envelope import check_param_headers
from thoth.mcp_server.protocol.jsonrpc import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    Message,
    RpcError,
    scrub,
)
from thoth.mcp_server.protocol.resources import ResourceCatalog
from thoth.mcp_server.protocol.revisions import (
    META_SERVER_INFO,
    REVISIONS,
    SUPPORTED_VERSIONS,
    Revision,
    negotiate_handshake,
)
from thoth.mcp_server.protocol.tools import (
    Deadline,
    ToolArgumentError,
    ToolCatalog,
    ToolOutput,
    ToolSpec,
    UnknownToolError,
    svg_icon,
)
from thoth.shared import metrics
from thoth.shared.errors import ThothError

SERVER_NAME: Final = "thoth-mcp-server"
SERVER_TITLE: Final = "Thoth handbook search"
INSTRUCTIONS: Final = (
    "Thoth searches documentation handbooks. Start with search_handbook; open a hit with "
    "get_handbook_section (or read its resource link); browse with list_topics; check freshness "
    "with index_status. search and fetch, where listed, are the same search in ChatGPT's "
    "connector format."
)
# Thoth's ibis over an open book: one colour that reads on light and dark backgrounds.
SERVER_ICON: Final = svg_icon(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#4f6bd8" '
    'stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><path d="M3 19c3-1.3 6-1.3 9 0'
    ' 3-1.3 6-1.3 9 0V8c-3-1.3-6-1.3-9 0-3-1.3-6-1.3-9 0z"/><path d="M12 8v11"/><path d="M15 5.5c1-2 '
    '3.5-2.3 4.5-.8M19.5 4.7c.6 1 .2 2.3-.8 2.6L16 8"/></svg>'
)
# Cache hints (2026-07-28): the tool list is the same for every caller and changes only on deploy.
LIST_TTL_MS: Final = 300_000
DISCOVER_TTL_MS: Final = 300_000
TOOLS_CAPABILITY: Final = {"listChanged": False}
HANDSHAKE_METHODS: Final = frozenset(
    {"initialize", "ping", "tools/list", "tools/call", *resource_methods.RESOURCE_METHODS}
)
MODERN_METHODS: Final = frozenset(
    {"server/discover", "tools/list", "tools/call", *resource_methods.RESOURCE_METHODS}
)

log = logging.getLogger("thoth.mcp_server.protocol")


class Call(NamedTuple):
    """One request's circumstances: its revision, routing headers (None over stdio) and time budget."""

    revision: Revision
    headers: Mapping[str, str] | None
    deadline: Deadline
    request_id: str | None = None


def run_tool(
    catalog: ToolCatalog,
    name: str,
    arguments: dict[str, Any],
    deadline: Deadline,
    request_id: str | None = None,
    revision: Revision | None = None,
) -> ToolOutput:
    """Run one tool under the one error-and-deadline policy of this server.

    A failure the tool explains (no live index, no such page, an incompatible model, the
    time budget) becomes an `isError` result the model can read. Arguments that fail the
    tool's inputSchema become one too from 2025-11-25 on (SEP-1303), and RpcError -32602
    before it; an unknown tool is -32602 in every revision. Anything else is a bug: RpcError
    -32603 with the request id, the details only in the log. Without a `revision` (scripts,
    tests) ToolArgumentError and UnknownToolError are raised as they are.
    """
    shown = str(name)[:80]
    started = time.perf_counter()
    output: ToolOutput | None = None
    try:
        deadline.check(f"starting {shown}")
        output = catalog.call_tool(name, arguments, deadline)
        return output
    except ToolArgumentError as exc:
        if revision is None:
            raise
        message = scrub(str(exc))
        if revision.argument_errors_as_results:
            log.info("tool arguments refused", extra={"tool": shown, "error": message})
            text = f"Invalid arguments for {shown}: {message}. Correct the argument and call {shown} again."
            output = ToolOutput(text=text, structured=None, is_error=True)
            return output
        raise RpcError(INVALID_PARAMS, f"Invalid params: {message}") from None
    except UnknownToolError as exc:
        if revision is None:
            raise
        raise RpcError(INVALID_PARAMS, f"Invalid params: {scrub(str(exc))}") from None
    except ThothError as exc:
        log.warning("tool failed", extra={"tool": shown, "error": str(exc)})
        output = ToolOutput(text=f"{shown} failed: {exc}", structured=None, is_error=True)
        return output
    except Exception:
        log.exception("tool %s crashed", shown)
        reference = f" (request id {request_id})" if request_id else ""
        raise RpcError(INTERNAL_ERROR, f"Internal error while running the tool{reference}") from None
    finally:
        if shown in catalog_names(catalog):  # made-up tool names never become a metric dimension
            _record_call(shown, started, output)


def catalog_names(catalog: ToolCatalog) -> frozenset[str]:
    return frozenset(spec.name for spec in catalog.tool_specs())


def _record_call(tool: str, started: float, output: ToolOutput | None) -> None:
    """One EMF record per tool call: latency, the call, whether it failed, and what the tool measured."""
    values = {
        "ToolLatency": round((time.perf_counter() - started) * 1000, 3),
        "ToolCalls": 1,
        "ToolErrors": 0 if output is not None and not output.is_error else 1,
    }
    if output is not None and not output.is_error:
        values.update(output.metrics)
    metrics.emit({"Tool": tool}, values, output.properties if output is not None else None)


class McpServer:
    """Answers MCP requests; stateless, so one instance serves every revision and caller."""

    def __init__(self, catalog: ToolCatalog, version: str) -> None:
        self.catalog = catalog
        self.version = version
        # A catalog that also serves resources (the search side does) gets the resources methods.
        self.resources = catalog if isinstance(catalog, ResourceCatalog) else None

    def server_info(self, revision: Revision) -> dict[str, Any]:
        info: dict[str, Any] = {"name": SERVER_NAME, "version": self.version}
        if revision.structured_content:  # Implementation.title arrived with 2025-06-18
            info["title"] = SERVER_TITLE
        if revision.icons:
            info["icons"] = [SERVER_ICON.wire()]
        return info

    def capabilities(self) -> dict[str, Any]:
        capabilities: dict[str, Any] = {"tools": dict(TOOLS_CAPABILITY)}
        if self.resources is not None:
            capabilities["resources"] = dict(resource_methods.CAPABILITY)
        return capabilities

    def handle(self, message: Message, call: Call) -> dict[str, Any]:
        """The result of one request; raises RpcError for protocol-level failures."""
        method = message.method or ""
        params = message.params or {}
        methods = MODERN_METHODS if call.revision.modern else HANDSHAKE_METHODS
        if method not in methods or (self.resources is None and method in resource_methods.RESOURCE_METHODS):
            era = f"protocol revision {call.revision.version}"
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method[:80]!r} is not served at {era}")
        if method == "initialize":
            result = self._initialize(params)
        elif method == "ping":
            result = {}
        elif method == "server/discover":
            result = self._discover(call.revision)
        elif method == "tools/list":
            result = self._list_tools(params, call.revision)
        elif method in resource_methods.RESOURCE_METHODS:
            result = self._resources(method, params, call)
        else:
            result = self._call_tool(message, call)
        if call.revision.result_type:
            result["resultType"] = "complete"
        return result

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise RpcError(
                INVALID_PARAMS, "Invalid params: initialize needs params.protocolVersion (a string)"
            )
        if not isinstance(params.get("capabilities"), dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: initialize needs params.capabilities (an object)")
        if "clientInfo" in params and not isinstance(params["clientInfo"], dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: params.clientInfo must be an object")
        version = negotiate_handshake(requested)
        return {
            "protocolVersion": version,
            "capabilities": self.capabilities(),
            "serverInfo": self.server_info(REVISIONS[version]),
            "instructions": INSTRUCTIONS,
        }

    def _discover(self, revision: Revision) -> dict[str, Any]:
        return {
            "supportedVersions": list(SUPPORTED_VERSIONS[::-1]),
            "capabilities": self.capabilities(),
            "instructions": INSTRUCTIONS,
            "ttlMs": DISCOVER_TTL_MS,
            "cacheScope": "public",
            "_meta": {META_SERVER_INFO: self.server_info(revision)},
        }

    def _list_tools(self, params: dict[str, Any], revision: Revision) -> dict[str, Any]:
        cursor = params.get("cursor")
        if cursor is not None:
            # Every tool fits one page, so no cursor was ever issued by this server.
            raise RpcError(
                INVALID_PARAMS, "Invalid params: unknown cursor; tools/list has one page, omit cursor"
            )
        result: dict[str, Any] = {"tools": [self._tool(spec, revision) for spec in self.catalog.tool_specs()]}
        if revision.cache_hints:
            result["ttlMs"] = LIST_TTL_MS
            result["cacheScope"] = "public"
        return result

    @staticmethod
    def _tool(spec: ToolSpec, revision: Revision) -> dict[str, Any]:
        tool: dict[str, Any] = {
            "name": spec.name,
            "description": spec.description,
            "inputSchema": spec.input_schema,
        }
        if revision.structured_content:
            tool["title"] = spec.title
            if spec.output_schema is not None:
                tool["outputSchema"] = spec.output_schema
        if revision.icons and spec.icons:
            tool["icons"] = [icon.wire() for icon in spec.icons]
        if spec.annotations:
            tool["annotations"] = dict(spec.annotations)
        return tool

    def _resources(self, method: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        assert self.resources is not None  # handle() answers -32601 without a resource catalog
        if method == "resources/list":
            return resource_methods.list_resources(params, call.revision)
        if method == "resources/templates/list":
            return resource_methods.list_templates(self.resources, params, call.revision)
        return resource_methods.read(self.resources, params, call.revision, call.deadline, call.request_id)

    def _call_tool(self, message: Message, call: Call) -> dict[str, Any]:
        params = message.params or {}
        name = params.get("name")
        if not isinstance(name, str) or not name:
            raise RpcError(
                INVALID_PARAMS, "Invalid params: tools/call needs params.name (a tool name from tools/list)"
            )
        arguments = params.get("arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise RpcError(INVALID_PARAMS, "Invalid params: params.arguments must be an object")
        if call.revision.modern and call.headers is not None:  # Mcp-Param-* mirror headers: HTTP only
            for spec in self.catalog.tool_specs():
                if spec.name == name:
                    check_param_headers(spec.input_schema, arguments, call.headers, message.id)
        output = run_tool(self.catalog, name, arguments, call.deadline, call.request_id, call.revision)
        return self._tool_result(output, call.revision)

    @staticmethod
    def _tool_result(output: ToolOutput, revision: Revision) -> dict[str, Any]:
        text = scrub(output.text) if output.is_error else output.text
        content = [{"type": "text", "text": text}]
        if revision.resource_links:
            content += [link.wire() for link in output.links]
        result: dict[str, Any] = {"content": content}
        if revision.structured_content and output.structured is not None:
            result["structuredContent"] = output.structured
        if output.is_error:
            result["isError"] = True
        return result
