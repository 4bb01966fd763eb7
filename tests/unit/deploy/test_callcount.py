"""Naming the AWS operations in moto's request recording (what the no-op check counts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.aws.callcount import ServerLog, changing_calls, operation

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20261127/us-east-1/{service}/aws4_request, SignedHeaders=host"


def entry(service: str, method: str, url: str, body: str = "", target: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": AUTH.format(service=service)}
    if target:
        headers["X-Amz-Target"] = target
    return {"headers": headers, "method": method, "url": url, "body": body, "body_encoded": False}


@pytest.mark.parametrize(
    ("recorded", "name"),
    [
        (
            entry("lambda", "POST", "http://h/2018-10-31/layers/thoth-local-mcp-layer/versions"),
            "lambda:PublishLayerVersion",
        ),
        (entry("lambda", "PUT", "http://h/2015-03-31/functions/f/code"), "lambda:UpdateFunctionCode"),
        (
            entry("lambda", "PUT", "http://h/2015-03-31/functions/f/configuration"),
            "lambda:UpdateFunctionConfiguration",
        ),
        (entry("lambda", "POST", "http://h/2015-03-31/functions/f/versions"), "lambda:PublishVersion"),
        (entry("lambda", "PUT", "http://h/2015-03-31/functions/f/aliases/live"), "lambda:UpdateAlias"),
        (entry("lambda", "GET", "http://h/2015-03-31/functions/f/configuration?Qualifier=3"), "lambda:GET"),
        (
            entry("ecr", "POST", "http://h/", "{}", "AmazonEC2ContainerRegistry_V20150921.PutImage"),
            "ecr:PutImage",
        ),
        (
            entry("sts", "POST", "http://h/", "Action=GetCallerIdentity&Version=2011-06-15"),
            "sts:GetCallerIdentity",
        ),
        (entry("s3", "PUT", "http://h/bucket/key"), "s3:PUT"),
        ({"method": "GET", "url": "http://h/"}, "unknown:GET"),
    ],
)
def test_operation_names(recorded: dict[str, Any], name: str) -> None:
    assert operation(recorded) == name


def test_counts_since_a_mark(tmp_path: Path) -> None:
    recording, registry = tmp_path / "rec.jsonl", tmp_path / "registry.log"
    recording.write_text(
        json.dumps(entry("lambda", "POST", "http://h/2015-03-31/functions/f/versions")) + "\n"
    )
    registry.write_text('127.0.0.1 - - "PUT /v2/repo/manifests/tag1 HTTP/1.1" 201\n')
    log = ServerLog(recording, registry)
    mark = log.mark()
    with recording.open("a") as handle:
        handle.write(
            json.dumps(entry("lambda", "GET", "http://h/2015-03-31/functions/f/aliases/live")) + "\n"
        )
    assert changing_calls(log.since(mark)) == 0
    with registry.open("a") as handle:
        handle.write('127.0.0.1 - - "PUT /v2/repo/manifests/sha256:ab HTTP/1.1" 201\n')
    counts = log.since(mark)
    assert counts == {"lambda:GET": 1, "registry:PushManifest": 1}
    assert changing_calls(counts) == 1
    assert changing_calls(log.since((0, 0))) == 3
