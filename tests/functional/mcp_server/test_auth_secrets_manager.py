"""API keys from Secrets Manager (moto in-process): rotation through a JSON list, TTL, failures, no leaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.mcp_app import KEY, OTHER_KEY, FakeCatalog, call, post
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth
from thoth.shared.config import get_settings
from thoth.shared.secrets import Secrets

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
SECRET_ID = "thoth/dev/api-key"


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.delenv("THOTH_API_KEYS")
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "aws")
    get_settings.cache_clear()
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _status(app: App, key: str) -> int:
    return call(app, post(PING, {"authorization": f"Bearer {key}"}, auth=False)).status


def test_rotation_through_secrets_manager(secretsmanager: Any, capsys: pytest.CaptureFixture[str]) -> None:
    secretsmanager.create_secret(Name=SECRET_ID, SecretString=json.dumps([KEY]))
    clock = Clock()
    app = App(catalog=FakeCatalog(), auth=ApiKeyAuth(Secrets(clock=clock), clock=clock))
    assert _status(app, KEY) == 200
    assert _status(app, OTHER_KEY) == 401

    # Phase 1 of a rotation: both keys live. The new key works at once (a miss re-reads the secret).
    secretsmanager.put_secret_value(SecretId=SECRET_ID, SecretString=json.dumps([KEY, OTHER_KEY]))
    clock.now += 11
    assert _status(app, OTHER_KEY) == 200
    assert _status(app, KEY) == 200

    # Phase 2: the old key is retired; it keeps working only until the cache TTL runs out.
    secretsmanager.put_secret_value(SecretId=SECRET_ID, SecretString=json.dumps([OTHER_KEY]))
    assert _status(app, KEY) == 200
    clock.now += get_settings().secret_cache_ttl_s + 1
    assert _status(app, KEY) == 401
    assert _status(app, OTHER_KEY) == 200

    out = capsys.readouterr().out
    assert KEY not in out and OTHER_KEY not in out


def test_a_plain_string_secret_is_one_key(secretsmanager: Any) -> None:
    secretsmanager.create_secret(Name=SECRET_ID, SecretString=KEY)
    app = App(catalog=FakeCatalog())
    assert _status(app, KEY) == 200
    assert call(app, post(PING, {"x-api-key": KEY}, auth=False)).status == 200


def test_missing_secret_is_503_not_open(secretsmanager: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = App(catalog=FakeCatalog())
    reply = call(app, post(PING, {"authorization": f"Bearer {KEY}"}, auth=False))
    assert reply.status == 503 and reply.json["error"] == "auth_not_configured"
    assert "thoth/<env>/api-key" in capsys.readouterr().out


def test_malformed_secret_is_503_and_names_the_fix(
    secretsmanager, capsys: pytest.CaptureFixture[str]
) -> None:
    secretsmanager.create_secret(Name=SECRET_ID, SecretString="[broken")
    reply = call(App(catalog=FakeCatalog()), post(PING))
    assert reply.status == 503
    assert "JSON list" in capsys.readouterr().out


def test_unreachable_secrets_manager_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THOTH_API_KEYS")
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "aws")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("THOTH_AWS_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    reply = call(App(catalog=FakeCatalog()), post(PING))
    assert reply.status == 503 and "127.0.0.1" not in reply.text
