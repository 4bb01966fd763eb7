"""One MCP session over stdio: the HTTP endpoint's server core and revisions, one JSON-RPC line at a time.

stdio has no headers, so there is no MCP-Protocol-Version to route by: a request whose
`params._meta` carries a protocol version is a 2026-07-28 request (as over HTTP, minus the
header mirror checks), anything else speaks the revision `initialize` negotiated (the
latest handshake revision until then). Batches exist only at 2025-03-26, as over HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from thoth.mcp_server.protocol.dispatch import Call, McpServer
from thoth.mcp_server.protocol.envelope import check_envelope
from thoth.mcp_server.protocol.jsonrpc import (
    INVALID_REQUEST,
    Message,
    RpcError,
    classify,
    dumps,
    parse_body,
    result_response,
    rpc_error,
)
from thoth.mcp_server.protocol.revisions import LATEST_HANDSHAKE, META_PROTOCOL_VERSION, REVISIONS, Revision
from thoth.mcp_server.protocol.tools import Deadline
from thoth.mcp_server.transport.endpoint import MAX_BATCH
from thoth.shared import logging as thoth_logging

log = logging.getLogger("thoth.mcp_server.stdio")


class StdioSession:
    """Turns each line a client writes into the line to answer (None: nothing to answer)."""

    def __init__(self, server: McpServer, budget_s: float) -> None:
        self.server = server
        self.budget_s = budget_s
        self.revision: Revision = REVISIONS[LATEST_HANDSHAKE]
        self.requests = 0

    def handle_line(self, line: bytes) -> bytes | None:
        try:
            body = parse_body(line)
        except RpcError as error:
            return dumps(rpc_error(None, error))
        if not isinstance(body, list):
            reply = self._one(body)
            return None if reply is None else dumps(reply)
        if not self.revision.batches:
            failure = RpcError(
                INVALID_REQUEST,
                f"Invalid Request: protocol revision {self.revision.version} has no JSON-RPC batches; "
                "send one message per line",
            )
            return dumps(rpc_error(None, failure))
        if not body or len(body) > MAX_BATCH:
            failure = RpcError(INVALID_REQUEST, f"Invalid Request: a batch holds 1 to {MAX_BATCH} messages")
            return dumps(rpc_error(None, failure))
        replies = [reply for reply in map(self._one, body) if reply is not None]
        return dumps(replies) if replies else None

    def _one(self, obj: Any) -> dict[str, Any] | None:
        try:
            message = classify(obj)
        except RpcError as error:
            return rpc_error(error.request_id, error)
        if message.kind != "request":
            return None  # notifications (initialized, cancelled) and responses need no answer
        assert message.id is not None
        self.requests += 1
        request_id = f"stdio-{self.requests}"
        thoth_logging.set_request_id(request_id)
        deadline = Deadline.after(self.budget_s)
        try:
            if self._is_modern(message):
                version = check_envelope(message, None)
                result = self.server.handle(message, Call(REVISIONS[version], None, deadline, request_id))
            elif message.method == "initialize":
                result = self.server.handle(message, Call(self.revision, None, deadline, request_id))
                self.revision = REVISIONS[result["protocolVersion"]]
                log.info("stdio session initialized", extra={"protocol_version": self.revision.version})
            else:
                result = self.server.handle(message, Call(self.revision, None, deadline, request_id))
        except RpcError as error:
            return rpc_error(message.id, error)
        return result_response(message.id, result)

    @staticmethod
    def _is_modern(message: Message) -> bool:
        meta = (message.params or {}).get("_meta")
        return message.method != "initialize" and isinstance(meta, dict) and META_PROTOCOL_VERSION in meta
