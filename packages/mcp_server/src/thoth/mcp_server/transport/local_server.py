"""A small threaded HTTP server that turns each request into a function URL event for the same handler."""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from thoth.mcp_server.settings import MAX_BODY_BYTES_CEILING
from thoth.shared.lambda_context import LocalContext

Handler = Callable[[Any, Any], dict[str, Any]]
LAMBDA_TIMEOUT_S: Final = 30.0

log = logging.getLogger("thoth.mcp_server.local")


def build_event(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes, client_ip: str
) -> dict[str, Any]:
    """A function URL (payload 2.0) event; repeated headers are joined with commas, as AWS does."""
    path, _, query = target.partition("?")
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path or "/",
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "local",
            "domainName": joined.get("host", "localhost"),
            "http": {
                "method": method,
                "path": path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"

    def _respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            self.close_connection = True
            self._respond(411, {"content-type": "application/json"}, b'{"error":"length_required"}')
            return
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES_CEILING:
            # Larger than Lambda would ever accept: refuse without reading it.
            self.close_connection = True
            self._respond(413, {"content-type": "application/json"}, b'{"error":"payload_too_large"}')
            return
        body = self.rfile.read(length) if length else b""
        self.server.count_request()
        event = build_event(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
        result = self.server.handler(event, LocalContext("thoth-mcp-local", LAMBDA_TIMEOUT_S))
        payload = result.get("body") or ""
        raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        self._respond(int(result["statusCode"]), dict(result.get("headers") or {}), raw)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """The handler already logs one JSON line per request."""


class LocalServer(ThreadingHTTPServer):
    """Serves `handler` on (host, port); port 0 picks a free one (see `url`)."""

    daemon_threads = True

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 8765) -> None:
        super().__init__((host, port), _RequestHandler)
        self.handler = handler
        self.requests = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def count_request(self) -> None:
        with self._count_lock:
            self.requests += 1

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        """Serve in a background thread (tests, demo); `stop()` ends it."""
        self._thread = threading.Thread(target=self.serve_forever, name="thoth-local-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
