"""The four MCP tools: specs, validated calls and index health (search modules load on first call)."""

from __future__ import annotations

import logging
import time
from typing import Any

from thoth.mcp_server.arguments import validate
from thoth.mcp_server.schemas import SPECS, ToolArgumentError, ToolOutput, ToolSpec, UnknownToolError
from thoth.shared.errors import ThothError

__all__ = [
    "ToolArgumentError",
    "ToolOutput",
    "ToolSpec",
    "UnknownToolError",
    "call_tool",
    "index_health",
    "tool_specs",
]

log = logging.getLogger(__name__)
_BY_NAME = {spec.name: spec for spec in SPECS}


def tool_specs() -> list[ToolSpec]:
    """Every tool, in a fixed order: search_handbook, get_handbook_section, list_topics, index_status."""
    return list(SPECS)


def call_tool(name: str, arguments: Any, *, deadline: float | None = None) -> ToolOutput:
    """Run a tool; argument errors raise, operational failures return ToolOutput(is_error=True).

    `deadline` is a time.monotonic() value after which the call gives up with an error result.
    """
    spec = _BY_NAME.get(name) if isinstance(name, str) else None
    if spec is None:
        shown = repr(name[:80]) if isinstance(name, str) else type(name).__name__
        raise UnknownToolError(f"unknown tool {shown}; available: {', '.join(_BY_NAME)}")
    checked = validate(name, spec.input_schema, arguments)
    if deadline is not None and time.monotonic() >= deadline:
        return ToolOutput(f"{name} was not started: the request's time budget is used up; retry", None, True)
    try:
        from thoth.mcp_server.handlers import run

        return run(name, checked, deadline)
    except ToolArgumentError:
        raise
    except ThothError as exc:
        log.warning("tool failed", extra={"tool": name, "error": str(exc)})
        return ToolOutput(f"{name} failed: {exc}", None, True)
    except Exception:
        log.exception("tool crashed", extra={"tool": name})
        return ToolOutput(f"{name} failed with an internal error; the server log has the details", None, True)


def index_health() -> dict[str, Any]:
    """{"status": "ok"|"degraded", "reason"?, "indexes": {source: {version, commit, built_at, age_s}}}.

    Reads live pointers (cached) and the encoder's fingerprint only: no download, no model load.
    """
    try:
        from thoth.mcp_server.indexes import registry

        return registry().health()
    except ThothError as exc:
        return {"status": "degraded", "reason": str(exc), "indexes": {}}
    except Exception:
        log.exception("index health check crashed")
        return {
            "status": "degraded",
            "reason": "index health check failed; see the server log",
            "indexes": {},
        }
