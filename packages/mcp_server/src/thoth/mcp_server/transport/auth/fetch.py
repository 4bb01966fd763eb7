"""A bounded GET of a small JSON document (issuer metadata, signing keys): time, size and redirects capped.

`urllib`'s timeout applies per socket operation, so a server trickling one byte at a time could
hold a request for ever (even while sending its headers). The deadline is enforced on the sockets
themselves: every socket the request opens is shut down when the deadline passes, which ends any
read or handshake in progress at once.

Plain http is followed only to this machine, and only when the issuer itself is on this machine
(`loopback_http`, test issuers): an https issuer's redirect or `jwks_uri` to http://127.0.0.1
could reach a local service (on Lambda, 127.0.0.1:9001 is the Runtime API).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from http.client import HTTPMessage, HTTPSConnection
from typing import IO, Any, Final
from urllib.parse import urlsplit

from thoth.shared.errors import ThothError

MAX_DOCUMENT_BYTES: Final = 512 * 1024  # a JWKS of dozens of RSA keys is ~30 kB
_CHUNK: Final = 16 * 1024
_LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})
USER_AGENT: Final = "thoth-mcp-server"


class FetchError(ThothError):
    """A document could not be fetched or is not a JSON object; the message names the URL and the cause."""


def is_loopback_http(url: str) -> bool:
    """Plain http to this machine (a local test issuer)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in _LOOPBACK


def secure_url(url: str, loopback_http: bool = False) -> bool:
    """https anywhere; plain http to this machine only with `loopback_http` (a loopback issuer)."""
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return False
    return scheme == "https" or (loopback_http and is_loopback_http(url))


class _Sockets:
    """The sockets of one fetch; `close_all` (at the deadline, from a timer) shuts every one down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.expired = False

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._open.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)
        return sock

    def close_all(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._open)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # The OS-level shutdown (for TLS too, under the SSL object): it wakes a read or handshake
    # blocked in another thread; a socket already closed has no descriptor left to touch.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(conn: http.client.HTTPConnection, sockets: _Sockets) -> None:
    """Put the TCP socket `conn` is about to open into `sockets`, before a byte is exchanged."""
    create = conn._create_connection  # type: ignore[attr-defined]
    conn._create_connection = lambda *a, **k: sockets.add(create(*a, **k))  # type: ignore[attr-defined]


def _connections(
    sockets: _Sockets,
) -> tuple[type[http.client.HTTPConnection], type[http.client.HTTPSConnection]]:
    """HTTP and HTTPS connection classes whose sockets join `sockets` before a byte is exchanged."""

    class Plain(http.client.HTTPConnection):
        def connect(self) -> None:
            _watch(self, sockets)
            super().connect()

    class Secure(HTTPSConnection):
        def connect(self) -> None:
            _watch(self, sockets)
            http.client.HTTPConnection.connect(self)  # TCP (and a proxy tunnel), its socket watched
            host = self._tunnel_host or self.host  # type: ignore[attr-defined]
            # Wrapped without the handshake, watched, then shaken: a trickled handshake ends too.
            wrapped = self._context.wrap_socket(  # type: ignore[attr-defined]
                self.sock, server_hostname=host, do_handshake_on_connect=False
            )
            self.sock = sockets.add(wrapped)
            wrapped.do_handshake()

    return Plain, Secure


class _Handler(urllib.request.HTTPSHandler, urllib.request.HTTPHandler):
    """urllib's http and https handlers over watched connections."""

    def __init__(self, sockets: _Sockets) -> None:
        super().__init__()
        self._plain, self._secure = _connections(sockets)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._secure, req, context=self._context)  # type: ignore[attr-defined]

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._plain, req)


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def __init__(self, loopback_http: bool) -> None:
        self._loopback_http = loopback_http

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not secure_url(newurl, self._loopback_http):
            raise urllib.error.URLError(f"refusing a redirect to a non-https URL ({newurl[:120]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_json(url: str, timeout_s: float, *, loopback_http: bool = False) -> dict[str, Any]:
    """GET `url` and decode a JSON object, within `timeout_s` overall; FetchError otherwise.

    `loopback_http`: plain http to this machine is allowed (for the URL and its redirects); only
    for an issuer that is itself on this machine.
    """
    if not secure_url(url, loopback_http):
        raise FetchError(f"{url[:120]} is not an https URL")
    sockets = _Sockets()
    opener = urllib.request.build_opener(_Handler(sockets), _NoDowngrade(loopback_http))
    # https (or loopback http for a loopback issuer): checked above, and on every redirect.
    request = urllib.request.Request(url, headers={"accept": "application/json", "user-agent": USER_AGENT})  # noqa: S310
    timer = threading.Timer(timeout_s, sockets.close_all)
    timer.daemon = True
    timer.start()
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout_s) as response:
            body = bytearray()
            while chunk := response.read1(_CHUNK):
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchError(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        if sockets.expired or time.monotonic() - started >= timeout_s:
            raise FetchError(f"{url} did not answer within {timeout_s:g} s") from None
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url} is unreachable ({reason})") from None
    finally:
        timer.cancel()
    if sockets.expired:  # shut down mid-body: what arrived is cut short
        raise FetchError(f"{url} did not answer within {timeout_s:g} s")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FetchError(f"{url} did not return JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url} did not return a JSON object")
    return document
