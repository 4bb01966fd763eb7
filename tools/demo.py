"""`make demo`: index the sample handbook, serve it locally, and talk to it with the official MCP client.

Needs no AWS account: the index lands in THOTH_HOME (default .thoth/) and the server is the
same Lambda handler behind the local HTTP server, then the same tools over stdio (`thoth-mcp
stdio`, as Claude Desktop and Claude Code start it). The client is the official MCP Python SDK,
installed with the dev lock (it is never part of the Lambda layer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

STEPS = 5
DEMO_ANSWER = "people/time-off.md"  # the page that answers the default question in samples/handbook
HEALTH_WAIT_S = 60.0


def _step(number: int, title: str) -> None:
    print(f"\n== {number}/{STEPS} {title} ==", flush=True)


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"demo: {what} failed (exit {result.returncode}); command: {' '.join(command)}")
    print(f"   {what}: done in {time.monotonic() - started:.1f} s", flush=True)
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_health(url: str, server: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + HEALTH_WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
            raise SystemExit(f"demo: the local server exited with {server.returncode}; its log is above")
        try:
            # The URL is always http://127.0.0.1:<port>, built above.
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                report: dict[str, Any] = json.load(response)
                return report
        except urllib.error.HTTPError as exc:  # 503 = up but degraded
            report = json.load(exc)
            return report
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"demo: the local server did not answer {url}/health within {HEALTH_WAIT_S:.0f} s")


def _print_hits(structured: dict[str, Any] | None, text: str) -> None:
    results = (structured or {}).get("results")
    if not isinstance(results, list):
        print(textwrap.indent(text.strip(), "   "))
        return
    for hit in results:
        heading = " > ".join(hit.get("heading_path") or []) or hit.get("title", "")
        print(f"   {hit.get('rank')}. {hit.get('title')}  [{heading}]  score {hit.get('score', 0):.3f}")
        print(f"      {hit.get('url')}  ({hit.get('path')}:{hit.get('line_start')})")
        snippet = " ".join(str(hit.get("snippet", "")).split())
        print(textwrap.indent(textwrap.fill(snippet, 96), "      "))


async def _session(url: str, key: str, query: str, expect: str) -> None:
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"authorization": f"Bearer {key}"}
    timeout = httpx2.Timeout(30.0, read=120.0)
    for mode in ("legacy", "auto"):
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
        ):
            session = client.session
            era = "initialize handshake" if mode == "legacy" else "server/discover, per-request _meta"
            info = session.server_info
            print(f"\n   [{mode}] connected via {era}: protocol {session.protocol_version}", end="")
            print(f", server {info.name} {info.version}" if info else "")
            listing = await client.list_tools()
            print(f"   tools/list → {len(listing.tools)} tools:")
            for tool in listing.tools:
                print(f"     - {tool.name}: {tool.title or ''}")
            print(f"   tools/call search_handbook {{'query': {query!r}, 'limit': 3}}")
            result = await client.call_tool("search_handbook", {"query": query, "limit": 3})
            text = "".join(getattr(block, "text", "") for block in result.content)
            if result.is_error:
                raise SystemExit(f"demo: [{mode}] search_handbook reported an error: {text}")
            _check_top((result.structured_content or {}).get("results") or [], expect, f"[{mode}]")
            if mode == "legacy":
                _print_hits(result.structured_content, text)
            else:
                hits = (result.structured_content or {}).get("results") or [{}]
                print(f"   same question, same top hit: {hits[0].get('title')} ({hits[0].get('url')})")


async def _stdio_session(env: dict[str, str], query: str, expect: str) -> None:
    from mcp.client import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    command = Path(sys.executable).with_name("thoth-mcp")
    server = StdioServerParameters(command=str(command), args=["stdio"], env=env, cwd=str(Path.cwd()))
    print(f"   client starts: {command.name} stdio  (logs on stderr, JSON-RPC lines on stdin/stdout)")
    with tempfile.TemporaryFile("w+") as errlog:
        async with Client(stdio_client(server, errlog=errlog), mode="auto") as client:
            listing = await client.list_tools()
            version = client.session.protocol_version
            print(f"   [stdio] protocol {version}; tools/list → {len(listing.tools)} tools")
            result = await client.call_tool("search_handbook", {"query": query, "limit": 1})
            hits = (result.structured_content or {}).get("results") or [{}]
            _check_top(hits, expect, "[stdio]")
            print(f"   [stdio] same question, same top hit: {hits[0].get('title')} ({hits[0].get('url')})")
            wrong = await client.call_tool("search_handbook", {"query": 123})
            text = "".join(getattr(block, "text", "") for block in wrong.content)
            print(
                f"   [stdio] a wrong argument comes back as a tool error the model can act on: {text[:110]}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--source", default="samples/handbook", help="folder to index (default samples/handbook)"
    )
    parser.add_argument("--name", default="handbook", help="source name (default handbook)")
    parser.add_argument("--query", default="how do I request time off", help="the demo search")
    parser.add_argument(
        "--expect",
        default=None,
        help="the page the first result must come from ('' checks nothing; for the default query and "
        "source: people/time-off.md)",
    )
    parser.add_argument(
        "--started-at", type=float, default=None, help="epoch seconds the whole command started (set by nox)"
    )
    args = parser.parse_args(argv)
    if args.expect is None:
        default = args.query == parser.get_default("query") and args.source == parser.get_default("source")
        args.expect = DEMO_ANSWER if default else ""
    return run(args)


def _check_top(hits: list[dict[str, Any]], expect: str, where: str) -> None:
    """Fail the demo when the first result is not from the expected page: the demo must answer."""
    top = hits[0].get("path") if hits else None
    if expect and top != expect:
        raise SystemExit(f"demo: {where}: the first result is {top!r}, expected a section of {expect!r}")


def run(args: argparse.Namespace) -> int:
    """The whole demo; returns the process exit code."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.monotonic()

    _step(1, "query encoder (torch-free ONNX, built once from the pinned model package)")
    builder = Path("tools/build/encoder_export.py")
    if env.get("THOTH_ENCODER_DIR"):
        print(f"   using THOTH_ENCODER_DIR={env['THOTH_ENCODER_DIR']}")
    elif builder.is_file():
        _run(
            [sys.executable, "-m", "tools.build.encoder_export"], env, "python -m tools.build.encoder_export"
        )
    else:
        raise SystemExit("demo: run from the repository root (tools/build/encoder_export.py not found)")

    _step(2, f"index {args.source} with the refresh service")
    refresh = [sys.executable, "-m", "thoth.refresh_service", args.source, "--name", args.name, "--json"]
    result = _run(refresh, env, " ".join(["python", *refresh[1:]]))
    try:
        report = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"   source {report.get('source')}: {report.get('status')}, {report.get('files_total')} files, "
            f"{report.get('chunks_total')} chunks ({report.get('chunks_embedded')} embedded, "
            f"{report.get('chunks_reused')} reused), version {report.get('index_version')}"
        )
    except (ValueError, IndexError, AttributeError):
        print(textwrap.indent(result.stdout.strip()[-800:], "   "))

    key = secrets.token_urlsafe(32)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    _step(3, f"local MCP server on {url}/mcp (API key generated for this run)")
    log_file = tempfile.NamedTemporaryFile(prefix="thoth-demo-server-", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log_file.name)
    server_env = {**env, "THOTH_API_KEYS": key}
    command = [sys.executable, "-m", "thoth.mcp_server", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=server_env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        health = _wait_for_health(url, server, log_path)
        print(f"   GET /health → {health.get('status')}; indexes: {json.dumps(health.get('indexes'))[:300]}")
        _step(4, "MCP client session with the official Python SDK")
        asyncio.run(_session(url, key, args.query, args.expect))
        _step(5, "the same tools over stdio, as Claude Desktop and Claude Code start a local server")
        asyncio.run(_stdio_session(env, args.query, args.expect))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.close()
    print(f"\ndemo finished in {time.monotonic() - started:.1f} s; server stopped (its log: {log_path})")
    if args.started_at is not None:
        total = time.time() - args.started_at
        print(f"total since the command started: {total:.1f} s (environment set-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
