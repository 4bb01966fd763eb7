"""resources/list, resources/templates/list and resources/read, shaped for the request's revision.

Every page and section is a templated resource (the catalog's URI templates), reached from the
resource links of search results; resources/list names none of them, so a client that lists
resources when it connects never makes the server load an index, and a host that shows listed
resources to the user is not handed thousands of pages.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from thoth.mcp_server.protocol.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, RpcError, scrub
from thoth.mcp_server.protocol.resources import (
    ResourceCatalog,
    ResourceNotFound,
    ResourceTemplate,
    ResourceUriError,
)
from thoth.mcp_server.protocol.revisions import Revision
from thoth.mcp_server.protocol.tools import Deadline
from thoth.shared.errors import ThothError

RESOURCE_METHODS: Final = frozenset({"resources/list", "resources/templates/list", "resources/read"})
CAPABILITY: Final = {"subscribe": False, "listChanged": False}
LIST_TTL_MS: Final = 300_000  # the templates change only on deploy
# A page changes only when a new index version goes live, which the server notices within its
# pointer TTL (30 s by default); the text depends on no caller, but a handbook may be private.
READ_TTL_MS: Final = 30_000

log = logging.getLogger("thoth.mcp_server.protocol")


def _no_cursor(params: dict[str, Any], method: str) -> None:
    if params.get("cursor") is not None:
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown cursor; {method} has one page, omit cursor")


def _hints(result: dict[str, Any], revision: Revision, ttl_ms: int, scope: str) -> dict[str, Any]:
    if revision.cache_hints:
        result["ttlMs"] = ttl_ms
        result["cacheScope"] = scope
    return result


def _template(template: ResourceTemplate, revision: Revision) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uriTemplate": template.uri_template,
        "name": template.name,
        "description": template.description,
        "mimeType": template.mime_type,
    }
    if revision.structured_content:  # BaseMetadata.title arrived with 2025-06-18
        entry["title"] = template.title
    if revision.icons and template.icons:
        entry["icons"] = [icon.wire() for icon in template.icons]
    return entry


def list_resources(params: dict[str, Any], revision: Revision) -> dict[str, Any]:
    _no_cursor(params, "resources/list")
    return _hints({"resources": []}, revision, LIST_TTL_MS, "public")


def list_templates(catalog: ResourceCatalog, params: dict[str, Any], revision: Revision) -> dict[str, Any]:
    _no_cursor(params, "resources/templates/list")
    templates = [_template(t, revision) for t in catalog.resource_templates()]
    return _hints({"resourceTemplates": templates}, revision, LIST_TTL_MS, "public")


def read(
    catalog: ResourceCatalog,
    params: dict[str, Any],
    revision: Revision,
    deadline: Deadline,
    request_id: str | None,
) -> dict[str, Any]:
    """The contents of one resource; every failure is a JSON-RPC error (resources have no isError)."""
    uri = params.get("uri")
    if not isinstance(uri, str) or not uri:
        raise RpcError(
            INVALID_PARAMS, "Invalid params: resources/read needs params.uri (a URI from a resource link)"
        )
    started = time.perf_counter()
    try:
        deadline.check("reading the resource")
        contents = catalog.read_resource(uri, deadline)
    except ResourceUriError as exc:
        raise RpcError(INVALID_PARAMS, f"Invalid params: {scrub(str(exc))}") from None
    except ResourceNotFound as exc:
        raise RpcError(
            revision.resource_not_found, f"Resource not found: {scrub(str(exc))}", {"uri": uri[:200]}
        ) from None
    except ThothError as exc:  # no live index, the time budget: the caller may retry
        log.warning("resource read failed", extra={"error": str(exc)})
        raise RpcError(INTERNAL_ERROR, f"Reading the resource failed: {scrub(str(exc))}") from None
    except Exception:
        log.exception("resource read crashed")
        reference = f" (request id {request_id})" if request_id else ""
        raise RpcError(INTERNAL_ERROR, f"Internal error while reading the resource{reference}") from None
    log.info(
        "resource read",
        extra={
            "chars": sum(len(c.text) for c in contents),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return _hints({"contents": [c.wire() for c in contents]}, revision, READ_TTL_MS, "private")
