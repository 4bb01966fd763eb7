"""Faults at the AWS and file boundaries give one clear error and leave nothing half-written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from thoth.shared import aws
from thoth.shared.config import load_settings
from thoth.shared.errors import ConfigError, StateError, StorageError
from thoth.shared.secrets import SecretError, Secrets
from thoth.shared.state import DynamoStateStore, SqliteStateStore, state_store
from thoth.shared.storage import LocalObjectStore, S3ObjectStore, object_store


def test_factories_pick_local_defaults(tmp_path: Path) -> None:
    settings = load_settings({"THOTH_HOME": str(tmp_path)})
    assert isinstance(object_store(settings), LocalObjectStore)
    assert isinstance(state_store(settings), SqliteStateStore)


def test_factories_pick_aws_when_configured() -> None:
    settings = load_settings({"S3_BUCKET_NAME": "thoth-b", "DYNAMODB_TABLE_NAME": "thoth-t"})
    assert isinstance(object_store(settings), S3ObjectStore)
    assert isinstance(state_store(settings), DynamoStateStore)


def test_import_creates_no_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put the modules back afterwards: later tests must see the classes their modules were built with
    # (a fresh thoth.shared.errors made `isinstance(exc, IndexFormatError)` false in the registry).
    for name in [m for m in sys.modules if m.startswith("thoth.shared")]:
        monkeypatch.delitem(sys.modules, name)
    import thoth.shared.state
    import thoth.shared.storage

    assert thoth.shared.aws._clients == {}


@mock_aws
def test_missing_bucket_says_how_to_fix() -> None:
    store = S3ObjectStore("thoth-nope", settings=load_settings({"S3_BUCKET_NAME": "thoth-nope"}))
    with pytest.raises(StorageError, match="does not exist; create it"):
        store.put("k", b"x")


@mock_aws
def test_missing_table_says_how_to_fix() -> None:
    state = DynamoStateStore("thoth-nope", settings=load_settings({"DYNAMODB_TABLE_NAME": "thoth-nope"}))
    with pytest.raises(StateError, match="does not exist; create it"):
        state.get("p", "s")


def test_unreachable_endpoint_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(
        {"S3_BUCKET_NAME": "thoth-b", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "THOTH_AWS_TIMEOUT_S": "1"}
    )
    with pytest.raises(StorageError, match="unreachable"):
        S3ObjectStore("thoth-b", settings=settings).get("k")


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = load_settings({"DYNAMODB_TABLE_NAME": "thoth-t", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    with pytest.raises(StateError, match="no AWS credentials"):
        DynamoStateStore("thoth-t", settings=settings).get("p", "s")


def test_missing_region_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigError, match="AWS_REGION"):
        aws.client("s3", load_settings({}))


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="move it aside"):
        SqliteStateStore(path).get("p", "s")
    assert path.read_bytes().startswith(b"this is not")  # never overwritten


def test_failed_local_write_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    store.put("a/b", b"1")
    with pytest.raises(StorageError):
        store.put("a/b/c", b"2")  # a/b is an object, not a prefix
    with pytest.raises(StorageError):
        store.put("a", b"3")  # a is a prefix holding objects
    assert list(store.list()) == ["a/b"]
    assert sorted(p.name for p in (tmp_path / "objects").rglob("*")) == ["a", "b"]


def test_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_API_KEYS", '["k1-abcdef", "k2-abcdef"]')
    assert Secrets(load_settings({})).get("api-key") == '["k1-abcdef", "k2-abcdef"]'
    assert Secrets(load_settings({})).get("gitlab-token") is None
    with pytest.raises(SecretError, match="unknown secret"):
        Secrets(load_settings({})).get("db-password")


@mock_aws
def test_secrets_manager_cached_with_ttl() -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="thoth/dev/api-key", SecretString=json.dumps(["old-key-123"]))
    now = [0.0]
    settings = load_settings(
        {"ENVIRONMENT": "dev", "THOTH_SECRETS_BACKEND": "aws", "THOTH_SECRET_CACHE_TTL_S": "60"}
    )
    secrets = Secrets(settings, clock=lambda: now[0])
    assert secrets.get("api-key") == '["old-key-123"]'
    client.put_secret_value(SecretId="thoth/dev/api-key", SecretString=json.dumps(["new-key-456"]))
    now[0] = 30
    assert secrets.get("api-key") == '["old-key-123"]'  # cached
    now[0] = 61
    assert secrets.get("api-key") == '["new-key-456"]'
    assert secrets.get("gitlab-token") is None  # absent secret is None, not an error
