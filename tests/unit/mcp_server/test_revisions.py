"""What each MCP revision answers: handshake era (initialize) and 2026-07-28 (per-request envelope)."""

from __future__ import annotations

import base64
import time

import pytest

from tests.support.mcp_app import (
    HANDSHAKE,
    META,
    MODERN,
    FakeCatalog,
    call,
    make_app,
    modern,
    modern_headers,
    post,
    request,
)


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog()


@pytest.fixture
def app(catalog: FakeCatalog):  # type: ignore[no-untyped-def]
    return make_app(catalog)


def _init(version: object) -> dict[str, object]:
    return request(
        "initialize",
        {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    )


@pytest.mark.parametrize("version", HANDSHAKE)
def test_initialize_echoes_a_supported_handshake_version(app, version: str) -> None:  # type: ignore[no-untyped-def]
    result = call(app, post(_init(version))).result
    assert result["protocolVersion"] == version
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == "thoth-mcp-server"
    assert ("title" in result["serverInfo"]) == (version != "2025-03-26")
    assert "resultType" not in result and "ttlMs" not in result


@pytest.mark.parametrize("version", ["2024-11-05", "1999-01-01", MODERN])
def test_initialize_counter_offers_the_latest_handshake_version(app, version: str) -> None:  # type: ignore[no-untyped-def]
    assert call(app, post(_init(version))).result["protocolVersion"] == "2025-11-25"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"protocolVersion": 5, "capabilities": {}},
        {"protocolVersion": "2025-11-25"},
        {"protocolVersion": "2025-11-25", "capabilities": [], "clientInfo": {}},
    ],
)
def test_initialize_with_bad_params_is_32602(app, params: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post(request("initialize", params)))
    assert reply.status == 200 and reply.error["code"] == -32602


def test_tools_list_per_revision(app) -> None:  # type: ignore[no-untyped-def]
    old = call(app, post(request("tools/list"), {"mcp-protocol-version": "2025-03-26"})).result
    assert [t["name"] for t in old["tools"]] == ["echo", "route"]
    assert all("title" not in t and "outputSchema" not in t for t in old["tools"])
    assert old["tools"][0]["annotations"] == {"readOnlyHint": True}
    assert set(old) == {"tools"}
    for version in ("2025-06-18", "2025-11-25"):
        result = call(app, post(request("tools/list"), {"mcp-protocol-version": version})).result
        assert result["tools"][0]["title"] == "Echo" and "outputSchema" in result["tools"][0]
        assert "outputSchema" not in result["tools"][1] and set(result) == {"tools"}
    new = call(app, modern("tools/list")).result
    assert [t["name"] for t in new["tools"]] == ["echo", "route"]
    assert (new["resultType"], new["cacheScope"]) == ("complete", "public") and new["ttlMs"] > 0


def test_tool_order_is_deterministic(app) -> None:  # type: ignore[no-untyped-def]
    first = call(app, modern("tools/list")).text
    assert all(call(app, modern("tools/list")).text == first for _ in range(3))


@pytest.mark.parametrize("cursor", ["abc", "", 5, {"x": 1}])
def test_tools_list_rejects_cursors_it_never_issued(app, cursor: object) -> None:  # type: ignore[no-untyped-def]
    legacy = call(
        app, post(request("tools/list", {"cursor": cursor}), {"mcp-protocol-version": "2025-11-25"})
    )
    assert legacy.error["code"] == -32602
    reply = call(app, modern("tools/list", {"cursor": cursor}))
    assert reply.status == 400 and reply.error["code"] == -32602


def test_tools_call_per_revision(app, catalog: FakeCatalog) -> None:  # type: ignore[no-untyped-def]
    params = {"name": "echo", "arguments": {"text": "hi"}}
    old = call(app, post(request("tools/call", params), {"mcp-protocol-version": "2025-03-26"})).result
    assert old == {"content": [{"type": "text", "text": '{"text": "hi"}'}]}
    mid = call(app, post(request("tools/call", params), {"mcp-protocol-version": "2025-06-18"})).result
    assert mid["structuredContent"] == {"echo": {"text": "hi"}} and "resultType" not in mid
    new = call(app, modern("tools/call", params)).result
    assert new["structuredContent"] == {"echo": {"text": "hi"}} and new["resultType"] == "complete"
    assert "isError" not in new
    deadline = catalog.calls[-1][2]
    assert deadline is not None and 0 < deadline - time.monotonic() <= 25.0


