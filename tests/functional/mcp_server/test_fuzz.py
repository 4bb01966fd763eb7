"""Bad input: 10,600 generated events and bodies, in-process against the real handler and tools.

Each property checks what a caller would see: no exception escapes, no status 500,
every non-empty body is JSON, and no body shows a traceback or a server path.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.support.mcp_app import KEY, META, Context
from thoth.mcp_server.lambda_handler import App

LEAKS = re.compile(r'Traceback|File "|/work/|site-packages|\.py\b|/tmp/')
VERSIONS = [
    None,
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
    "2024-11-05",
    "",
    "2026-07-28,2025-11-25",
]
METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "server/discover",
    "notifications/initialized",
    "resources/list",
    "resources/templates/list",
    "resources/read",
]
TOOLS = [
    "search_handbook", "get_handbook_section", "list_topics", "index_status", "search", "fetch", "nope", "",
]  # fmt: skip
FUZZ = settings(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # explicit: the @example regressions
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Cheap to draw (generation, not the handler, dominates the run time): scalars plus a pool of
# awkward shapes; the recursive strategy appears only at the top level of a body.
JUNK = [
    None,
    True,
    False,
    0,
    -1,
    2**70,
    1.5,
    -0.0,
    "",
    "x",
    "\ud800",
    "é" * 3,
    [],
    {},
    [1, "a"],
    {"a": None},
    {"": []},
]
json_scalars = st.one_of(st.sampled_from(JUNK), st.integers(), st.text(max_size=30))
json_values = json_scalars
json_trees = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
ids = st.one_of(
    st.integers(),
    st.text(max_size=12),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.just([1]),
)
cursors = st.one_of(
    st.text(max_size=80),
    st.integers(),
    st.none(),
    st.just("eyJvZmZzZXQiOiAxMH0="),
    st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()),
)
# thoth:// addresses (fetch ids, resource URIs): well-formed, traversal, odd escapes, huge, not ours.
addresses = st.one_of(
    st.text(max_size=80),
    st.text(max_size=60).map(lambda t: "thoth://" + t),
    st.text(max_size=60).map(lambda t: "thoth://handbook/" + t),
    st.sampled_from(
        [
            "thoth://handbook/people/time-off.md#requesting-time-off",
            "thoth://handbook/../../etc/passwd",
            "thoth://handbook/%2e%2e/%2e%2e/etc/passwd",
            "thoth://handbook/a%ff.md",
            "thoth://handbook/a.md#%00",
            "file:///etc/passwd",
            "thoth://handbook/" + "%E3%81%82" * 600,
        ]
    ),
    st.integers(),
    st.none(),
)
arguments = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.one_of(st.text(max_size=200), st.integers(), st.just("x" * 5000)),
            "limit": st.one_of(
                st.integers(-5, 50), st.text(max_size=3), st.floats(allow_nan=False, allow_infinity=False)
            ),
            "source": st.one_of(st.text(max_size=20), st.just("handbook"), st.just("../etc")),
            "path_prefix": st.text(max_size=40),
            "path": st.one_of(
                st.text(max_size=60), st.just("people/time-off.md"), st.just("../../etc/passwd")
            ),
            "heading": st.text(max_size=30),
            "max_chars": st.one_of(st.integers(-10, 20000), st.text(max_size=5)),
            "cursor": cursors,
            "prefix": st.text(max_size=30),
            "id": addresses,
        },
    ),
)
metas = st.one_of(
    st.just(META),
    json_values,
    st.fixed_dictionaries({}, optional={k: json_values | st.just(v) for k, v in META.items()}),
)
params = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(st.sampled_from(TOOLS), json_values),
            "arguments": arguments,
            "_meta": metas,
            "cursor": cursors,
            "protocolVersion": st.one_of(st.sampled_from([v for v in VERSIONS if v]), json_values),
            "capabilities": json_values,
            "clientInfo": json_values,
            "uri": addresses,
        },
    ),
)
messages = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.one_of(st.just("2.0"), json_scalars),
        "id": ids,
        "method": st.one_of(st.sampled_from(METHODS), st.text(max_size=20), json_scalars),
        "params": params,
        "result": json_values,
        "error": json_values,
    },
)
bodies = st.one_of(messages, st.lists(messages, max_size=4), json_trees)


@st.composite
def mcp_headers(draw: st.DrawFn, body: Any) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if draw(st.booleans()):
        headers["authorization"] = f"Bearer {KEY}"
    elif draw(st.booleans()):
        headers["x-api-key"] = draw(st.sampled_from([KEY, "wrong-key-0123456789", ""]))
    version = draw(st.sampled_from(VERSIONS))
    if version is not None:
        headers["mcp-protocol-version"] = version
    method = body.get("method") if isinstance(body, dict) else None
    if draw(st.booleans()):
        headers["mcp-method"] = (
            method if isinstance(method, str) and draw(st.booleans()) else draw(st.text(max_size=12))
        )
    name = (
        body.get("params", {}).get("name")
        if isinstance(body, dict) and isinstance(body.get("params"), dict)
        else None
    )
    if draw(st.booleans()):
        headers["mcp-name"] = (
            name if isinstance(name, str) and draw(st.booleans()) else draw(st.text(max_size=12))
        )
    for _ in range(draw(st.integers(0, 2))):
        headers[
            draw(
                st.sampled_from(
                    [
                        "Accept",
                        "Content-Type",
                        "MCP-Protocol-Version",
                        "Mcp-Session-Id",
                        "Origin",
                        "Mcp-Param-Region",
                    ]
                )
            )
        ] = draw(st.text(max_size=30))
    return headers


def _event(method: str, path: str, headers: dict[str, Any], body: Any, b64: Any) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": headers,
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": b64,
    }


@pytest.fixture(scope="module")
def app() -> App:
    return App()  # the real tools catalog, imported lazily as on Lambda


def _check(app: App, event: Any, echoed: Any = None) -> None:
    """`echoed`: the client's own input, which an error may quote back (a URI `a.py` is no leak)."""
    response = app(event, Context())
    assert isinstance(response, dict) and set(response) == {
        "statusCode",
        "headers",
        "body",
        "isBase64Encoded",
    }
    status, body = response["statusCode"], response["body"]
    path = event.get("rawPath") if isinstance(event, dict) else None
    assert isinstance(status, int) and 200 <= status < 600 and status != 500
    assert status < 500 or (status == 503 and path in ("/health", "/health/")), (status, body)
    assert isinstance(body, str) and body.isascii()
    if body:
        json.loads(body)
    scanned = body.replace(json.dumps(echoed)[1:-1], "") if isinstance(echoed, str) and echoed else body
    assert not LEAKS.search(scanned), body


