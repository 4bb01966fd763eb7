"""Finding 8: the open /health says *that* something is wrong, never bucket, table, account or URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.support.mcp_app import call, event
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.search.catalog import SearchTools
from thoth.shared import aws
from thoth.shared.config import get_settings

ACCOUNT = "123456789012"
TABLE = f"thoth-dev-mcp-state-{ACCOUNT}"
BUCKET = f"thoth-dev-{ACCOUNT}"


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("S3_BUCKET_NAME", BUCKET)
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", TABLE)
    monkeypatch.setenv("THOTH_API_KEYS", "k" * 32)
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "env")
    get_settings.cache_clear()
    aws.reset_clients()
    yield
    get_settings.cache_clear()
    aws.reset_clients()


def _health(caplog: pytest.LogCaptureFixture) -> tuple[int, str]:
    caplog.set_level(logging.INFO)
    reply = call(App(catalog=SearchTools()), event("GET", "/health"))
    return reply.status, reply.text


def test_a_missing_table_is_degraded_without_naming_it(
    deployed: None, caplog: pytest.LogCaptureFixture
) -> None:
    with mock_aws():  # the table was never created: DynamoDB answers ResourceNotFoundException
        status, text = _health(caplog)
    assert status == 503 and '"status": "degraded"' in text.replace('":"', '": "')
    assert ACCOUNT not in text and TABLE not in text and "DYNAMODB_TABLE_NAME" not in text
    assert "see the server logs" in text
    assert TABLE in caplog.text  # the operator still gets the cause, in the logs


def test_an_unreachable_endpoint_is_degraded_without_naming_it(
    deployed: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("THOTH_AWS_TIMEOUT_S", "1")
    get_settings.cache_clear()
    status, text = _health(caplog)
    assert status == 503
    assert "127.0.0.1:9" not in text and ACCOUNT not in text and "AWS_ENDPOINT_URL" not in text
    assert "127.0.0.1:9" in caplog.text
