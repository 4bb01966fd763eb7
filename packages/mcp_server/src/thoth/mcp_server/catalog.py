"""Where the protocol gets its tools: the search side's `thoth.mcp_server.tools`, imported on first use."""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from thoth.mcp_server.schemas import ToolOutput, ToolSpec


class ToolCatalog(Protocol):
    """What the protocol needs from the tools side."""

    def tool_specs(self) -> list[ToolSpec]: ...

    def call_tool(self, name: str, arguments: Any, *, deadline: float | None = None) -> ToolOutput: ...

    def index_health(self) -> dict[str, Any]: ...


class LazyCatalog:
    """Imports `thoth.mcp_server.tools` at the first call, never at import time.

    Cold start is the reason: the tools pull in numpy, the index reader and the
    query encoder, none of which `initialize` or a handshake-era ping needs.
    """

    def __init__(self, module: str = "thoth.mcp_server.tools") -> None:
        self._module_name = module
        self._module: Any = None

    def _tools(self) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._module_name)
        return self._module

    def tool_specs(self) -> list[ToolSpec]:
        specs: list[ToolSpec] = self._tools().tool_specs()
        return specs

    def call_tool(self, name: str, arguments: Any, *, deadline: float | None = None) -> ToolOutput:
        output: ToolOutput = self._tools().call_tool(name, arguments, deadline=deadline)
        return output

    def index_health(self) -> dict[str, Any]:
        health: dict[str, Any] = self._tools().index_health()
        return health
