"""The MCP endpoint: HTTP checks, era routing, JSON-RPC framing and the HTTP status of each answer."""

from __future__ import annotations

from typing import Any, Final

from thoth.mcp_server.protocol.dispatch import Call, McpServer
from thoth.mcp_server.protocol.envelope import check_envelope, unsupported_version
from thoth.mcp_server.protocol.jsonrpc import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    MISSING_CLIENT_CAPABILITY,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    Message,
    RpcError,
    classify,
    dumps,
    parse_body,
    result_response,
    rpc_error,
)
from thoth.mcp_server.protocol.revisions import (
    HANDSHAKE_VERSIONS,
    HEADER_ABSENT_REVISION,
    META_PROTOCOL_VERSION,
    MODERN_VERSIONS,
    REVISIONS,
    Revision,
)
from thoth.mcp_server.protocol.tools import Deadline
from thoth.mcp_server.settings import HttpSettings, http_settings
from thoth.mcp_server.transport import guards
from thoth.mcp_server.transport.auth.authenticator import Authenticator
from thoth.mcp_server.transport.events import (
    HttpRequest,
    HttpResponse,
    accepts_json,
    error_response,
    is_json_content,
)
from thoth.mcp_server.transport.failures import failure_response
from thoth.shared.errors import ConfigError

MAX_BATCH: Final = 32
# Tool calls are what costs (one search about 0.1 s and up to ~25 KB): a 2025-03-26 batch runs at
# most this many, and each further tools/call gets its own error, so one POST stays well inside the
# 25 s budget and one client cannot multiply its rate limit by 32.
MAX_BATCH_TOOL_CALLS: Final = 4
# 2026-07-28 Streamable HTTP: the HTTP status that goes with each JSON-RPC error code.
MODERN_STATUS: Final = {
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    MISSING_CLIENT_CAPABILITY: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
    METHOD_NOT_FOUND: 404,
}
ALLOW: Final = {"allow": "POST"}
KNOWN_METHODS: Final = frozenset(
    {"initialize", "ping", "tools/list", "tools/call", "server/discover", "notifications/initialized"}
    | {"resources/list", "resources/templates/list", "resources/read"}
)


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, dumps(payload), {"content-type": "application/json"})


def _rpc_failure(status: int, error: RpcError) -> HttpResponse:
    return _json(status, rpc_error(error.request_id, error))


