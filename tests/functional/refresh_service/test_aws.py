"""S3-prefix sources and SQS fan-out of full rebuilds, against moto (S3, DynamoDB, SQS in-process)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.refresh import PAGES
from thoth.refresh_service.embed import Embedder
from thoth.refresh_service.handler import handler
from thoth.refresh_service.pipeline import Refresher
from thoth.refresh_service.runs import RunOptions
from thoth.refresh_service.runtime import build_services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared import aws
from thoth.shared.config import get_settings
from thoth.shared.index import download_version, load_version
from thoth.shared.live import read_live
from tools.embedded_aws import create_state_table

INDEX_BUCKET = "thoth-test-indexes"
DOCS_BUCKET = "papyrus-docs"
TABLE = "thoth-test-refresh-state"
CONFIG = f"""
sources:
  - name: runbooks
    kind: s3
    location: s3://{DOCS_BUCKET}/runbooks/
    include: ["**/*.md", "**/*.txt"]
    base_url: https://runbooks.example/
"""


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, real_embedder: Embedder) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=INDEX_BUCKET)
        s3.create_bucket(Bucket=DOCS_BUCKET)
        create_state_table(boto3.client("dynamodb"), TABLE)
        queue = boto3.client("sqs").create_queue(QueueName="thoth-test-refresh")["QueueUrl"]
        monkeypatch.setenv("S3_BUCKET_NAME", INDEX_BUCKET)
        monkeypatch.setenv("DYNAMODB_TABLE_NAME", TABLE)
        monkeypatch.setenv("THOTH_SECRETS_BACKEND", "env")
        monkeypatch.delenv("THOTH_SOURCES_CONFIG", raising=False)
        get_settings.cache_clear()
        aws.reset_clients()
        s3.put_object(Bucket=INDEX_BUCKET, Key="config/sources.yaml", Body=CONFIG.encode())
        for path, text in PAGES.items():
            s3.put_object(Bucket=DOCS_BUCKET, Key=f"runbooks/{path}", Body=text.encode())
        yield {"s3": s3, "sqs": boto3.client("sqs"), "queue": queue}
        aws.reset_clients()


def test_s3_prefix_source_indexes_and_skips_unsafe_keys(cloud: dict[str, Any], tmp_path: Any) -> None:
    s3 = cloud["s3"]
    s3.put_object(Bucket=DOCS_BUCKET, Key="runbooks/../escape.md", Body=b"# Escape\n\nout of the prefix\n")
    s3.put_object(Bucket=DOCS_BUCKET, Key="runbooks/bad\\name.md", Body=b"# Bad\n")
    s3.put_object(Bucket=DOCS_BUCKET, Key="elsewhere/other.md", Body=b"# Other\n\nnot under the prefix\n")
    result = handler({"source": "runbooks"}, None)
    assert result["status"] == "ok", result["error"]
    assert result["files_total"] == len(PAGES)
    reasons = {s["path"]: s["reason"] for s in result["skipped"]}
    assert "traversal" in reasons["../escape.md"] and "backslash" in reasons["bad\\name.md"]
    services = build_services()
    pointer = read_live(services.state, "runbooks")
    assert pointer is not None
    index = load_version(download_version(services.store, "runbooks", pointer.version, tmp_path / "dl"))
    assert {c.path for c in index.chunks} == set(PAGES)
    assert any(c.url.startswith("https://runbooks.example/guide/setup/#") for c in index.chunks)
    s3.put_object(Bucket=DOCS_BUCKET, Key="runbooks/guide/intro.md", Body=b"# Intro\n\nRewritten intro.\n")
    again = handler({"source": "runbooks"}, None)
    assert again["status"] == "ok" and again["files_modified"] == 1 and again["chunks_embedded"] == 1


def _drain(sqs: Any, queue: str, expected: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for _ in range(20):
        response = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60)
        for message in response.get("Messages", []):
            records.append(
                {"messageId": message["MessageId"], "body": message["Body"], "eventSource": "aws:sqs"}
            )
        if len(records) >= expected:
            break
    return records


def test_full_rebuild_fans_out_over_sqs_and_the_last_batch_publishes(
    cloud: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("THOTH_QUEUE_URL", cloud["queue"])
    queued = handler({"source": "runbooks", "mode": "full", "batch_files": 2}, None)
    assert queued["status"] == "queued", queued.get("error")
    batches = math.ceil(len(PAGES) / 2)
    assert queued["extra"]["batches"] == batches
    records = _drain(cloud["sqs"], cloud["queue"], batches)
    assert len(records) == batches
    assert read_live(build_services().state, "runbooks") is None
    garbage = {"messageId": "junk-1", "body": "not json", "eventSource": "aws:sqs"}
    # Two concurrent "Lambda invocations", as the event source mapping would run them.
    results: list[dict[str, Any]] = []
    halves = [[*records[::2], garbage], records[1::2]]

    def invoke(part: list[dict[str, Any]]) -> None:
        results.append(handler({"Records": part}, None))

    threads = [threading.Thread(target=invoke, args=(part,)) for part in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    failures = [f["itemIdentifier"] for r in results for f in r["batchItemFailures"]]
    assert failures == ["junk-1"]
    reports = [rep for r in results for rep in r["reports"]]
    published = [rep for rep in reports if rep.get("extra", {}).get("assembled")]
    assert len(published) == 1 and published[0]["status"] == "ok", published
    # Workers embedded everything; the assembling run only reused cached vectors.
    assert published[0]["chunks_embedded"] == 0
    batch_reports = [rep for rep in reports if rep.get("mode") == "fanout-batch"]
    batch_reports.append(published[0]["extra"]["batch"])
    assert len(batch_reports) == batches
    assert sum(rep["chunks_embedded"] for rep in batch_reports) == published[0]["chunks_total"]
    services = build_services()
    pointer = read_live(services.state, "runbooks")
    assert pointer is not None and pointer.version == published[0]["index_version"]
    index = load_version(download_version(services.store, "runbooks", pointer.version, tmp_path / "dl"))
    assert {c.path for c in index.chunks} == set(PAGES)
    assert services.state.query("source#runbooks", "job#") == []
    config = SourceConfig("runbooks", "s3", f"s3://{DOCS_BUCKET}/runbooks/", include=("**/*.md", "**/*.txt"))
    direct = Refresher(config, services).run(RunOptions(mode="full"))
    assert direct.status == "ok" and direct.chunks_total == pointer.chunk_count


def test_sqs_message_for_an_unknown_source_is_reported_failed(cloud: dict[str, Any]) -> None:
    body = json.dumps({"kind": "thoth-refresh-batch", "source": "ghost", "job": "j", "batch": 0, "paths": []})
    result = handler({"Records": [{"messageId": "m1", "body": body, "eventSource": "aws:sqs"}]}, None)
    assert result["batchItemFailures"] == [{"itemIdentifier": "m1"}]
    assert "unknown source 'ghost'" in result["reports"][0]["error"]
