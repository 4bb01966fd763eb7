"""A bounded GET of a small JSON document (issuer metadata, signing keys): time, size and redirects capped.

`urllib`'s timeout applies per socket operation, so a server trickling one byte at a time could
hold a request for ever; the body is read in pieces against one overall deadline instead.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any, Final
from urllib.parse import urlsplit

from thoth.shared.errors import ThothError

MAX_DOCUMENT_BYTES: Final = 512 * 1024  # a JWKS of dozens of RSA keys is ~30 kB
_CHUNK: Final = 16 * 1024
_LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "::1"})
USER_AGENT: Final = "thoth-mcp-server"


class FetchError(ThothError):
    """A document could not be fetched or is not a JSON object; the message names the URL and the cause."""


def secure_url(url: str) -> bool:
    """https anywhere, plain http only to this machine (test issuers)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    max_redirections = 3

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not secure_url(newurl):
            raise urllib.error.URLError(f"refusing a redirect to a non-https URL ({newurl[:120]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_NoDowngrade)


def fetch_json(url: str, timeout_s: float) -> dict[str, Any]:
    """GET `url` and decode a JSON object, within `timeout_s` overall; FetchError otherwise."""
    if not secure_url(url):
        raise FetchError(f"{url[:120]} is not an https URL")
    deadline = time.monotonic() + timeout_s
    # https (or loopback http) only: checked above, and on every redirect by _NoDowngrade.
    request = urllib.request.Request(url, headers={"accept": "application/json", "user-agent": USER_AGENT})  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            body = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(f"{url} did not answer within {timeout_s:g} s")
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise FetchError(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url} is unreachable ({reason})") from None
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FetchError(f"{url} did not return JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url} did not return a JSON object")
    return document
