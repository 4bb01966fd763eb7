"""Backend pairs for the contract suite: every case runs on the local default and on AWS (moto)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from thoth.shared.config import load_settings
from thoth.shared.state import DynamoStateStore, SqliteStateStore, StateStore
from thoth.shared.storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tools.embedded_aws import create_state_table

BUCKET = "thoth-test-bucket"
TABLE = "thoth-test-mcp-state"


class FakeClock:
    """A clock tests can move forward instead of sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def create_table(name: str = TABLE) -> None:
    create_state_table(boto3.client("dynamodb"), name)


@pytest.fixture
def serialized_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give moto DynamoDB's per-item write atomicity.

    Real DynamoDB evaluates a condition and writes atomically; moto checks and writes in
    Python without a lock, so two threads can both pass a condition. Serializing moto's
    write methods models the AWS guarantee; the code under test still has to use
    conditional writes to get exactly one winner.
    """
    lock = threading.Lock()
    for name in ("put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def serialized(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, functools.wraps(original)(serialized))


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "objects")
        return
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield S3ObjectStore(BUCKET, settings=load_settings({"S3_BUCKET_NAME": BUCKET}))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "dynamodb"])
def state(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock, serialized_dynamodb: None
) -> Iterator[StateStore]:
    if request.param == "sqlite":
        yield SqliteStateStore(tmp_path / "state.sqlite3", clock=clock)
        return
    with mock_aws():
        create_table()
        yield DynamoStateStore(TABLE, settings=load_settings({"DYNAMODB_TABLE_NAME": TABLE}), clock=clock)
