"""Client ID Metadata Documents: a client id that is an https URL names the client's own metadata.

Fetching a URL a stranger typed is a server-side request forgery risk, so the fetch is guarded: https
only; the host's every address must be public (resolved once, and the connection goes to that vetted
address, so DNS cannot rebind it to an internal one between check and use); no redirects; a short
overall deadline; a size cap; the result cached briefly. Loopback hosts pass only with
THOTH_OAUTH_CIMD_ALLOW_LOOPBACK=on (tests; refused on Lambda).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from typing import Any, Final
from urllib.parse import urlsplit

from thoth.mcp_server.transport.auth.fetch import USER_AGENT
from thoth.mcp_server.transport.auth.front.clients import GRANT_TYPES, Client, redirect_uri_problem
from thoth.shared.errors import ThothError

MAX_DOCUMENT_BYTES: Final = 5 * 1024  # the CIMD draft's recommended ceiling
TIMEOUT_S: Final = 3.0
CACHE_TTL_S: Final = 300.0
MAX_CACHED: Final = 256
_CHUNK: Final = 1024


class CimdError(ThothError):
    """A client metadata document cannot be used; the message says why (shown to the client)."""


def is_metadata_url(client_id: str) -> bool:
    """Whether a client id is meant as a CIMD URL (then it must pass `check_url`)."""
    return client_id.startswith(("https://", "http://"))


def check_url(client_id: str) -> tuple[str, int, str]:
    """(host, port, path?query) of a valid CIMD client id; CimdError otherwise."""
    try:
        parts = urlsplit(client_id)
        host, port = parts.hostname, parts.port or 443
    except ValueError:
        raise CimdError("the client_id URL is malformed") from None
    if parts.scheme != "https" or not host:
        raise CimdError("a client_id URL must be https")
    if parts.username or parts.password or parts.fragment:
        raise CimdError("a client_id URL must not carry credentials or a fragment")
    segments = parts.path.split("/")
    if parts.path in ("", "/") or "." in segments or ".." in segments:
        raise CimdError("a client_id URL needs a path without dot segments")
    if len(client_id) > 2000 or not (client_id.isascii() and client_id.isprintable()):
        raise CimdError("a client_id URL must be printable ASCII of at most 2000 characters")
    return host, port, parts.path + (f"?{parts.query}" if parts.query else "")


def vetted_addresses(host: str, port: int, allow_loopback: bool) -> list[str]:
    """The addresses to connect to: every address of `host` must be public (or loopback, when allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise CimdError(f"the client_id host {host[:100]} does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_global or (allow_loopback and ip.is_loopback):
            continue
        raise CimdError(f"the client_id host {host[:100]} resolves to a non-public address; it is refused")
    if not addresses:
        raise CimdError(f"the client_id host {host[:100]} has no address")
    return list(dict.fromkeys(addresses))


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An https connection to a vetted address, with the certificate checked against the URL's host."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        failure: OSError = OSError("no address")
        for address in self._addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                failure = exc
                continue
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
            return
        raise failure


def _read(response: http.client.HTTPResponse, sock: socket.socket | None, deadline: float) -> bytes:
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CimdError(f"the client metadata document did not arrive within {TIMEOUT_S:g} s")
        if sock is not None:
            sock.settimeout(remaining)
        chunk = response.read(_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise CimdError(f"the client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes")


def fetch_document(client_id: str, allow_loopback: bool) -> dict[str, Any]:
    """GET the document behind a CIMD client id through the guard; CimdError with the reason otherwise."""
    host, port, target = check_url(client_id)
    deadline = time.monotonic() + TIMEOUT_S
    connection = _PinnedHTTPS(host, port, vetted_addresses(host, port, allow_loopback), TIMEOUT_S)
    try:
        connection.request("GET", target, headers={"accept": "application/json", "user-agent": USER_AGENT})
        response = connection.getresponse()
        if 300 <= response.status < 400:
            raise CimdError(
                "the client metadata document URL redirects; serve it at the client_id URL itself"
            )
        if response.status != 200:
            raise CimdError(f"the client metadata document answered HTTP {response.status}")
        declared = response.getheader("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
            raise CimdError(f"the client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes")
        body = _read(response, connection.sock, deadline)
    except (OSError, http.client.HTTPException) as exc:
        reason = (
            "certificate not trusted" if isinstance(exc, ssl.SSLCertVerificationError) else type(exc).__name__
        )
        raise CimdError(f"the client metadata document cannot be fetched ({reason})") from None
    finally:
        connection.close()
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CimdError("the client metadata document is not JSON") from None
    if not isinstance(document, dict):
        raise CimdError("the client metadata document is not a JSON object")
    return document


def client_from_document(client_id: str, document: dict[str, Any]) -> Client:
    """The client a document describes, once it names itself and lists usable redirect URIs."""
    if document.get("client_id") != client_id:
        raise CimdError("the client metadata document's client_id differs from its URL")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > 10:
        raise CimdError("the client metadata document lists no redirect_uris (1 to 10)")
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            raise CimdError(f"the client metadata document's redirect URI {problem}")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none" or "client_secret" in document:
        # A document is public: a secret in it is no secret, and this server keys no client's jwks.
        raise CimdError("a client metadata document must use token_endpoint_auth_method 'none'")
    grants = document.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grants, list)
        or not set(grants) <= set(GRANT_TYPES)
        or "authorization_code" not in grants
    ):
        raise CimdError(f"the client metadata document's grant_types must be among {', '.join(GRANT_TYPES)}")
    name = document.get("client_name")
    return Client(
        client_id, tuple(uris), "none", tuple(grants), name[:100] if isinstance(name, str) else None
    )


class CimdClients:
    """CIMD clients by URL, fetched through the guard and kept `CACHE_TTL_S` (per process)."""

    def __init__(self, fetch: Any = fetch_document, clock: Any = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Client]] = {}

    def client(self, client_id: str, allow_loopback: bool) -> Client:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(client_id)
            if cached and cached[0] > now:
                return cached[1]
        client = client_from_document(client_id, self._fetch(client_id, allow_loopback))
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[client_id] = (now + CACHE_TTL_S, client)
        return client


CLIENTS: Final = CimdClients()
