"""The search side's ToolCatalog: specs and argument checks up front, the tools on first call.

Cold start is why the tool implementations load only at the first `tools/call`: they
pull in numpy, the index reader and the query encoder, none of which `initialize`,
`tools/list` or /health needs. This module itself is plain data and validation.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from thoth.mcp_server.protocol.tools import Deadline, ToolOutput, ToolSpec, UnknownToolError
from thoth.mcp_server.search.arguments import validate
from thoth.mcp_server.search.specs import SPECS
from thoth.shared.errors import ThothError

_BY_NAME = {spec.name: spec for spec in SPECS}


def _tools() -> ModuleType:
    from thoth.mcp_server.search import tools  # numpy and the index reader: first tools/call only

    return tools


def _registry() -> ModuleType:
    from thoth.mcp_server.search import registry  # state store clients: first /health or call only

    return registry


class SearchTools:
    """search_handbook, get_handbook_section, list_topics and index_status over the live indexes."""

    def tool_specs(self) -> list[ToolSpec]:
        """Every tool, in a fixed order: search_handbook, get_handbook_section, list_topics, index_status."""
        return list(SPECS)

    def call_tool(self, name: str, arguments: dict[str, Any], deadline: Deadline) -> ToolOutput:
        """Validate, then run; raises ToolArgumentError, UnknownToolError or another ThothError."""
        spec = _BY_NAME.get(name) if isinstance(name, str) else None
        if spec is None:
            shown = repr(name[:80]) if isinstance(name, str) else type(name).__name__
            raise UnknownToolError(f"unknown tool {shown}; available: {', '.join(_BY_NAME)}")
        checked = validate(name, spec.input_schema, arguments)
        output: ToolOutput = _tools().run(name, checked, deadline)
        return output

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
