"""The shared backends against a real moto server process, through AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest

from thoth.shared.config import get_settings
from thoth.shared.state import DynamoStateStore, state_store
from thoth.shared.storage import S3ObjectStore, object_store
from tools.embedded_aws import create_state_table

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_backends_through_endpoint_override(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("S3_BUCKET_NAME", "thoth-e2e")
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "thoth-e2e-mcp-state")
    get_settings.cache_clear()
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket="thoth-e2e")
    create_state_table(boto3.client("dynamodb", endpoint_url=moto_endpoint), "thoth-e2e-mcp-state")
    store, state = object_store(), state_store()
    assert isinstance(store, S3ObjectStore) and isinstance(state, DynamoStateStore)
    store.put("indexes/x/v1/manifest.json", b"{}")
    assert list(store.list("indexes/")) == ["indexes/x/v1/manifest.json"]
    # the object really lives on the server, not in-process
    body = (
        boto3.client("s3", endpoint_url=moto_endpoint)
        .get_object(Bucket="thoth-e2e", Key="indexes/x/v1/manifest.json")["Body"]
        .read()
    )
    assert body == b"{}"

    # moto's server does not serialize conditional writes (the functional contract suite models
    # DynamoDB's atomicity); here the conditions themselves are checked over the wire.
    lock = state.create("source#handbook", "lock", {"owner": 1}, ttl_s=60)
    assert lock is not None
    assert state.create("source#handbook", "lock", {"owner": 2}, ttl_s=60) is None
    assert state.swap("source#handbook", "lock", {"owner": 3}, expected_rev=lock.rev + 1) is None
    moved = state.swap("source#handbook", "lock", {"owner": 3}, expected_rev=lock.rev)
    assert moved is not None and moved.value == {"owner": 3}
