"""HTTP rules of the MCP endpoint: routing, status codes, headers, framing, per revision."""

from __future__ import annotations

import json

import pytest

from tests.support.mcp_app import (
    HANDSHAKE,
    KEY,
    MODERN,
    POST_HEADERS,
    FakeCatalog,
    call,
    event,
    make_app,
    modern,
    post,
    request,
)

INIT = request(
    "initialize",
    {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
)


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    return make_app()


def test_health_is_unauthenticated_and_reports_indexes(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, event("GET", "/health"))
    assert reply.status == 200
    body = reply.json
    assert body["status"] == "ok" and body["service"] == "thoth-mcp-server" and body["version"]
    assert body["indexes"]["handbook"] == {
        "version": "v1",
        "commit": "abc",
        "built_at": "2026-11-27T00:00:00Z",
        "age_s": 5,
    }


def test_health_degraded_names_a_reason_and_hides_paths_and_extra_fields() -> None:
    catalog = FakeCatalog(
        health={
            "status": "degraded",
            "reason": "index /tmp/thoth/idx/manifest.json has another model fingerprint; re-run a refresh",
            "indexes": {"handbook": {"version": "v2", "secret_field": "s3://bucket/key", "age_s": 1}},
        }
    )
    reply = call(make_app(catalog), event("GET", "/health"))
    assert reply.status == 503
    body = reply.json
    assert body["status"] == "degraded"
    # Issue 12: an open endpoint gives a generic reason; the details go to the logs only.
    assert body["reason"] == "an index cannot be served; see the server logs"
    assert "/tmp/" not in reply.text and "fingerprint" not in reply.text
    assert body["indexes"] == {"handbook": {"version": "v2", "age_s": 1}}


def test_health_survives_a_crashing_catalog() -> None:
    class Broken(FakeCatalog):
        def index_health(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("/secret/path exploded")

    reply = call(make_app(Broken()), event("GET", "/health"))
    assert (
        reply.status == 503 and "health check failed" in reply.json["reason"] and "/secret" not in reply.text
    )
    assert "RuntimeError" not in reply.text


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH"])
def test_non_post_on_mcp_is_405_with_allow_post(app, method: str) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, event(method, "/mcp", {"authorization": f"Bearer {KEY}"}))
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/", "/mcpx", "/health/x", "/MCP", "/.well-known/oauth-protected-resource"])
def test_unknown_paths_are_404_json(app, path: str) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, event("GET", path))
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/json" and reply.json["error"] == "not_found"


def test_named_stage_prefix_is_stripped(app) -> None:  # type: ignore[no-untyped-def]
    assert call(app, event("GET", "/prod/health", stage="prod")).status == 200


def test_malformed_events_are_400_not_500(app) -> None:  # type: ignore[no-untyped-def]
    for bad in (
        None,
        [],
        "x",
        {},
        {"requestContext": {}},
        {"requestContext": {"http": {"method": 1}}, "rawPath": "/"},
    ):
        reply = call(app, bad)
        assert reply.status == 400 and reply.json["error"] == "bad_event"
    ev = event("POST", "/mcp", {"x": 1}, "{}")  # type: ignore[dict-item]
    assert call(app, ev).status == 400


@pytest.mark.parametrize("version", [None, *HANDSHAKE])
def test_handshake_initialize_and_notifications(app, version: str | None) -> None:  # type: ignore[no-untyped-def]
    headers = {"mcp-protocol-version": version} if version else {}
    reply = call(app, post(INIT, headers))
    assert reply.status == 200 and reply.headers["content-type"] == "application/json"
    assert "mcp-session-id" not in reply.headers
    assert reply.result["protocolVersion"] == "2025-11-25"
    notification = call(app, post({"jsonrpc": "2.0", "method": "notifications/initialized"}, headers))
    assert (notification.status, notification.text) == (202, "")
    response = call(app, post({"jsonrpc": "2.0", "id": 7, "result": {}}, headers))
    assert (response.status, response.text) == (202, "")


