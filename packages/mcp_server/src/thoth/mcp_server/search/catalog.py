"""The search side's ToolCatalog and ResourceCatalog: specs, argument and URI checks up front,
the work on first call.

Cold start is why the implementations load only at the first `tools/call` or `resources/read`:
they pull in numpy, the index reader and the query encoder, none of which `initialize`,
`tools/list`, `resources/templates/list` or /health needs. This module itself is plain data and
validation.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from thoth.mcp_server.protocol.resources import ResourceTemplate, ResourceText
from thoth.mcp_server.protocol.tools import Deadline, ToolOutput, ToolSpec, UnknownToolError
from thoth.mcp_server.search.address import TEMPLATES
from thoth.mcp_server.search.arguments import validate
from thoth.mcp_server.search.specs import CHATGPT_SPECS, SPECS
from thoth.mcp_server.settings import chatgpt_tools
from thoth.shared.errors import ThothError

_BY_NAME = {spec.name: spec for spec in (*SPECS, *CHATGPT_SPECS)}
_CHATGPT = frozenset(spec.name for spec in CHATGPT_SPECS)


def _tools() -> ModuleType:
    from thoth.mcp_server.search import tools  # numpy and the index reader: first tools/call only

    return tools


def _chatgpt() -> ModuleType:
    from thoth.mcp_server.search import chatgpt  # as _tools: first call of search or fetch only

    return chatgpt


def _resources() -> ModuleType:
    from thoth.mcp_server.search import resources  # as _tools: first resources/read only

    return resources


def _registry() -> ModuleType:
    from thoth.mcp_server.search import registry  # state store clients: first /health or call only

    return registry


class SearchTools:
    """The handbook tools, ChatGPT's search and fetch where offered, and pages as resources.

    `remote`: the catalog answers over HTTP. ChatGPT reaches MCP servers only over HTTP, so with
    THOTH_CHATGPT_TOOLS=auto (the default) a stdio client's model never sees search and fetch
    beside search_handbook and get_handbook_section.
    """

    def __init__(self, *, remote: bool = True) -> None:
        self.remote = remote

    def chatgpt_tools(self) -> bool:
        """Whether search and fetch are offered (THOTH_CHATGPT_TOOLS: auto, on or off)."""
        mode = chatgpt_tools()
        return mode == "on" or (mode == "auto" and self.remote)

    def tool_specs(self) -> list[ToolSpec]:
        """Every tool, in a fixed order: search_handbook, get_handbook_section, list_topics, index_status,
        then search and fetch when offered."""
        return [*SPECS, *CHATGPT_SPECS] if self.chatgpt_tools() else list(SPECS)

    def call_tool(self, name: str, arguments: dict[str, Any], deadline: Deadline) -> ToolOutput:
        """Validate, then run; raises ToolArgumentError, UnknownToolError or another ThothError."""
        spec = _BY_NAME.get(name) if isinstance(name, str) else None
        if spec is None or (name in _CHATGPT and not self.chatgpt_tools()):
            shown = repr(name[:80]) if isinstance(name, str) else type(name).__name__
            offered = ", ".join(s.name for s in self.tool_specs())
            raise UnknownToolError(f"unknown tool {shown}; available: {offered}")
        checked = validate(name, spec.input_schema, arguments)
        module = _chatgpt() if name in _CHATGPT else _tools()
        output: ToolOutput = module.run(name, checked, deadline)
        return output

    def resource_templates(self) -> list[ResourceTemplate]:
        """The page and the section templates (thoth://<source>/<path>[#<anchor>])."""
        return list(TEMPLATES)

    def read_resource(self, uri: str, deadline: Deadline) -> list[ResourceText]:
        """The text of one page or section; ResourceUriError, ResourceNotFound or another ThothError."""
        contents: list[ResourceText] = _resources().read_resource(uri, deadline)
        return contents

    def index_health(self) -> dict[str, Any]:
        """{"status": "ok"|"degraded", "reason"?, "indexes": {source: {version, commit, built_at, age_s}}}.

        Reads live pointers (cached) and the encoder's fingerprint only: no download, no model load.
        """
        try:
            health: dict[str, Any] = _registry().registry().health()
        except ThothError as exc:  # a bad setting or an unreadable state store: say which
            return {"status": "degraded", "reason": str(exc), "indexes": {}}
        return health


CATALOG = SearchTools()
STDIO_CATALOG = SearchTools(remote=False)
