"""Test doubles and event builders for the MCP protocol tests (a fake tool catalog, Lambda events)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.protocol.tools import (
    Deadline,
    ToolArgumentError,
    ToolOutput,
    ToolSpec,
    UnknownToolError,
)
from thoth.mcp_server.settings import FRONT_NAMES, OAUTH_NAMES
from thoth.shared.errors import ThothError

REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "test-key-0123456789abcdef"
OTHER_KEY = "rotated-key-abcdef0123456789"
MODERN = "2026-07-28"
HANDSHAKE = ("2025-03-26", "2025-06-18", "2025-11-25")
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
POST_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}

_OBJ = {"type": "object"}
SPECS = [
    ToolSpec(
        name="echo",
        title="Echo",
        description="Returns its arguments.",
        input_schema={"type": "object", "properties": {"text": {"type": "string"}}},
        output_schema={"type": "object", "properties": {"echo": _OBJ}, "required": ["echo"]},
        annotations={"readOnlyHint": True},
    ),
    ToolSpec(
        name="route",
        title="Routed",
        description="Mirrors region and shard into Mcp-Param headers.",
        input_schema={
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "shard": {"type": "integer", "x-mcp-header": "Shard"},
                "query": {"type": "string"},
            },
        },
        output_schema=None,
        annotations={},
    ),
]


@dataclass
class FakeCatalog:
    """Stands in for thoth.mcp_server.search.catalog: fixed specs and scripted outcomes per tool name."""

    health: dict[str, Any] = field(
        default_factory=lambda: {
            "status": "ok",
            "indexes": {
                "handbook": {"version": "v1", "commit": "abc", "built_at": "2026-11-27T00:00:00Z", "age_s": 5}
            },
        }
    )
    calls: list[tuple[str, Any, float | None]] = field(default_factory=list)

    def tool_specs(self) -> list[ToolSpec]:
        return list(SPECS)

    def call_tool(self, name: str, arguments: Any, deadline: Deadline) -> ToolOutput:
        self.calls.append((name, arguments, deadline.at))
        if name == "echo":
            if "text" in arguments and not isinstance(arguments["text"], str):
                raise ToolArgumentError("argument 'text' must be a string")
            return ToolOutput(json.dumps(arguments), {"echo": arguments})
        if name == "route":
            return ToolOutput("routed", None)
        if name == "tool-error":
            return ToolOutput("no live index for source 'handbook'; run a refresh", None, is_error=True)
        if name == "thoth-error":
            raise ThothError(
                "index at /tmp/thoth/indexes/handbook/v1/manifest.json is corrupt; re-run a refresh"
            )
        if name == "crash":
            raise RuntimeError("boom in /work/main/packages/secret/path.py")
        raise UnknownToolError(f"unknown tool {name[:40]!r}")

    def index_health(self) -> dict[str, Any]:
        return self.health


def make_app(catalog: FakeCatalog | None = None) -> App:
    return App(catalog=catalog or FakeCatalog())


def event(
    method: str = "POST",
    path: str = "/mcp",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    b64: bool = False,
    stage: str = "$default",
) -> dict[str, Any]:
    """A function URL / HTTP API payload 2.0 event."""
    raw: str | None
    if isinstance(body, bytes):
        raw = base64.b64encode(body).decode() if b64 else body.decode("utf-8")
    elif body is not None and b64:
        raw = base64.b64encode(body.encode()).decode()
    else:
        raw = body
    result: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": dict(headers or {}),
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "req-1",
            "stage": stage,
        },
        "isBase64Encoded": b64,
    }
    if raw is not None:
        result["body"] = raw
    return result


def post(
    payload: Any, headers: dict[str, str] | None = None, *, auth: bool = True, raw: bool = False
) -> dict[str, Any]:
    """POST /mcp with a JSON body (or `raw` str as-is, bytes base64-encoded) and the usual headers."""
    merged = {**POST_HEADERS, **({"authorization": f"Bearer {KEY}"} if auth else {}), **(headers or {})}
    body = payload if raw else json.dumps(payload)
    return event("POST", "/mcp", merged, body, b64=isinstance(body, bytes))


def request(method: str, params: dict[str, Any] | None = None, rid: int | str = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        message["params"] = params
    return message


def modern_headers(method: str, name: str | None = None, version: str = MODERN) -> dict[str, str]:
    headers = {"mcp-protocol-version": version, "mcp-method": method}
    if name is not None:
        headers["mcp-name"] = name
    return headers


def modern(
    method: str, params: dict[str, Any] | None = None, rid: int | str = 1, **extra: str
) -> dict[str, Any]:
    """A well-formed 2026-07-28 request event (envelope and routing headers filled in)."""
    body = request(method, {**(params or {}), "_meta": dict(META)}, rid)
    name = (params or {}).get("name") if method == "tools/call" else None
    return post(body, {**modern_headers(method, name), **extra})


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        body = self.json
        assert "error" in body, body
        error: dict[str, Any] = body["error"]
        return error

    @property
    def result(self) -> dict[str, Any]:
        body = self.json
        assert "result" in body, body
        result: dict[str, Any] = body["result"]
        return result


class Context:
    aws_request_id = "11111111-2222-3333-4444-555555555555"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def call(app: App, ev: Any) -> Reply:
    response = app(ev, Context())
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    return Reply(response["statusCode"], response["headers"], response["body"])


def clean_http_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """One known API key, and no HTTP, OAuth or front settings from the caller's shell."""
    for name in (
        "THOTH_AUTH",
        "THOTH_ALLOWED_ORIGINS",
        "THOTH_ALLOWED_HOSTS",
        "THOTH_MAX_BODY_BYTES",
        *OAUTH_NAMES,
        *FRONT_NAMES,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("THOTH_API_KEYS", KEY)
