"""API-key authentication: header forms, rotation lists, 401 challenges, refusal to run open on AWS."""

from __future__ import annotations

import json

import pytest

from tests.support.mcp_app import KEY, OTHER_KEY, call, event, make_app, modern, post
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth, parse_keys, presented_key
from thoth.shared.errors import ConfigError
from thoth.shared.secrets import Secrets

INIT = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


def test_parse_keys_plain_and_json_list() -> None:
    assert parse_keys(None) == () and parse_keys("  ") == ()
    assert parse_keys(f"  {KEY}\n") == (KEY,)
    assert parse_keys(json.dumps([KEY, OTHER_KEY])) == (KEY, OTHER_KEY)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("[not json", "not a JSON list"),
        ("[]", "non-empty JSON list"),
        ('[1, "abcdefghijklmnopqrstu"]', "non-empty JSON list"),
        ("short", "shorter than 16"),
        (json.dumps([KEY, "tiny"]), "API key #2"),
        ("has space inside the key!", "whitespace"),
    ],
)
def test_malformed_secrets_name_the_fix(raw: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_keys(raw)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"authorization": f"Bearer {KEY}"}, KEY),
        ({"authorization": f"bearer   {KEY} "}, KEY),
        ({"x-api-key": KEY}, KEY),
        ({"authorization": "Basic dXNlcjpwYXNz", "x-api-key": KEY}, KEY),
        ({"authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_presented_key(headers: dict[str, str], expected: str | None) -> None:
    assert presented_key(headers) == expected


@pytest.mark.parametrize("headers", [{"authorization": f"Bearer {KEY}"}, {"x-api-key": KEY}])
def test_accepted_header_forms(headers: dict[str, str]) -> None:
    assert call(make_app(), post(INIT, headers, auth=False)).status == 200


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, None),
        ({"authorization": "Bearer wrong-key-0123456789"}, "invalid_token"),
        ({"x-api-key": KEY[:-1]}, "invalid_token"),
        ({"authorization": f"Bearer {KEY},Bearer {KEY}"}, "invalid_token"),
        ({"authorization": f"Basic {KEY}"}, None),
    ],
)
def test_rejections_are_401_with_a_challenge(headers: dict[str, str], error: str | None) -> None:
    reply = call(make_app(), post(INIT, headers, auth=False))
    assert reply.status == 401
    challenge = reply.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="thoth-mcp"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert KEY not in reply.text


def test_auth_comes_before_any_protocol_detail() -> None:
    reply = call(make_app(), modern("tools/list", authorization="Bearer nope-nope-nope-nope"))
    assert reply.status == 401 and "tools" not in reply.text


def test_health_needs_no_key() -> None:
    assert call(make_app(), event("GET", "/health")).status == 200


def test_rotation_with_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps([KEY, OTHER_KEY]))
    for key in (KEY, OTHER_KEY):
        assert call(app, post(INIT, {"authorization": f"Bearer {key}"}, auth=False)).status == 200
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps([OTHER_KEY]))  # the old key is retired
    assert call(app, post(INIT, {"authorization": f"Bearer {KEY}"}, auth=False)).status == 401
    assert call(app, post(INIT, {"authorization": f"Bearer {OTHER_KEY}"}, auth=False)).status == 200


def test_no_keys_configured_is_503_and_the_log_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("THOTH_API_KEYS")
    reply = call(make_app(), post(INIT))
    assert reply.status == 503 and reply.json["error"] == "auth_not_configured"
    assert "THOTH_API_KEYS" in capsys.readouterr().out


def test_auth_off_must_be_explicit_and_is_refused_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THOTH_API_KEYS")
    monkeypatch.setenv("THOTH_AUTH", "off")
    assert call(make_app(), post(INIT, auth=False)).status == 200
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "thoth-mcp-server")
    reply = call(make_app(), post(INIT, auth=False))
    assert reply.status == 503 and reply.json["error"] == "misconfigured"
    health = call(make_app(), event("GET", "/health"))
    assert health.status == 503 and health.json["reason"] == "the server is misconfigured; see its logs"
    monkeypatch.setenv("THOTH_AUTH", "maybe")
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    assert call(make_app(), post(INIT, auth=False)).status == 503


def test_keys_never_reach_the_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps([KEY, OTHER_KEY]))
    app = make_app()
    call(app, post(INIT, {"authorization": f"Bearer {OTHER_KEY}"}, auth=False))
    call(app, post(INIT, {"x-api-key": KEY}, auth=False))
    call(app, modern("tools/call", {"name": "echo", "arguments": {"text": KEY}}))
    out = capsys.readouterr().out
    assert out.count('"message": "request"') == 3
    assert KEY not in out and OTHER_KEY not in out


def test_a_failing_key_rereads_the_secret_at_most_every_few_seconds() -> None:
    class CountingSecrets(Secrets):
        def __init__(self) -> None:
            super().__init__()
            self.value = KEY
            self.clears = 0

        def get(self, name: str) -> str | None:
            return self.value

        def clear(self) -> None:
            self.clears += 1

    now = [100.0]
    secrets = CountingSecrets()
    auth = ApiKeyAuth(secrets, clock=lambda: now[0])
    assert auth.check({"x-api-key": OTHER_KEY}).ok is False
    assert auth.check({"x-api-key": OTHER_KEY}).ok is False
    assert secrets.clears == 1
    secrets.value = json.dumps([KEY, OTHER_KEY])  # rotated in while cached
    now[0] += 11
    assert auth.check({"x-api-key": OTHER_KEY}).ok is True
