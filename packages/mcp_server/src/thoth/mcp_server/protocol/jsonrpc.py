"""JSON-RPC 2.0 framing: strict parsing, message classification, error and result envelopes."""

from __future__ import annotations

import json
import re
from typing import Any, Final, Literal, NamedTuple

from thoth.shared.errors import ThothError

__all__ = [
    "Message", "RpcError", "classify", "dumps", "parse_body", "result_response", "rpc_error", "scrub",
]  # fmt: skip

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
HEADER_MISMATCH: Final = -32020  # 2026-07-28
MISSING_CLIENT_CAPABILITY: Final = -32021  # 2026-07-28
UNSUPPORTED_PROTOCOL_VERSION: Final = -32022  # 2026-07-28

RequestId = str | int
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.])/(?:[\w.\-]+/)+[\w.\-]*")


def dumps(payload: Any) -> bytes:
    """Compact JSON; ASCII-only so lone surrogates from any text can never break encoding."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii")


class RpcError(ThothError):
    """A JSON-RPC error to send back; `message` is safe to show to any caller."""

    def __init__(
        self, code: int, message: str, data: Any = None, request_id: RequestId | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.request_id = request_id  # set when the failing message's id was readable


class Message(NamedTuple):
    """One decoded JSON-RPC message from the client."""

    kind: Literal["request", "notification", "response"]
    id: RequestId | None
    method: str | None
    params: dict[str, Any] | None


class _DuplicateKey(ThothError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers of one object must never disagree on a value (first copy vs last copy).
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey("duplicate key in a JSON object")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_body(body: bytes) -> Any:
    """Decode a request body as strict JSON (UTF-8, no NaN/Infinity, no duplicate keys)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RpcError(PARSE_ERROR, "Parse error: the body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _DuplicateKey:
        raise RpcError(PARSE_ERROR, "Parse error: a JSON object repeats a key") from None
    except RecursionError:
        raise RpcError(PARSE_ERROR, "Parse error: the JSON is nested too deeply") from None
    except ValueError:
        # JSONDecodeError, NaN/Infinity, and integers beyond the int-to-str digit limit.
        raise RpcError(PARSE_ERROR, "Parse error: the body is not valid JSON") from None


def _valid_id(value: Any) -> bool:
    # MCP: ids are strings or integers, never null; bool is an int subclass in Python.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def classify(obj: Any) -> Message:
    """Classify one decoded JSON-RPC message; raise RpcError(-32600/-32602) when malformed."""
    if not isinstance(obj, dict):
        raise RpcError(INVALID_REQUEST, "Invalid Request: a JSON-RPC message must be an object")
    if obj.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be "2.0"')
    has_id = "id" in obj
    msg_id = obj.get("id")
    if has_id and not _valid_id(msg_id):
        raise RpcError(INVALID_REQUEST, 'Invalid Request: "id" must be a string or an integer')
    if "method" in obj:
        method = obj["method"]
        if not isinstance(method, str) or not method:
            raise RpcError(INVALID_REQUEST, 'Invalid Request: "method" must be a non-empty string')
        params = obj.get("params")
        if params is not None and not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, 'Invalid params: "params" must be an object', request_id=msg_id)
        kind: Literal["request", "notification"] = "request" if has_id else "notification"
        return Message(kind, msg_id if has_id else None, method, params)
    if has_id and (("result" in obj) != ("error" in obj)):
        return Message("response", msg_id, None, None)
    raise RpcError(INVALID_REQUEST, 'Invalid Request: a message needs "method" (request) or "result"/"error"')


def rpc_error(request_id: RequestId | None, error: RpcError) -> dict[str, Any]:
    """The JSON-RPC error envelope; `id` is null when the request id is unknown."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.data is not None:
        body["data"] = error.data
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def result_response(request_id: RequestId, result: dict[str, Any]) -> dict[str, Any]:
    """The JSON-RPC success envelope."""
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def scrub(text: str) -> str:
    """`text` without absolute filesystem paths (they describe the server, not the problem)."""
    return _ABSOLUTE_PATH.sub("<path>", text)
