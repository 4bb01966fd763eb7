"""No secret leaves its place: a whole run on the embedded AWS at LOG_LEVEL=DEBUG, then a grep.

A moto server holds the bucket, the state table and the secrets (API key, git token, cursor key);
a private git repository is served over HTTPS by a fake host that demands the token. The real
refresh CLI indexes it and the real MCP server serves it (both subprocesses, DEBUG logging), a
client searches, pages with a cursor, and sends bad keys. Then every log line, report, response,
local file, S3 object and state item is searched for each secret, also base64-encoded.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.git_hosts import HOST_A, git_host, make_tls
from tests.support.mcp_search import ensure_encoder
from tests.support.refresh import git_init
from tools.embedded_aws import create_state_table

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[3]
ENV = "e2e"
BUCKET, TABLE = "thoth-e2e-secrets", "thoth-e2e-state"
API_KEY = "apikey-" + "K3y9" * 8
GIT_TOKEN = "glpat-" + "T0k3n" * 6
CURSOR_KEY = "cursor-" + "C5r" * 12
PAGES = {
    "handbook/time-off.md": "# Time off\n\n## Requesting leave\n\nAsk your manager in the HR tool "
    "at least two weeks ahead; parental leave has its own policy page.\n",
    "handbook/on-call.md": "# On-call\n\n"
    + "".join(
        f"## Rotation {i}\n\nThe on-call engineer of week {i} answers pages within fifteen minutes.\n\n"
        for i in range(40)
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # up, just not healthy yet
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not answer {url}")


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    port = _free_port()
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{endpoint}/moto-api/", server, "moto server")
        yield endpoint, log
    finally:
        server.terminate()
        server.wait(timeout=10)


def _provision(endpoint: str) -> dict[str, Any]:
    aws = {"endpoint_url": endpoint, "region_name": "us-east-1",
           "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # fmt: skip
    boto3.client("s3", **aws).create_bucket(Bucket=BUCKET)
    create_state_table(boto3.client("dynamodb", **aws), TABLE)
    secrets = boto3.client("secretsmanager", **aws)
    for name, value in (("api-key", json.dumps([API_KEY])), ("gitlab-token", GIT_TOKEN),
                        ("cursor-key", CURSOR_KEY)):  # fmt: skip
        secrets.create_secret(Name=f"thoth/{ENV}/{name}", SecretString=value)
    return aws


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream",
                 "mcp-protocol-version": "2025-11-25", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _call(url: str, name: str, arguments: dict[str, Any], key: str = API_KEY) -> tuple[int, str]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    return _post(url, body, {"authorization": f"Bearer {key}"})


def _variants(secret: str) -> list[str]:
    """The secret as it could leak: plain, in Basic auth, base64-encoded at any alignment."""
    forms = [secret, base64.b64encode(f"oauth2:{secret}".encode()).decode()]
    for shift in range(3):
        encoded = base64.b64encode(b"x" * shift + secret.encode()).decode()
        forms.append(encoded[4 if shift else 0 : -4])  # the stable middle part
    return forms


def test_no_secret_in_any_log_report_response_file_or_object(moto: tuple[str, Path], tmp_path: Path) -> None:
    endpoint, _ = moto
    aws = _provision(endpoint)
    tls = make_tls(tmp_path / "tls")
    home = tmp_path / "home"
    git_init(tmp_path / "private", PAGES)
    env = {
        **os.environ,
        "ENVIRONMENT": ENV, "S3_BUCKET_NAME": BUCKET, "DYNAMODB_TABLE_NAME": TABLE,
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "THOTH_SECRETS_BACKEND": "aws",
        "THOTH_HOME": str(home), "THOTH_ENCODER_DIR": str(ensure_encoder()), "LOG_LEVEL": "DEBUG",
        "SSL_CERT_FILE": str(tls.ca_file), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        "THOTH_LOG_QUERIES": "on",
    }  # fmt: skip
    for name in ("THOTH_API_KEYS", "THOTH_GITLAB_TOKEN", "THOTH_CURSOR_KEY", "AWS_PROFILE"):
        env.pop(name, None)
    outputs: dict[str, str] = {}

    with git_host(tmp_path / "private", host=HOST_A, tls=tls, token=GIT_TOKEN) as host:
        location = f"{host.url}/repo.git"
        refresh = subprocess.run(
            [sys.executable, "-m", "thoth.refresh_service", location, "--name", "private",
             "--token-secret", "gitlab-token", "--base-url", "https://handbook.example.com", "--json"],
            env=env, capture_output=True, text=True, timeout=600, cwd=REPO,
        )  # fmt: skip
        # A bad token secret name and an unreachable host: errors must not carry the token either.
        broken = subprocess.run(
            [sys.executable, "-m", "thoth.refresh_service", f"https://{HOST_A}:1/repo.git", "--name", "gone",
             "--token-secret", "gitlab-token", "--json"],
            env=env, capture_output=True, text=True, timeout=300, cwd=REPO,
        )  # fmt: skip
    assert host.saw(GIT_TOKEN), "the private host should have received the token (else this proves nothing)"
    outputs["refresh"] = refresh.stdout + refresh.stderr
    outputs["refresh (unreachable)"] = broken.stdout + broken.stderr
    assert refresh.returncode == 0, outputs["refresh"][-3000:]
    report = json.loads(refresh.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok" and report["chunks_total"] >= 40

    port = _free_port()
    serve_log = tmp_path / "serve.log"
    with open(serve_log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "thoth.mcp_server", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=out, cwd=REPO,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}/health", server, "MCP server")
        responses = [
            _post(f"{url}/mcp", {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "grep", "version": "1"}}}, {"authorization": f"Bearer {API_KEY}"}),
            _call(f"{url}/mcp", "search_handbook", {"query": "how do I ask for parental leave"}),
            _call(f"{url}/mcp", "index_status", {}),
            _call(f"{url}/mcp", "get_handbook_section", {"path": "handbook/missing.md"}),
            _call(f"{url}/mcp", "search_handbook", {"query": "x"}, key=API_KEY[:-1] + "Z"),
            _call(f"{url}/mcp", "search_handbook", {"query": GIT_TOKEN}, key=GIT_TOKEN),
        ]  # fmt: skip
        first = _call(f"{url}/mcp", "get_handbook_section", {"path": "handbook/on-call.md", "max_chars": 500})
        page = json.loads(first[1])["result"]["structuredContent"]
        assert page["next_cursor"], "the page should need a cursor"
        paged = {"path": "handbook/on-call.md", "max_chars": 500, "cursor": page["next_cursor"]}
        second = _call(f"{url}/mcp", "get_handbook_section", paged)
        responses += [first, second]
        assert second[0] == 200 and "isError" not in json.loads(second[1])["result"]
        health = urllib.request.urlopen(f"{url}/health", timeout=10).read().decode()
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert responses[1][0] == 200 and "time-off" in responses[1][1]
    assert responses[4][0] == 401 and responses[5][0] == 401
    outputs["serve"] = serve_log.read_text(errors="replace")
    outputs["responses"] = "\n".join(body for _, body in responses) + health

    # Every file the processes left behind: index cache, state, metrics, clones.
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        outputs[f"file {path.relative_to(home)}"] = path.read_bytes().decode("latin-1")
    s3 = boto3.client("s3", **aws)
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        outputs[f"s3 {item['Key']}"] = (
            s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode("latin-1")
        )
    items = boto3.client("dynamodb", **aws).scan(TableName=TABLE)["Items"]
    outputs["state items"] = json.dumps(items)
    assert any(k.startswith("s3 indexes/private/") for k in outputs) and len(items) > 3

    leaks = [
        f"{secret_name} in {where}"
        for secret_name, secret in (
            ("API key", API_KEY),
            ("git token", GIT_TOKEN),
            ("cursor key", CURSOR_KEY),
        )
        for where, text in outputs.items()
        for form in _variants(secret)
        if form in text
    ]
    assert leaks == []