@pytest.mark.parametrize(
    ("version", "as_result"),
    [("2025-03-26", False), ("2025-06-18", False), ("2025-11-25", True), (MODERN, True)],
)
def test_argument_errors_follow_sep_1303_per_revision(app, version: str, as_result: bool) -> None:  # type: ignore[no-untyped-def]
    params = {"name": "echo", "arguments": {"text": 5}}
    if version == MODERN:
        reply = call(app, modern("tools/call", params))
    else:
        reply = call(app, post(request("tools/call", params), {"mcp-protocol-version": version}))
    if as_result:  # SEP-1303: the model reads the message and corrects the argument
        assert reply.status == 200 and reply.result["isError"] is True
        text = reply.result["content"][0]["text"]
        assert "'text'" in text and "must be a string" in text and "call echo again" in text
    else:  # the two older revisions keep the protocol error their clients expect
        assert reply.status == 200 and reply.error["code"] == -32602 and "'text'" in reply.error["message"]
    unknown = call(app, post(request("tools/call", {"name": "nope"}), {"mcp-protocol-version": version}))
    if version == MODERN:
        unknown = call(app, modern("tools/call", {"name": "nope"}))
    assert unknown.error["code"] == -32602  # an unknown tool stays a protocol error everywhere


def test_tool_errors_map_to_protocol_errors_or_is_error(app) -> None:  # type: ignore[no-untyped-def]
    unknown = call(app, modern("tools/call", {"name": "nope"}))
    assert unknown.status == 400 and unknown.error["code"] == -32602
    legacy_unknown = call(app, post(request("tools/call", {"name": "nope"})))
    assert legacy_unknown.status == 200 and legacy_unknown.error["code"] == -32602
    tool_error = call(app, modern("tools/call", {"name": "tool-error"})).result
    assert tool_error["isError"] is True and "refresh" in tool_error["content"][0]["text"]
    thoth_error = call(app, modern("tools/call", {"name": "thoth-error"})).result
    assert thoth_error["isError"] is True and "/tmp/" not in thoth_error["content"][0]["text"]
    crash = call(app, modern("tools/call", {"name": "crash"}))
    assert crash.status == 200 and crash.error["code"] == -32603
    assert (
        "Traceback" not in crash.text
        and "/work/" not in crash.text
        and "request id" in crash.error["message"]
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"name": 5}, {"name": ""}, {"name": "echo", "arguments": [1]}, {"name": "echo", "arguments": "x"}],
)
def test_tools_call_with_bad_params_is_32602(app, params: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, post(request("tools/call", params), {"mcp-protocol-version": "2025-11-25"}))
    assert reply.error["code"] == -32602


def test_ping_exists_only_in_the_handshake_era(app) -> None:  # type: ignore[no-untyped-def]
    for version in HANDSHAKE:
        assert call(app, post(request("ping"), {"mcp-protocol-version": version})).result == {}
    reply = call(app, modern("ping"))
    assert reply.status == 404 and reply.error["code"] == -32601


@pytest.mark.parametrize(
    "method", ["resources/list", "prompts/list", "logging/setLevel", "completion/complete", "x"]
)
def test_unknown_methods_are_32601(app, method: str) -> None:  # type: ignore[no-untyped-def]
    legacy = call(app, post(request(method), {"mcp-protocol-version": "2025-11-25"}))
    assert legacy.status == 200 and legacy.error["code"] == -32601
    reply = call(app, modern(method))
    assert reply.status == 404 and reply.error["code"] == -32601


def test_server_discover(app) -> None:  # type: ignore[no-untyped-def]
    result = call(app, modern("server/discover")).result
    assert MODERN in result["supportedVersions"] and "2025-11-25" in result["supportedVersions"]
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert (result["resultType"], result["cacheScope"]) == ("complete", "public") and result["ttlMs"] >= 0
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "thoth-mcp-server"
    legacy = call(app, post(request("server/discover"), {"mcp-protocol-version": "2025-11-25"}))
    assert legacy.error["code"] == -32601  # handshake-era clients probing discover fall back to initialize


