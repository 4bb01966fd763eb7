"""What changed, and who may read what, on the embedded AWS: as the README describes, through the SDK.

The embedded AWS (tools/embedded_aws: a moto server on loopback) holds the bucket, the state table,
the sources file `config/sources.yaml` and the api-key secret `thoth/e2e/api-key`, whose two keys
read one source each. The refresh function's handler, started as the container starts it
(`thoth.refresh_service.entrypoint`) on the schedule's event, clones two sources of one remote git
repository (served by `git daemon`) into its /tmp and publishes them twice, over four commits. The MCP
server (`python -m thoth.mcp_server serve`, the Lambda handler behind the local HTTP server) reads that
bucket and table, and the official SDK client calls recent_changes and search_handbook with each key.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import httpx
import pytest

from tests.support.change_history import BASE, CHANGES, LAST_CHANGED_BY, make_history
from tests.support.git_hosts import git_daemon
from tests.support.mcp_clients import REPO, offline_env, sdk_client
from tools.embedded_aws import FAKE_AWS, aws_env, create_state_table, moto_server

pytestmark = pytest.mark.e2e
NAME = "thoth-changes-e2e"  # bucket and table
ENVIRONMENT = "e2e"  # the secrets are thoth/e2e/<name>
HB_KEY = "e2e-hb-only-0123456789abcdefghij"
FIN_KEY = "e2e-fin-only-0123456789abcdefghi"
SOURCES = """sources:
  - name: hb
    kind: git
    location: {url}
    include: ["handbook/engineering/**", "handbook/people/**"]
    base_url: {base}
  - name: fin
    kind: git
    location: {url}
    include: ["handbook/finance/**"]
    base_url: {base}
"""
SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


class World(NamedTuple):
    url: str  # the MCP server
    times: list[str]  # each commit's time


def _env(home: Path, endpoint: str) -> dict[str, str]:
    """A process on the embedded AWS: its bucket, table and secrets, fake credentials, this run's /tmp."""
    return offline_env(
        home, **aws_env(endpoint, NAME), ENVIRONMENT=ENVIRONMENT, THOTH_CACHE_DIR=str(home / "tmp")
    )


def _refresh(env: dict[str, str]) -> None:
    """The refresh function's handler on the schedule's event, started as the container starts it."""
    done = subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service.entrypoint", "thoth.refresh_service.handler.handler"],
        input=json.dumps(SCHEDULE),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    statuses = {r["source"]: r["status"] for r in result["sources"]}
    assert statuses == {"hb": "ok", "fin": "ok"}, result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("changes-aws")
    (base / "served").mkdir()
    subprocess.run([sys.executable, "-m", "tools.build.encoder_export"], check=True, cwd=REPO)
    with moto_server() as endpoint, git_daemon(base / "served") as git_url:
        aws = {"endpoint_url": endpoint, "region_name": FAKE_AWS["AWS_REGION"], **_credentials()}
        boto3.client("s3", **aws).create_bucket(Bucket=NAME)
        create_state_table(boto3.client("dynamodb", **aws), NAME)
        sources = SOURCES.format(url=f"{git_url}changes", base=BASE)
        boto3.client("s3", **aws).put_object(Bucket=NAME, Key="config/sources.yaml", Body=sources.encode())
        keys = [{"key": HB_KEY, "sources": ["hb"]}, {"key": FIN_KEY, "sources": ["fin"]}]
        boto3.client("secretsmanager", **aws).create_secret(
            Name=f"thoth/{ENVIRONMENT}/api-key", SecretString=json.dumps(keys)
        )
        env = _env(base / "refresh-home", endpoint)
        # Two publishes: after the first commit, and after the other three.
        times = make_history(base / "served" / "changes", lambda: _refresh(env), refresh_after=(0, 3))
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "thoth.mcp_server", "serve", "--port", str(port)],
            env=_env(base / "server-home", endpoint),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server)
            yield World(url, times)
        finally:
            server.terminate()
            server.communicate(timeout=30)


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_AWS["AWS_SESSION_TOKEN"],
    }


def _wait_healthy(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            health = httpx.get(f"{url}/health", timeout=5)
            if health.status_code == 200 and {"hb", "fin"} <= set(health.json()["indexes"]):
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the MCP server did not come up: {server.communicate()[1][-3000:]}")
        time.sleep(0.1)


async def _session(url: str, key: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async with sdk_client(url, "auto", key) as client:
        return [await client.call_tool(tool, arguments) for tool, arguments in calls]


def _found(result: Any) -> set[tuple[str, str, str]]:
    assert not result.is_error, result.content[0].text
    return {(r["url"], r["change"], r["subject"]) for r in result.structured_content["results"]}


def test_each_key_sees_the_changes_of_its_own_source_with_their_commits(world: World) -> None:
    hb, fin = (
        asyncio.run(_session(world.url, key, [("recent_changes", {"since": "1d"})]))[0]
        for key in (HB_KEY, FIN_KEY)
    )
    assert _found(hb) == {c for c in CHANGES if "/finance/" not in c[0]}
    assert _found(fin) == {c for c in CHANGES if "/finance/" in c[0]}
    assert "Meals allowance to 70 EUR" in fin.content[0].text and "vacation" not in fin.content[0].text


def test_search_handbook_dates_sections_and_keeps_each_key_in_its_own_world(world: World) -> None:
    vacation = {"query": "how many vacation days"}
    rotation = {"query": "on-call rotation shift length"}
    as_hb = asyncio.run(
        _session(world.url, HB_KEY, [("search_handbook", vacation), ("search_handbook", rotation)])
    )
    for result, url in zip(
        as_hb,
        [f"{BASE}handbook/people/time-off/#time-off", f"{BASE}handbook/engineering/on-call/#rotation"],
        strict=True,
    ):
        assert not result.is_error, result.content[0].text
        top = result.structured_content["results"][0]
        assert (top["url"], top["changed_at"]) == (url, world.times[LAST_CHANGED_BY[url]])
    as_fin = asyncio.run(
        _session(
            world.url,
            FIN_KEY,
            [("search_handbook", vacation), ("search_handbook", {**vacation, "source": "hb"})],
        )
    )
    results = as_fin[0].structured_content["results"]
    assert results and {r["source"] for r in results} == {"fin"}  # the vacation page is not in its world
    expenses = f"{BASE}handbook/finance/expenses/#expenses"
    assert (
        results[0]["url"] == expenses and results[0]["changed_at"] == world.times[LAST_CHANGED_BY[expenses]]
    )
    assert as_fin[1].is_error and "no source named 'hb'" in as_fin[1].content[0].text
