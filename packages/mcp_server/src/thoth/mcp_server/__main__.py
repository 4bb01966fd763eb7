"""Command line (`python -m thoth.mcp_server`, or `thoth-mcp`): `serve` the handler over HTTP locally,
serve the same tools over `stdio`, or `invoke` the handler once on an event file."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from thoth.mcp_server.settings import (
    LOOPBACK_HOSTS,
    REQUEST_BUDGET_S,
    http_settings,
    local_api_keys,
    local_overrides,
)
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth, parse_keys
from thoth.shared import logging as thoth_logging
from thoth.shared.config import on_lambda
from thoth.shared.errors import ThothError

NO_KEYS = (
    "no API keys are configured: set THOTH_API_KEYS to a key (or a JSON list of keys), e.g.\n"
    "  export THOTH_API_KEYS=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')\n"
    "or pass --no-auth for a local experiment"
)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _logs_to_stderr() -> None:
    """JSON log lines on stderr, so stdout carries only the command's result (as with sam local invoke)."""
    thoth_logging.configure("INFO", stream="stderr")


def _auth_ready(no_auth: bool) -> str | None:
    """None when auth is usable (or explicitly off), else the message to print."""
    local_overrides(no_auth=no_auth, allowed_hosts=None)
    try:
        settings = http_settings()
        # With OAuth on, tokens from the issuer are credentials enough: API keys are optional.
        if settings.auth_enabled and settings.oauth is None and not ApiKeyAuth().configured():
            return NO_KEYS
    except ThothError as exc:
        return str(exc)
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _encoder_built_when_missing() -> Iterator[None]:
    """In a source checkout, build a missing query encoder in the background (never on Lambda)."""
    from thoth.mcp_server import encoder_build
    from thoth.mcp_server.search import encoder

    if on_lambda() or not encoder_build.in_checkout():
        yield
        return
    builder = encoder_build.EncoderBuilder()
    encoder.build_missing_with(builder)
    with contextlib.suppress(ThothError):  # building now (or it cannot be: the first search says why)
        encoder.encoder_dir(wait=False)
    try:
        yield
    finally:
        builder.stop()
        encoder.build_missing_with(None)