class McpEndpoint:
    """POST /mcp: security checks, then one stateless JSON-RPC exchange (or a 2025-03-26 batch)."""

    def __init__(self, server: McpServer, auth: Authenticator) -> None:
        self.server = server
        self.auth = auth

    def metadata(self, request: HttpRequest) -> HttpResponse:
        """GET /.well-known/oauth-protected-resource[/mcp] (RFC 9728): served only with OAuth on, so
        clients configured with a header are never pulled into an OAuth flow."""
        try:
            settings = http_settings()
        except ConfigError as exc:
            return failure_response(exc)
        if settings.oauth is None or not settings.auth_enabled:
            return error_response(404, "not_found", "this server does not use OAuth; send an API key")
        if not guards.host_allowed(request.header("host"), settings):
            return guards.misdirected()
        resource = guards.resource_url(request, settings)
        if resource is None:
            return error_response(400, "bad_request", "the Host header is missing or malformed")
        if request.path.rstrip("/") not in guards.metadata_paths(resource):
            return error_response(404, "not_found", f"the metadata is at {guards.metadata_url(resource)}")
        # Public by design (RFC 9728): any origin may read it, browsers included.
        cors = {"access-control-allow-origin": "*"}
        if request.method == "OPTIONS":
            return HttpResponse(
                204, b"", {**cors, "access-control-allow-methods": "GET", "access-control-max-age": "600"}
            )
        if request.method not in ("GET", "HEAD"):
            return error_response(405, "method_not_allowed", "use GET", {"allow": "GET, HEAD", **cors})
        response = _json(200, guards.resource_metadata(resource, settings))
        response.headers.update({**cors, "cache-control": "public, max-age=300"})
        if request.method == "HEAD":
            response.body = b""
        return response

    def handle(
        self, request: HttpRequest, deadline: Deadline, note: dict[str, Any], request_id: str | None
    ) -> HttpResponse:
        try:
            settings = http_settings()
        except ConfigError as exc:
            return failure_response(exc)
        if not guards.host_allowed(request.header("host"), settings):
            return guards.misdirected()
        cors = guards.cross_origin(request, settings)
        if isinstance(cors, HttpResponse):
            return cors
        if request.method == "OPTIONS" and cors:
            return guards.preflight(cors)
        if request.method != "POST":
            return error_response(
                405, "method_not_allowed", "the MCP endpoint accepts POST only", {**ALLOW, **cors}
            )
        outcome = guards.authenticate(self.auth, request, settings, note)
        if isinstance(outcome, HttpResponse):
            response = outcome
        else:  # the caller's sources travel with its time budget to every tool
            response = self._post(request, settings, deadline.for_caller(outcome.sources), note, request_id)
        response.headers.update(cors)
        return response

    def _post(
        self,
        request: HttpRequest,
        settings: HttpSettings,
        deadline: Deadline,
        note: dict[str, Any],
        request_id: str | None,
    ) -> HttpResponse:
        if not accepts_json(request.header("accept")):
            return error_response(406, "not_acceptable", "send 'Accept: application/json, text/event-stream'")
        if not is_json_content(request.header("content-type")):
            return error_response(
                415, "unsupported_media_type", "send 'Content-Type: application/json' (UTF-8)"
            )
        if len(request.body) > settings.max_body_bytes:
            return error_response(
                413, "payload_too_large", f"the body exceeds {settings.max_body_bytes} bytes"
            )
        try:
            body = parse_body(request.body)
        except RpcError as error:
            return _rpc_failure(400, error)
        header = request.header("mcp-protocol-version")
        note["protocol_version"] = (header or "")[:40] or None
        if header is not None and header not in REVISIONS:
            return self._unsupported_header(header, body)
        if header in MODERN_VERSIONS:
            return self._modern(body, request, deadline, note, request_id)
        revision = REVISIONS[header if header in HANDSHAKE_VERSIONS else HEADER_ABSENT_REVISION]
        return self._handshake(body, revision, request, deadline, note, request_id)

    @staticmethod
    def _unsupported_header(header: str, body: Any) -> HttpResponse:
        request_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(request_id, str | int) or isinstance(request_id, bool):
            request_id = None
        params = body.get("params") if isinstance(body, dict) else None
        meta = params.get("_meta") if isinstance(params, dict) else None
        if isinstance(meta, dict) and META_PROTOCOL_VERSION in meta and meta[META_PROTOCOL_VERSION] != header:
            failure = RpcError(
                HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version does not match params._meta", None
            )
            return _json(400, rpc_error(request_id, failure))
        return _json(400, rpc_error(request_id, unsupported_version(header)))

    def _modern(
        self,
        body: Any,
        request: HttpRequest,
        deadline: Deadline,
        note: dict[str, Any],
        request_id: str | None,
    ) -> HttpResponse:
        if isinstance(body, list):
            failure = RpcError(
                INVALID_REQUEST, "Invalid Request: send one JSON-RPC message per POST (no batches)"
            )
            return _rpc_failure(400, failure)
        try:
            message = classify(body)
        except RpcError as error:
            return _rpc_failure(MODERN_STATUS.get(error.code, 400), error)
        note["rpc_method"] = _loggable(message.method)
        if message.kind == "notification":
            # Nothing to act on: this revision defines no client notifications over HTTP.
            return HttpResponse(202)
        if message.kind == "response":
            failure = RpcError(
                INVALID_REQUEST, "Invalid Request: clients must not send JSON-RPC responses", None, message.id
            )
            return _rpc_failure(400, failure)
        assert message.id is not None
        try:
            version = check_envelope(message, request.headers)
            call = Call(REVISIONS[version], request.headers, deadline, request_id)
            result = self.server.handle(message, call)
        except RpcError as error:
            return _json(MODERN_STATUS.get(error.code, 200), rpc_error(message.id, error))
        return _json(200, result_response(message.id, result))

    def _handshake(
        self,
        body: Any,
        revision: Revision,
        request: HttpRequest,
        deadline: Deadline,
        note: dict[str, Any],
        request_id: str | None,
    ) -> HttpResponse:
        call = Call(revision, request.headers, deadline, request_id)
        if not isinstance(body, list):
            try:
                message = classify(body)
            except RpcError as error:
                return _rpc_failure(400, error)
            note["rpc_method"] = _loggable(message.method)
            reply = self._one(message, call)
            return HttpResponse(202) if reply is None else _json(200, reply)
        if not revision.batches:
            failure = RpcError(
                INVALID_REQUEST,
                f"Invalid Request: protocol revision {revision.version} has no JSON-RPC batches; "
                "send one message per POST",
            )
            return _rpc_failure(400, failure)
        if not body or len(body) > MAX_BATCH:
            failure = RpcError(INVALID_REQUEST, f"Invalid Request: a batch holds 1 to {MAX_BATCH} messages")
            return _rpc_failure(400, failure)
        note["rpc_method"] = "batch"
        replies: list[dict[str, Any]] = []
        tool_calls = 0
        for item in body:
            try:
                message = classify(item)
                if message.method == "initialize" and message.kind == "request":
                    raise RpcError(
                        INVALID_REQUEST,
                        "Invalid Request: initialize must not be part of a batch",
                        None,
                        message.id,
                    )
                if message.method == "tools/call" and message.kind == "request":
                    tool_calls += 1
                    if tool_calls > MAX_BATCH_TOOL_CALLS:
                        raise RpcError(
                            INVALID_REQUEST,
                            f"Invalid Request: a batch runs at most {MAX_BATCH_TOOL_CALLS} tools/call "
                            "requests; send the rest in another POST",
                            None,
                            message.id,
                        )
            except RpcError as error:
                replies.append(rpc_error(error.request_id, error))
                continue
            reply = self._one(message, call)
            if reply is not None:
                replies.append(reply)
        return _json(200, replies) if replies else HttpResponse(202)

    def _one(self, message: Message, call: Call) -> dict[str, Any] | None:
        """The reply to one handshake-era message, or None for notifications and responses."""
        if message.kind != "request":
            return None
        assert message.id is not None
        try:
            return result_response(message.id, self.server.handle(message, call))
        except RpcError as error:
            return rpc_error(message.id, error)


def _loggable(method: str | None) -> str | None:
    """The method for the request log: known names as-is, anything a client made up as "other"."""
    if method is None:
        return None
    if method in KNOWN_METHODS:
        return method
    tidy = (
        method.startswith("notifications/") and len(method) < 64 and method.isascii() and method.isprintable()
    )
    return method if tidy else "other"