def _count(counter: list[int]) -> None:
    counter[0] += 1


def test_generated_json_rpc_messages(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    seen = [0]

    @settings(FUZZ, max_examples=3500)
    @given(st.data(), bodies)
    def run(data: st.DataObject, body: Any) -> None:
        headers = data.draw(mcp_headers(body))
        _check(app, _event("POST", "/mcp", headers, json.dumps(body), False))
        _count(seen)

    run()
    assert seen[0] >= 3500
    assert "Logging error" not in capsys.readouterr().err  # every log line stayed writable


def test_generated_raw_bodies(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    seen = [0]
    raw = st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.sampled_from(
            [b"[" * 50_000, b'{"a":' * 20_000, b"1" * 5000, b'"\\ud800"', b"\xef\xbb\xbf{}", b"NaN", b"[]"]
        ),
    )

    @settings(FUZZ, max_examples=3000)
    @given(st.data(), raw)
    def run(data: st.DataObject, body: bytes) -> None:
        headers = data.draw(mcp_headers({}))
        _check(app, _event("POST", "/mcp", headers, base64.b64encode(body).decode(), True))
        _count(seen)

    run()
    assert seen[0] >= 3000
    assert "Logging error" not in capsys.readouterr().err  # every log line stayed writable


def test_generated_events(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    seen = [0]
    header_maps = st.one_of(
        st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=6),
        st.dictionaries(st.text(max_size=5), json_values, max_size=3),
        json_values,
    )
    events = st.fixed_dictionaries(
        {},
        optional={
            "version": st.one_of(st.just("2.0"), json_scalars),
            "rawPath": st.one_of(
                st.sampled_from(["/mcp", "/health", "/", "/mcp/", "/x"]), st.text(max_size=20), json_scalars
            ),
            "headers": header_maps,
            "requestContext": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {
                        "http": st.one_of(
                            json_values,
                            st.fixed_dictionaries(
                                {
                                    "method": st.one_of(
                                        st.sampled_from(["GET", "POST", "DELETE", "HEAD", "OPTIONS", "get"]),
                                        json_scalars,
                                    )
                                }
                            ),
                        )
                    },
                    optional={"stage": st.one_of(st.text(max_size=8), json_scalars)},
                ),
            ),
            "body": st.one_of(st.text(max_size=100), json_values),
            "isBase64Encoded": st.one_of(st.booleans(), json_scalars),
        },
    )

    @settings(FUZZ, max_examples=2600)
    @given(st.one_of(events, json_values))
    def run(event: Any) -> None:
        _check(app, event)
        _count(seen)

    run()
    assert seen[0] >= 2600
    assert "Logging error" not in capsys.readouterr().err  # every log line stayed writable


