"""GET /health: unauthenticated liveness plus the state of each source's live index, nothing sensitive."""

from __future__ import annotations

import logging
from typing import Any, Final

from thoth.mcp_server.access import token_policy
from thoth.mcp_server.protocol.dispatch import SERVER_NAME
from thoth.mcp_server.protocol.tools import ToolCatalog
from thoth.mcp_server.settings import http_settings
from thoth.mcp_server.transport.events import HttpResponse, json_response
from thoth.mcp_server.transport.failures import MISCONFIGURED
from thoth.shared.errors import ConfigError

# Only these per-index fields leave the server; anything else the catalog reports stays inside.
INDEX_FIELDS: Final = ("version", "commit", "built_at", "age_s", "chunk_count", "status")
# /health is open to anyone: a reason there says *what kind* of trouble, never its details (bucket,
# table, account id, endpoint URL); those go to the log, where the operator looks next.
NO_INDEX: Final = "no live index is being served; see the server logs"
NOT_SERVABLE: Final = "an index cannot be served; see the server logs"
CHECK_FAILED: Final = "the index health check failed; see the server logs"

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
    shown: str | None = None
    try:
        report = catalog.index_health()
    except Exception:
        log.exception("index health check failed")
        report, shown = {"status": "degraded", "indexes": {}}, CHECK_FAILED
    try:
        http_settings()
        token_policy()  # THOTH_SOURCE_ACCESS malformed: every token would be refused
    except ConfigError as exc:
        # /mcp answers 503 in this state, so health must not claim "ok".
        log.error("server misconfigured: %s", exc)
        report, shown = {**report, "status": "degraded"}, MISCONFIGURED
    status = "ok" if report.get("status") == "ok" else "degraded"
    indexes = _index_view(report.get("indexes"))
    body: dict[str, Any] = {"status": status, "service": SERVER_NAME, "version": version, "indexes": indexes}
    if status != "ok":
        if shown is None:
            log.warning("health degraded: %s", str(report.get("reason"))[:2000])
            shown = NOT_SERVABLE if indexes else NO_INDEX
        body["reason"] = shown
    return json_response(200 if status == "ok" else 503, body)
