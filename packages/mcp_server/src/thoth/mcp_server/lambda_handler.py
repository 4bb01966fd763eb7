"""Lambda entry point `handler(event, context)`: routes /health and /mcp; the work lives beside it."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Final

from thoth.mcp_server import snapstart
from thoth.mcp_server.health import health
from thoth.mcp_server.protocol.dispatch import McpServer, run_tool
from thoth.mcp_server.protocol.tools import NO_DEADLINE, Deadline, ToolCatalog, ToolOutput
from thoth.mcp_server.search.catalog import CATALOG
from thoth.mcp_server.settings import REQUEST_BUDGET_S
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth
from thoth.mcp_server.transport.auth.authenticator import Authenticator
from thoth.mcp_server.transport.endpoint import McpEndpoint
from thoth.mcp_server.transport.events import BadEvent, HttpRequest, HttpResponse, error_response, parse_event
from thoth.mcp_server.transport.failures import failure_response
from thoth.mcp_server.transport.guards import RESOURCE_METADATA_PATH
from thoth.mcp_server.version import VERSION
from thoth.shared import logging as thoth_logging
from thoth.shared import metrics
from thoth.shared.config import get_settings
from thoth.shared.errors import ConfigError

# Stop this long before Lambda's own deadline so the caller gets our answer, not a timeout.
LAMBDA_MARGIN_S: Final = 1.0
MCP_PATHS: Final = frozenset({"/mcp", "/mcp/"})
HEALTH_PATHS: Final = frozenset({"/health", "/health/"})

log = logging.getLogger("thoth.mcp_server.request")


def _budget_deadline(context: Any, started: float) -> Deadline:
    budget = REQUEST_BUDGET_S
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        with contextlib.suppress(TypeError, ValueError):
            budget = min(budget, float(remaining()) / 1000.0 - LAMBDA_MARGIN_S)
    return Deadline(started + max(budget, 0.0))


def _ascii(value: str | None, limit: int = 128) -> str | None:
    """A client-supplied string made safe for a log line: bounded, non-ASCII escaped."""
    return value[:limit].encode("ascii", "backslashreplace").decode("ascii") if value else None


class App:
    """The handler's collaborators, built once per process (tests build their own)."""

    def __init__(
        self, catalog: ToolCatalog | None = None, auth: ApiKeyAuth | Authenticator | None = None
    ) -> None:
        self.catalog = catalog or CATALOG
        authenticator = auth if isinstance(auth, Authenticator) else Authenticator(auth)
        self.endpoint = McpEndpoint(McpServer(self.catalog, VERSION), authenticator)
        self._cold = True

    def _first_call(self) -> None:
        """Once per process: logging from the settings, then the cold-start metric."""
        try:
            level = get_settings().log_level
        except ConfigError:
            level = "INFO"  # the request path reports the bad setting itself
        thoth_logging.configure(level)
        metrics.emit({"Function": "mcp-server"}, {"ColdStarts": 1})

    def route(
        self, request: HttpRequest, deadline: Deadline, note: dict[str, Any], request_id: str | None
    ) -> HttpResponse:
        if request.path in MCP_PATHS:
            return self.endpoint.handle(request, deadline, note, request_id)
        if request.path.startswith(RESOURCE_METADATA_PATH):
            return self.endpoint.metadata(request)
        if request.path in HEALTH_PATHS:
            if request.method not in ("GET", "HEAD"):
                return error_response(405, "method_not_allowed", "use GET /health", {"allow": "GET, HEAD"})
            response = health(self.catalog, VERSION)
            if request.method == "HEAD":
                response.body = b""
            return response
        return error_response(
            404, "not_found", "no such path; the MCP endpoint is POST /mcp, health is GET /health"
        )

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        started = time.monotonic()
        if self._cold:
            self._cold = False
            self._first_call()
        request_id = getattr(context, "aws_request_id", None)
        request_id = request_id if isinstance(request_id, str) else None
        thoth_logging.set_request_id(request_id)
        note: dict[str, Any] = {}
        method = path = None
        try:
            request = parse_event(event)
            method, path = request.method, request.path
            response = self.route(request, _budget_deadline(context, started), note, request_id)
        except (BadEvent, ConfigError) as exc:
            response = failure_response(exc)
        except Exception:
            log.exception("unhandled error")
            response = error_response(500, "internal_error", f"internal error (request id {request_id})")
        log.info(
            "request",
            extra={
                "http_method": _ascii(method),
                "path": _ascii(path),
                "status": response.status,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                **{key: _ascii(value) for key, value in note.items()},
            },
        )
        return response.to_lambda()


_app: App | None = None
# Warm the search stack into the SnapStart snapshot (only while Lambda initializes for one).
snapstart.register()


def call_tool(name: str, arguments: dict[str, Any], deadline: Deadline = NO_DEADLINE) -> ToolOutput:
    """One tool call as the endpoint runs it (same catalog, same error policy), for scripts and tests."""
    return run_tool(CATALOG, name, arguments, deadline)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """AWS Lambda entry point for API Gateway HTTP API (payload 2.0) and function URL events."""
    global _app
    if _app is None:
        _app = App()
    return _app(event, context)
