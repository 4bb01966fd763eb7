"""The stdio transport and session: newline-delimited JSON-RPC, the same core and revisions as HTTP."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.support.mcp_app import META, FakeCatalog, request
from thoth.mcp_server.protocol.dispatch import McpServer
from thoth.mcp_server.transport.stdio import serve_lines
from thoth.mcp_server.transport.stdio_session import StdioSession


def session() -> StdioSession:
    return StdioSession(McpServer(FakeCatalog(), "9.9.9"), budget_s=25.0)


def exchange(lines: list[bytes], limit: int = 4096) -> list[Any]:
    out = io.BytesIO()
    s = session()
    count = serve_lines(s.handle_line, io.BytesIO(b"".join(lines)), out, limit, b'{"oversized":true}')
    assert count == sum(1 for line in lines if line.strip()) or limit < 4096
    raw = out.getvalue()
    assert raw == b"" or raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def line(obj: Any) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def initialize(version: str) -> dict[str, Any]:
    return request(
        "initialize",
        {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    )


def test_a_handshake_session_negotiates_and_keeps_its_revision() -> None:
    replies = exchange(
        [
            line(initialize("2025-03-26")),
            line({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            line(request("tools/call", {"name": "echo", "arguments": {"text": "hi"}}, rid=2)),
            line(request("tools/call", {"name": "echo", "arguments": {"text": 5}}, rid=3)),
        ]
    )
    assert [r["id"] for r in replies] == [1, 2, 3]  # the notification gets no answer
    assert replies[0]["result"]["protocolVersion"] == "2025-03-26"
    assert "structuredContent" not in replies[1]["result"]  # 2025-03-26 has none, as over HTTP
    assert replies[2]["error"]["code"] == -32602  # 2025-03-26 keeps the protocol error (pre-SEP-1303)


def test_sep_1303_after_initialize_at_2025_11_25() -> None:
    replies = exchange(
        [
            line(initialize("2025-11-25")),
            line(request("tools/call", {"name": "echo", "arguments": {"text": 5}}, rid=2)),
        ]
    )
    assert replies[1]["result"]["isError"] is True and "'text'" in replies[1]["result"]["content"][0]["text"]


def test_modern_requests_carry_their_revision_in_meta() -> None:
    replies = exchange(
        [
            line(request("server/discover", {"_meta": META})),
            line(request("tools/list", {"_meta": META}, rid=2)),
            line(
                request(
                    "tools/list",
                    {"_meta": {**META, "io.modelcontextprotocol/protocolVersion": "2030-01-01"}},
                    rid=3,
                )
            ),
        ]
    )
    assert "2026-07-28" in replies[0]["result"]["supportedVersions"]
    assert replies[1]["result"]["resultType"] == "complete" and replies[1]["result"]["tools"]
    assert replies[2]["error"]["code"] == -32022  # no headers to mirror over stdio, but versions are checked


def test_batches_only_at_2025_03_26() -> None:
    batch = [request("ping", rid=5), request("tools/list", rid=6)]
    replies = exchange([line(initialize("2025-03-26")), line(batch)])
    assert [r["id"] for r in replies[1]] == [5, 6]
    later = exchange([line(initialize("2025-06-18")), line(batch)])
    assert later[1]["error"]["code"] == -32600 and "no JSON-RPC batches" in later[1]["error"]["message"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"not json\n", -32700),
        (b"[]\n", -32600),
        (b'{"jsonrpc":"1.0","id":1,"method":"ping"}\n', -32600),
        (b"\xff\xfe\n", -32700),
    ],
)
def test_malformed_lines_get_an_error_and_the_session_goes_on(raw: bytes, code: int) -> None:
    replies = exchange([line(initialize("2025-03-26")), raw, line(request("ping", rid=9))])
    errors = [r for r in replies if isinstance(r, dict) and "error" in r]
    assert errors[0]["error"]["code"] == code and errors[0]["id"] is None
    assert replies[-1] == {"jsonrpc": "2.0", "id": 9, "result": {}}


def test_an_overlong_line_is_skipped_unread() -> None:
    replies = exchange([b'{"padding":"' + b"x" * 10_000 + b'"}\n', line(request("ping", rid=2))], limit=1000)
    assert replies == [{"oversized": True}, {"jsonrpc": "2.0", "id": 2, "result": {}}]


def test_blank_lines_and_crlf_are_tolerated_and_eof_ends_the_loop() -> None:
    replies = exchange([b"\n", b"   \r\n", json.dumps(request("ping")).encode() + b"\r\n"])
    assert replies == [{"jsonrpc": "2.0", "id": 1, "result": {}}]
    assert exchange([]) == []


def test_answers_are_single_lines() -> None:
    out = io.BytesIO()
    s = session()
    serve_lines(
        s.handle_line,
        io.BytesIO(line(request("tools/call", {"name": "echo", "arguments": {"text": "a\nb"}}))),
        out,
        4096,
        b"",
    )
    assert out.getvalue().count(b"\n") == 1  # JSON escapes the newline: one message, one line