def test_generated_tool_calls_in_valid_envelopes(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    """Well-formed requests of every era whose tool name and arguments are fuzzed (bad cursors included)."""
    seen = [0]
    calls = st.fixed_dictionaries({"name": st.sampled_from(TOOLS), "arguments": arguments})

    @settings(FUZZ, max_examples=1500)
    @given(
        calls,
        st.sampled_from(["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]),
        st.integers(1, 2**40),
    )
    def run(call_params: dict[str, Any], version: str, rid: int) -> None:
        headers = {"content-type": "application/json", "accept": "application/json", "x-api-key": KEY}
        headers["mcp-protocol-version"] = version
        params: dict[str, Any] = dict(call_params)
        if version == "2026-07-28":
            params["_meta"] = META
            headers.update({"mcp-method": "tools/call", "mcp-name": call_params["name"]})
        body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params}
        event = _event("POST", "/mcp", headers, json.dumps(body), False)
        _check(app, event)
        reply = json.loads(app(event, Context())["body"])
        assert reply["id"] == rid and ("result" in reply) != ("error" in reply)
        if "error" in reply:
            assert reply["error"]["code"] == -32602, reply  # only argument problems are protocol errors
        _count(seen)

    run()
    assert seen[0] >= 1500
    assert "Logging error" not in capsys.readouterr().err  # every log line stayed writable


def test_generated_resource_reads_in_valid_envelopes(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    """resources/read of every era with fuzzed URIs: always an answer or a bad-params / not-found error."""
    seen = [0]

    @settings(FUZZ, max_examples=800)
    @given(addresses, st.sampled_from(["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]))
    @example("encoder_export.py", "2025-06-18")  # quoted back in the error: the client's input, no leak
    def run(uri: Any, version: str) -> None:
        headers = {"content-type": "application/json", "accept": "application/json", "x-api-key": KEY}
        headers["mcp-protocol-version"] = version
        params: dict[str, Any] = {"uri": uri}
        if version == "2026-07-28":
            params["_meta"] = META
            headers["mcp-method"] = "resources/read"
            if isinstance(uri, str) and uri.isascii() and uri.isprintable():
                headers["mcp-name"] = uri
            else:  # the header's base64 form for what a header cannot carry as-is
                shown = json.dumps(uri) if not isinstance(uri, str) else uri
                headers["mcp-name"] = (
                    "=?base64?" + base64.b64encode(shown.encode("utf-8", "replace")).decode() + "?="
                )
        body = {"jsonrpc": "2.0", "id": 7, "method": "resources/read", "params": params}
        event = _event("POST", "/mcp", headers, json.dumps(body), False)
        _check(app, event, echoed=uri)
        reply = json.loads(app(event, Context())["body"])
        if "error" in reply:
            allowed = {-32602, -32020} if version == "2026-07-28" else {-32602, -32002}
            assert reply["error"]["code"] in allowed, reply
        else:
            assert reply["result"]["contents"][0]["uri"] == uri
        _count(seen)

    run()
    assert seen[0] >= 800
    assert "Logging error" not in capsys.readouterr().err


def test_oversized_and_deep_payloads(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {
        "content-type": "application/json",
        "accept": "application/json",
        "authorization": f"Bearer {KEY}",
    }
    for body, status in (
        ("[" * 200_000 + "]" * 200_000, 400),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "y" * 2_000_000}}), 413),
        ('{"jsonrpc":"2.0","id":' + "9" * 10_000 + ',"method":"ping"}', 400),
    ):
        event = _event("POST", "/mcp", headers, body, False)
        _check(app, event)
        assert app(event, Context())["statusCode"] == status