def serve(args: argparse.Namespace) -> int:
    from thoth.mcp_server.lambda_handler import handler
    from thoth.mcp_server.transport.local_server import LocalServer

    problem = _auth_ready(args.no_auth)
    if problem:
        return _fail(problem)
    try:
        server = LocalServer(handler, args.host, args.port)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); pick another --port")
    port = server.server_address[1]
    # DNS-rebinding guard: unless told otherwise, answer only to the names of this machine (any port:
    # a browser client reaches us as localhost, 127.0.0.1 or [::1]) and the address we were bound to;
    # browser origins likewise only from this machine.
    hosts = ",".join(dict.fromkeys([*LOOPBACK_HOSTS, f"{args.host}:{port}"]))
    local_overrides(no_auth=False, allowed_hosts=hosts, loopback_origins=True)
    auth = "off (--no-auth)" if args.no_auth else "on (Authorization: Bearer <key> or x-api-key)"
    oauth = None if args.no_auth else http_settings().oauth
    if oauth is not None:
        auth = f"on (OAuth access tokens from {oauth.issuer}, or API keys)"
    print(f"Thoth MCP server on {server.url}/mcp  (health: {server.url}/health)", flush=True)
    print(f"auth: {auth}; Ctrl-C stops", flush=True)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` and container stops end as cleanly as Ctrl-C
    try:
        with _encoder_built_when_missing():
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print(
        f"stopped after {time.monotonic() - started:.0f} s; served {server.requests} request(s)", flush=True
    )
    return 0


def stdio(args: argparse.Namespace) -> int:
    """The MCP stdio transport: JSON-RPC lines on stdin/stdout, JSON logs on stderr, exit 0 on EOF/SIGTERM."""
    from thoth.mcp_server.protocol.dispatch import McpServer
    from thoth.mcp_server.protocol.jsonrpc import PARSE_ERROR, RpcError, dumps, rpc_error
    from thoth.mcp_server.search.catalog import STDIO_CATALOG
    from thoth.mcp_server.transport import stdio as transport
    from thoth.mcp_server.transport.stdio_session import StdioSession
    from thoth.mcp_server.version import VERSION

    protocol_out = transport.claim_stdout()  # from here on, stray output lands on stderr
    _logs_to_stderr()
    try:
        limit = http_settings().max_body_bytes
    except ThothError as exc:
        return _fail(str(exc))
    session = StdioSession(McpServer(STDIO_CATALOG, VERSION), REQUEST_BUDGET_S)
    too_long = RpcError(
        PARSE_ERROR, f"Parse error: a message is longer than {limit} bytes (THOTH_MAX_BODY_BYTES)"
    )
    signal.signal(signal.SIGTERM, _interrupt)
    print(
        f"thoth-mcp stdio: serving {len(STDIO_CATALOG.tool_specs())} tools; EOF or SIGTERM stops",
        file=sys.stderr,
    )
    started = time.monotonic()
    oversized = dumps(rpc_error(None, too_long))
    try:
        with _encoder_built_when_missing():
            transport.serve_lines(session.handle_line, sys.stdin.buffer, protocol_out, limit, oversized)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        pass  # the client went away mid-answer: nothing left to tell it
    elapsed = time.monotonic() - started
    print(
        f"thoth-mcp stdio: stopped after {elapsed:.0f} s; answered {session.requests} request(s)",
        file=sys.stderr,
    )
    return 0


def invoke(args: argparse.Namespace) -> int:
    from thoth.mcp_server.lambda_handler import handler
    from thoth.shared.lambda_context import LocalContext

    path = Path(args.event)
    try:
        event: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return _fail(f"cannot read {path} ({exc.strerror}); sample events are in packages/mcp_server/events/")
    except ValueError as exc:
        return _fail(f"{path} is not valid JSON ({exc})")
    problem = _auth_ready(args.no_auth)
    if problem:
        return _fail(problem)
    headers = event.get("headers") if isinstance(event, dict) else None
    keys = () if args.no_auth else parse_keys(local_api_keys())
    present = {str(k).lower() for k in headers} if isinstance(headers, dict) else set()
    if (
        isinstance(headers, dict)
        and not args.no_auth
        and keys
        and not {"authorization", "x-api-key"} & present
    ):
        headers["x-api-key"] = keys[0]
        print("note: added x-api-key from THOTH_API_KEYS to the event", file=sys.stderr)
    _logs_to_stderr()
    started = time.monotonic()
    response = handler(event, LocalContext("thoth-mcp-local"))
    elapsed = (time.monotonic() - started) * 1000
    print(json.dumps(response, indent=2))
    body = response.get("body") or ""
    if args.pretty and body:
        with contextlib.suppress(ValueError):
            print(json.dumps(json.loads(body), indent=2))
    print(f"invoked {path.name}: status {response.get('statusCode')} in {elapsed:.0f} ms", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="thoth-mcp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("serve", help="serve the Lambda handler over HTTP at /mcp and /health")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: local only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--no-auth", action="store_true", help="serve without API keys (refused on AWS)")
    p.set_defaults(run=serve)
    p = commands.add_parser(
        "stdio", help="serve the tools over stdio (for clients that start the server, e.g. Claude Desktop)"
    )
    p.set_defaults(run=stdio)
    p = commands.add_parser(
        "invoke", help="run the handler once on a Lambda event file, like sam local invoke"
    )
    p.add_argument("event", help="event JSON file, e.g. packages/mcp_server/events/health.json")
    p.add_argument("--no-auth", action="store_true", help="invoke with authentication off")
    p.add_argument("--pretty", action="store_true", help="also print the response body as indented JSON")
    p.set_defaults(run=invoke)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
