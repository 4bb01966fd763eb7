"""The local server's translation of HTTP requests into function URL events."""

from __future__ import annotations

import base64

import pytest

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


def test_serve_defaults_accept_this_machine_on_any_port_and_refuse_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.mcp_app import call, make_app, post
    from thoth.mcp_server.settings import LOOPBACK_HOSTS, local_overrides

    for name in ("THOTH_ALLOWED_HOSTS", "THOTH_ALLOWED_ORIGINS"):
        monkeypatch.setenv(name, "")  # recorded, so what local_overrides sets is undone after the test
        monkeypatch.delenv(name)
    local_overrides(
        no_auth=False, allowed_hosts=",".join([*LOOPBACK_HOSTS, "127.0.0.1:8765"]), loopback_origins=True
    )
    app = make_app()
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    for host in ("localhost:6274", "127.0.0.1:1", "[::1]:65535", "LOCALHOST", "[::1]"):
        for origin in (
            None,
            "http://localhost:6274",
            "http://127.0.0.1:3000",
            "http://[::1]:8080",
            "https://localhost",
        ):
            headers = {"host": host, **({"origin": origin} if origin else {})}
            reply = call(app, post(ping, headers))
            assert reply.status == 200, (host, origin, reply.text)
            if origin:
                assert reply.headers["access-control-allow-origin"] == origin
    for origin in (
        "http://evil.example",
        "http://localhost.evil.example:80",
        "http://127.0.0.1.nip.io:80",
        "null",
        "file://",
    ):
        assert call(app, post(ping, {"host": "localhost:1", "origin": origin})).status == 403, origin
    for host in ("evil.example", "evil.example:8765", "localhost.evil.example", "127.0.0.2:8765"):
        assert call(app, post(ping, {"host": host})).status == 421, host
