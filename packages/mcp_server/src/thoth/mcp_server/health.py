"""GET /health: unauthenticated liveness plus the state of each source's live index, nothing sensitive."""

from __future__ import annotations

import logging
from typing import Any, Final

from thoth.mcp_server.protocol.dispatch import SERVER_NAME, scrub
from thoth.mcp_server.protocol.tools import ToolCatalog
from thoth.mcp_server.settings import http_settings
from thoth.mcp_server.transport.events import HttpResponse, json_response
from thoth.shared.errors import ConfigError

# Only these per-index fields leave the server; anything else the catalog reports stays inside.
INDEX_FIELDS: Final = ("version", "commit", "built_at", "age_s", "chunk_count", "status", "reason")

log = logging.getLogger("thoth.mcp_server.health")


def _index_view(indexes: Any) -> dict[str, Any]:
    if not isinstance(indexes, dict):
        return {}
    view: dict[str, Any] = {}
    for source, info in indexes.items():
        if isinstance(source, str) and isinstance(info, dict):
            view[source] = {k: info[k] for k in INDEX_FIELDS if k in info}
    return view


def health(catalog: ToolCatalog, version: str) -> HttpResponse:
    """200 with status "ok", or 503 with status "degraded" and a reason."""
    try:
        report = catalog.index_health()
    except Exception as exc:
        log.exception("index health check failed")
        report = {
            "status": "degraded",
            "reason": f"index health check failed ({type(exc).__name__})",
            "indexes": {},
        }
    try:
        http_settings()
    except ConfigError as exc:
        # /mcp answers 503 in this state, so health must not claim "ok".
        log.error("server misconfigured: %s", exc)
        report = {**report, "status": "degraded", "reason": "the server is misconfigured; see its logs"}
    status = "ok" if report.get("status") == "ok" else "degraded"
    body: dict[str, Any] = {
        "status": status,
        "service": SERVER_NAME,
        "version": version,
        "indexes": _index_view(report.get("indexes")),
    }
    if status != "ok":
        reason = report.get("reason")
        body["reason"] = (
            scrub(reason) if isinstance(reason, str) and reason else "no live index is being served"
        )
    return json_response(200 if status == "ok" else 503, body)