def test_session_id_is_ignored_and_never_minted(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(
        app, post(request("tools/list"), {"mcp-protocol-version": "2025-11-25", "mcp-session-id": "bogus"})
    )
    assert reply.status == 200 and "mcp-session-id" not in reply.headers
    assert [t["name"] for t in reply.result["tools"]] == ["echo", "route"]


@pytest.mark.parametrize("version", ["2024-11-05", "2025-01-01", "2026-07-28,2026-07-28", "garbage", ""])
def test_unsupported_protocol_version_header_is_400_listing_versions(app, version: str) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post(request("tools/list"), {"mcp-protocol-version": version}))
    assert reply.status == 400
    assert reply.error["code"] == -32022
    assert reply.error["data"]["supported"] == [MODERN, "2025-11-25", "2025-06-18", "2025-03-26"]
    assert reply.error["data"]["requested"] == version


def test_modern_notification_is_202_and_posted_response_is_400(app) -> None:  # type: ignore[no-untyped-def]
    headers = {"mcp-protocol-version": MODERN}
    note = call(
        app,
        post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}, headers),
    )
    assert (note.status, note.text) == (202, "")
    response = call(app, post({"jsonrpc": "2.0", "id": 1, "result": {}}, headers))
    assert response.status == 400 and response.error["code"] == -32600


@pytest.mark.parametrize(
    "accept",
    [None, "text/event-stream", "text/html", "application/xml", "application/jsonx"],
)
def test_accept_without_json_is_406(app, accept: str | None) -> None:  # type: ignore[no-untyped-def]
    ev = post(INIT)
    ev["headers"].pop("accept")
    if accept is not None:
        ev["headers"]["accept"] = accept
    assert call(app, ev).status == 406


@pytest.mark.parametrize(
    "accept", ["application/json", "*/*", "application/*", "text/event-stream, application/json;q=0.9"]
)
def test_accept_variants_that_admit_json(app, accept: str) -> None:  # type: ignore[no-untyped-def]
    ev = post(INIT, {"accept": accept})
    assert call(app, ev).status == 200


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json, text/plain",
        "application/json; charset=latin-1",
    ],
)
def test_wrong_content_type_is_415(app, content_type: str | None) -> None:  # type: ignore[no-untyped-def]
    ev = post(INIT)
    ev["headers"].pop("content-type")
    if content_type is not None:
        ev["headers"]["content-type"] = content_type
    assert call(app, ev).status == 415


def test_json_with_utf8_charset_is_fine(app) -> None:  # type: ignore[no-untyped-def]
    assert call(app, post(INIT, {"content-type": "application/json; charset=UTF-8"})).status == 200


