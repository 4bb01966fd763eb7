"""The command line as a user runs it: `serve`, `invoke` on the sample events, and the demo."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.mcp_clients import KEY, REPO, offline_env, sdk_client

pytestmark = pytest.mark.e2e
EVENTS = REPO / "packages" / "mcp_server" / "events"
CLI = [sys.executable, "-m", "thoth.mcp_server"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_refuses_to_start_without_keys(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "serve", "--port", "0"], env=offline_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "THOTH_API_KEYS" in done.stderr and "--no-auth" in done.stderr


def test_serve_refuses_no_auth_on_lambda(tmp_path: Path) -> None:
    env = offline_env(tmp_path, AWS_LAMBDA_FUNCTION_NAME="thoth-mcp-server")
    done = subprocess.run([*CLI, "serve", "--no-auth"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "refused on AWS Lambda" in done.stderr


def test_serve_runs_the_handler_and_stops_cleanly(handbook_home: Path) -> None:
    port = _free_port()
    env = offline_env(handbook_home, THOTH_API_KEYS=json.dumps(["unused-key-0123456789abc", KEY]))
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{url}/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "server did not come up"
                time.sleep(0.1)
        assert health.status_code == 200 and "handbook" in health.json()["indexes"]
        rebinding = httpx.get(f"{url}/health", headers={"host": f"attacker.example:{port}"})
        assert rebinding.status_code == 200  # health is open; /mcp is what the Host allowlist guards
        mcp = httpx.post(f"{url}/mcp", headers={"host": f"attacker.example:{port}"}, json={})
        assert mcp.status_code == 421

        async def session() -> list[str]:
            async with sdk_client(url, "auto") as client:
                return [tool.name for tool in (await client.list_tools()).tools]

        assert asyncio.run(session())[0] == "search_handbook"
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert f"http://127.0.0.1:{port}/mcp" in output
    assert "served" in output and "request(s)" in output
    assert KEY not in output  # request logs never carry the key


@pytest.mark.parametrize(
    ("event", "check"),
    [
        ("health.json", lambda body: body["status"] == "ok" and "handbook" in body["indexes"]),
        ("initialize.json", lambda body: body["result"]["protocolVersion"] == "2025-11-25"),
        ("tools-list.json", lambda body: body["result"]["tools"][0]["name"] == "search_handbook"),
        ("search.json", lambda body: body["result"]["structuredContent"]["results"]),
    ],
)
def test_invoke_runs_the_sample_events(handbook_home: Path, event: str, check) -> None:  # type: ignore[no-untyped-def]
    env = offline_env(handbook_home, THOTH_API_KEYS=KEY)
    done = subprocess.run(
        [*CLI, "invoke", str(EVENTS / event)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 200, response
    assert check(json.loads(response["body"]))
    assert f"invoked {event}: status 200" in done.stderr


def test_invoke_names_the_problem_with_a_bad_event_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    env = offline_env(tmp_path, THOTH_API_KEYS=KEY)
    for path in (bad, tmp_path / "missing.json"):
        done = subprocess.run(
            [*CLI, "invoke", str(path)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2 and str(path.name) in done.stderr


def test_demo_indexes_serves_and_queries(handbook_home: Path) -> None:
    env = offline_env(handbook_home)
    demo = [sys.executable, "-m", "tools.demo"]
    done = subprocess.run(demo, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"source handbook: (ok|unchanged), \d+ files, \d+ chunks", out), out[:2000]
    assert "[legacy] connected via initialize handshake: protocol 2025-11-25" in out
    assert "[auto] connected via server/discover, per-request _meta: protocol 2026-07-28" in out
    # HTTP in both eras, then stdio; ChatGPT's search and fetch are listed over HTTP only (auto)
    counts = [int(n) for n in re.findall(r"tools/list → (\d+) tools", out)]
    assert len(counts) == 3 and counts[0] == counts[1] == counts[2] + 2, out[:3000]
    assert "- search_handbook:" in out and "- fetch:" in out
    assert "time-off.md" in out
    assert f"[stdio] protocol 2026-07-28; tools/list → {counts[2]} tools" in out
    assert "[stdio] a wrong argument comes back as a tool error" in out and "'query'" in out
    assert "server stopped" in out
