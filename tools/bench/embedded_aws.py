"""The embedded AWS of the benchmarks and tests: a moto server on 127.0.0.1, the state table's shape,
and (MCP benchmark) published index versions.

Loopback hides S3's latency (a real GET's first byte takes 10-30 ms, and each range a connection
of its own), so the figures it gives are a floor; the bytes fetched are what a real Lambda pays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port; yields its URL, stops it afterwards."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per range GET
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_state_table(dynamodb: Any, name: str) -> None:
    """The state table as infra/ creates it (pk/sk strings, on demand), through a boto3 DynamoDB client."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )


def aws_env(url: str, name: str) -> dict[str, str]:
    """What a child process needs to run on bucket and table `name` of the embedded AWS."""
    return {**FAKE_AWS, "AWS_ENDPOINT_URL": url, "S3_BUCKET_NAME": name, "DYNAMODB_TABLE_NAME": name}


def publish(home: Path, url: str, name: str) -> None:
    """Copy the local store's index objects and live pointer of `home` into bucket and table `name`."""
    import boto3

    from thoth.shared.config import load_settings
    from thoth.shared.live import read_live, swap_live
    from thoth.shared.state import state_store
    from thoth.shared.storage import LocalObjectStore

    os.environ.update(FAKE_AWS)
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    create_state_table(boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1"), name)
    local = LocalObjectStore(home / "objects")
    for key in local.list("indexes/"):
        with local.open(key) as body:
            s3.upload_fileobj(body, name, key)
    pointer = read_live(state_store(load_settings({"THOTH_HOME": str(home)})), "handbook")
    assert pointer is not None, f"no live pointer in {home}"
    settings = load_settings({"THOTH_HOME": str(home), **aws_env(url, name)})
    swap_live(state_store(settings), pointer, None)
