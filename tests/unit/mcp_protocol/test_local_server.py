"""The local server's translation of HTTP requests into function URL events."""

from __future__ import annotations

import base64

from thoth.mcp_server.transport.events import parse_event
from thoth.mcp_server.transport.local_server import build_event
from thoth.shared.lambda_context import LocalContext


def test_build_event_joins_repeated_headers_and_splits_the_query() -> None:
    headers = [("Accept", "application/json"), ("accept", "text/event-stream"), ("Host", "127.0.0.1:8765")]
    event = build_event("POST", "/mcp?debug=1", headers, b'{"a":1}', "127.0.0.1")
    assert event["headers"]["accept"] == "application/json,text/event-stream"
    assert (event["rawPath"], event["rawQueryString"]) == ("/mcp", "debug=1")
    assert event["isBase64Encoded"] is False and event["body"] == '{"a":1}'
    request = parse_event(event)
    assert (request.method, request.path, request.body) == ("POST", "/mcp", b'{"a":1}')


def test_build_event_base64_encodes_bodies_that_are_not_utf8() -> None:
    event = build_event("POST", "/mcp", [], b"\xff\xfe", "127.0.0.1")
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"
    assert parse_event(event).body == b"\xff\xfe"
    assert build_event("GET", "/health", [], b"", "127.0.0.1")["body"] is None


def test_local_context_counts_down() -> None:
    context = LocalContext(timeout_s=5.0)
    assert 0 < context.get_remaining_time_in_millis() <= 5_000
    assert LocalContext().aws_request_id != context.aws_request_id