def test_body_over_the_limit_is_413(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THOTH_MAX_BODY_BYTES", "2048")
    big = request("tools/call", {"name": "echo", "arguments": {"text": "x" * 4096}})
    assert call(app, post(big, {"mcp-protocol-version": "2025-11-25"})).status == 413
    small = request("tools/call", {"name": "echo", "arguments": {"text": "x" * 100}})
    assert call(app, post(small, {"mcp-protocol-version": "2025-11-25"})).status == 200


def test_bad_limit_setting_is_503_naming_nothing_secret(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THOTH_MAX_BODY_BYTES", "lots")
    reply = call(app, post(INIT))
    assert reply.status == 503 and reply.json["error"] == "misconfigured"


def test_origin_allowlist(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post(INIT, {"origin": "https://evil.example"}))
    assert reply.status == 403 and reply.json["id"] is None
    monkeypatch.setenv("THOTH_ALLOWED_ORIGINS", "https://app.example, http://localhost:6274")
    ok = call(app, post(INIT, {"origin": "https://app.example"}))
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == "https://app.example"
    assert call(app, post(INIT, {"origin": "https://evil.example"})).status == 403
    assert call(app, post(INIT, {"origin": "null"})).status == 403
    preflight = call(app, event("OPTIONS", "/mcp", {"origin": "http://localhost:6274"}))
    assert (
        preflight.status == 204
        and "mcp-protocol-version" in preflight.headers["access-control-allow-headers"]
    )


def test_host_allowlist(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert call(app, post(INIT, {"host": "anything.example"})).status == 200  # no allowlist: any host
    monkeypatch.setenv("THOTH_ALLOWED_HOSTS", "127.0.0.1:8765,localhost")
    assert call(app, post(INIT, {"host": "127.0.0.1:8765"})).status == 200
    assert call(app, post(INIT, {"host": "localhost:9999"})).status == 200
    assert call(app, post(INIT, {"host": "attacker.example:8765"})).status == 421
    assert call(app, post(INIT)).status == 421  # no Host at all


def test_parse_errors_are_400_with_null_id(app) -> None:  # type: ignore[no-untyped-def]
    for raw in (
        b"{",
        b"",
        b"\xff\xfe{}",
        b'{"a":1,"a":2}',
        b"NaN",
        b'{"jsonrpc":"2.0","id":1,"method":"ping","x":Infinity}',
    ):
        reply = call(app, post(raw, raw=True))
        assert reply.status == 400, raw
        assert reply.json["id"] is None and reply.error["code"] == -32700


def test_deeply_nested_json_is_a_parse_error(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post("[" * 100_000 + "]" * 100_000, raw=True))
    assert reply.status in (400, 413)


def test_base64_bodies_are_decoded(app) -> None:  # type: ignore[no-untyped-def]
    ev = event("POST", "/mcp", {**POST_HEADERS, "authorization": f"Bearer {KEY}"}, json.dumps(INIT), b64=True)
    assert call(app, ev).result["protocolVersion"] == "2025-11-25"
    ev["body"] = "!!!not base64"
    assert call(app, ev).status == 400


@pytest.mark.parametrize(
    "message",
    [
        [],
        "string",
        42,
        {"jsonrpc": "1.0", "id": 1, "method": "ping"},
        {"id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": None, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1.5, "method": "ping"},
        {"jsonrpc": "2.0", "id": True, "method": "ping"},
        {"jsonrpc": "2.0", "id": [1], "method": "ping"},
        {"jsonrpc": "2.0", "id": 1, "method": 5},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}},
    ],
)
def test_invalid_requests_are_32600(app, message: object) -> None:  # type: ignore[no-untyped-def]
    for headers in ({"mcp-protocol-version": "2025-11-25"}, {"mcp-protocol-version": MODERN}):
        reply = call(app, post(message, headers))
        assert reply.status == 400
        body = reply.json
        if isinstance(body, dict):
            assert body["error"]["code"] == -32600


def test_params_that_are_not_an_object_are_32602_with_the_id(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post({"jsonrpc": "2.0", "id": "abc", "method": "tools/list", "params": [1]}))
    assert reply.status == 400 and reply.json["id"] == "abc" and reply.error["code"] == -32602


def test_batches_only_in_2025_03_26(app) -> None:  # type: ignore[no-untyped-def]
    batch = [
        request("ping", rid=1),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        request("nope", rid=2),
    ]
    for headers in ({}, {"mcp-protocol-version": "2025-03-26"}):
        reply = call(app, post(batch, headers))
        assert reply.status == 200
        by_id = {item["id"]: item for item in reply.json}
        assert by_id[1]["result"] == {} and by_id[2]["error"]["code"] == -32601
    only_notifications = [{"jsonrpc": "2.0", "method": "notifications/initialized"}]
    assert call(app, post(only_notifications)).status == 202
    assert call(app, post([])).status == 400
    assert call(app, post([request("ping", rid=i) for i in range(40)])).status == 400
    in_batch = call(app, post([INIT]))
    assert in_batch.json[0]["error"]["code"] == -32600
    for version in ("2025-06-18", "2025-11-25", MODERN):
        reply = call(app, post(batch, {"mcp-protocol-version": version}))
        assert reply.status == 400 and reply.error["code"] == -32600


def test_batch_items_that_are_malformed_get_their_own_errors(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post([5, request("ping", rid="a")]))
    assert reply.status == 200
    assert reply.json[0]["error"]["code"] == -32600 and reply.json[0]["id"] is None
    assert reply.json[1] == {"jsonrpc": "2.0", "id": "a", "result": {}}


def test_responses_are_compact_ascii_json_without_cache(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, modern("tools/call", {"name": "echo", "arguments": {"text": "héllo \ud800"}}))
    assert reply.status == 200
    assert reply.text.isascii() and reply.headers["cache-control"] == "no-store"
    assert reply.result["structuredContent"] == {"echo": {"text": "héllo \ud800"}}


def test_an_origin_with_control_characters_is_never_echoed(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("THOTH_ALLOWED_ORIGINS", "*")
    assert call(app, post(INIT, {"origin": "https://ok.example"})).headers["access-control-allow-origin"]
    reply = call(app, post(INIT, {"origin": "https://x.example\r\nset-cookie: a=b"}))
    assert reply.status == 403 and "access-control-allow-origin" not in reply.headers