def test_initialize_is_not_a_modern_method(app) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, modern("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}))
    assert reply.status == 404 and reply.error["code"] == -32601


@pytest.mark.parametrize(
    "meta",
    [
        None,
        "not-an-object",
        {},
        {"io.modelcontextprotocol/protocolVersion": MODERN},
        {"io.modelcontextprotocol/clientCapabilities": {}},
    ],
)
def test_missing_envelope_is_32602(app, meta: object) -> None:  # type: ignore[no-untyped-def]
    params = {} if meta is None else {"_meta": meta}
    reply = call(app, post(request("tools/list", params), modern_headers("tools/list")))
    assert reply.status == 400 and reply.error["code"] == -32602 and reply.json["id"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"mcp-method": "tools/call"},
        {"mcp-method": ""},
        {"mcp-method": "tools/list,tools/list"},
        {"mcp-method": "TOOLS/LIST"},
    ],
)
def test_mcp_method_mismatch_is_32020(app, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    reply = call(app, modern("tools/list", **headers))
    assert reply.status == 400 and reply.error["code"] == -32020


def test_missing_mcp_method_header_is_32020(app) -> None:  # type: ignore[no-untyped-def]
    ev = modern("tools/list")
    del ev["headers"]["mcp-method"]
    assert call(app, ev).error["code"] == -32020


def test_mcp_name_must_match_the_tool_name(app) -> None:  # type: ignore[no-untyped-def]
    params = {"name": "echo", "arguments": {}}
    assert call(app, modern("tools/call", params, **{"mcp-name": "route"})).error["code"] == -32020
    ev = modern("tools/call", params)
    del ev["headers"]["mcp-name"]
    assert call(app, ev).error["code"] == -32020
    encoded = "=?base64?" + base64.b64encode(b"echo").decode() + "?="
    assert call(app, modern("tools/call", params, **{"mcp-name": encoded})).status == 200
    assert call(app, modern("tools/call", params, **{"mcp-name": "=?base64?!!?="})).error["code"] == -32020


def test_non_ascii_tool_name_travels_base64_encoded(app) -> None:  # type: ignore[no-untyped-def]
    name = "écho"
    encoded = "=?base64?" + base64.b64encode(name.encode()).decode() + "?="
    reply = call(app, modern("tools/call", {"name": name}, **{"mcp-name": encoded}))
    assert reply.error["code"] == -32602  # header matched; the tool itself is unknown


def test_protocol_version_header_must_match_the_envelope(app) -> None:  # type: ignore[no-untyped-def]
    body = request("tools/list", {"_meta": {**META, "io.modelcontextprotocol/protocolVersion": "2025-11-25"}})
    reply = call(app, post(body, modern_headers("tools/list")))
    assert reply.status == 400 and reply.error["code"] == -32020
    future = request(
        "tools/list", {"_meta": {**META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}}
    )
    mismatched = call(app, post(future, modern_headers("tools/list", version="2098-01-01")))
    assert mismatched.error["code"] == -32020
    unknown = call(app, post(future, modern_headers("tools/list", version="2099-01-01")))
    assert unknown.status == 400 and unknown.error["code"] == -32022
    assert unknown.error["data"] == {
        "supported": [MODERN, "2025-11-25", "2025-06-18", "2025-03-26"],
        "requested": "2099-01-01",
    }


def test_mcp_param_headers_are_checked_against_arguments(app) -> None:  # type: ignore[no-untyped-def]
    args = {"region": "us-west1", "shard": 42, "query": "q"}
    ok = call(
        app,
        modern(
            "tools/call",
            {"name": "route", "arguments": args},
            **{"mcp-param-region": "us-west1", "mcp-param-shard": "42"},
        ),
    )
    assert ok.status == 200, ok.text
    numeric = call(
        app,
        modern(
            "tools/call",
            {"name": "route", "arguments": args},
            **{"mcp-param-region": "us-west1", "mcp-param-shard": "42.0"},
        ),
    )
    assert numeric.status == 200
    missing = call(
        app, modern("tools/call", {"name": "route", "arguments": args}, **{"mcp-param-region": "us-west1"})
    )
    assert missing.error["code"] == -32020
    wrong = call(
        app,
        modern(
            "tools/call",
            {"name": "route", "arguments": args},
            **{"mcp-param-region": "eu", "mcp-param-shard": "42"},
        ),
    )
    assert wrong.error["code"] == -32020
    absent_arg = call(
        app, modern("tools/call", {"name": "route", "arguments": {}}, **{"mcp-param-region": "eu"})
    )
    assert absent_arg.error["code"] == -32020
    encoded = "=?base64?" + base64.b64encode(b" padded ").decode() + "?="
    padded = call(
        app,
        modern(
            "tools/call",
            {"name": "route", "arguments": {"region": " padded "}},
            **{"mcp-param-region": encoded},
        ),
    )
    assert padded.status == 200
    # Handshake-era requests carry no mirrored headers; nothing is checked there.
    legacy = call(
        app,
        post(
            request("tools/call", {"name": "route", "arguments": args}),
            {"mcp-protocol-version": "2025-11-25"},
        ),
    )
    assert legacy.status == 200 and "error" not in legacy.json


def test_time_budget_follows_the_lambda_context(app, catalog: FakeCatalog) -> None:  # type: ignore[no-untyped-def]
    class Short:
        aws_request_id = "r"

        def get_remaining_time_in_millis(self) -> int:
            return 3_000

    app(modern("tools/call", {"name": "echo", "arguments": {}}), Short())
    deadline = catalog.calls[-1][2]
    assert deadline is not None and deadline - time.monotonic() <= 2.0

    class Expired(Short):
        def get_remaining_time_in_millis(self) -> int:
            return 500

    before = len(catalog.calls)
    response = app(modern("tools/call", {"name": "echo", "arguments": {}}), Expired())
    # One deadline policy: a used-up budget is a tool error the model can act on (retry), not -32603.
    assert '"isError":true' in response["body"] and "time budget ran out" in response["body"]
    assert len(catalog.calls) == before
