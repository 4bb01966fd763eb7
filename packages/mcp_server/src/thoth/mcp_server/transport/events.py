"""HTTP requests and responses on Lambda: API Gateway HTTP API (payload 2.0) and function URL events."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from thoth.mcp_server.protocol.jsonrpc import dumps
from thoth.shared.errors import ThothError

MAX_HEADER_VALUE_CHARS: Final = 8192
_BASE_HEADERS: Final = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


class BadEvent(ThothError):
    """The Lambda event is not an HTTP event this handler understands."""


class HttpRequest(NamedTuple):
    """One HTTP request: lowercase header names, repeated headers joined with commas (as API Gateway does)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    source_ip: str | None = None
    query: str = ""
    domain: str | None = None  # requestContext.domainName: set by AWS, not by the client

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class HttpResponse:
    """A response in the shape both API Gateway payload 2.0 and function URLs accept."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def to_lambda(self) -> dict[str, Any]:
        headers = {**_BASE_HEADERS, **self.headers}
        # Bodies are always ASCII JSON (or empty), so no base64 is ever needed on the way out.
        return {
            "statusCode": self.status,
            "headers": headers,
            "body": self.body.decode("ascii"),
            "isBase64Encoded": False,
        }


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> HttpResponse:
    """A JSON response with the given status."""
    return HttpResponse(status, dumps(payload), {"content-type": "application/json", **(headers or {})})


def error_response(
    status: int, error: str, message: str, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A plain (non-JSON-RPC) JSON error: {"error": <slug>, "message": <what to do>}."""
    return json_response(status, {"error": error, "message": message}, headers)


def _headers(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadEvent("event headers must be an object")
    headers: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise BadEvent("event header names and values must be strings")
        if len(value) > MAX_HEADER_VALUE_CHARS:
            raise BadEvent(f"header {name[:64]!r} is longer than {MAX_HEADER_VALUE_CHARS} characters")
        key = name.lower()
        # Two spellings of one header (e.g. Accept and accept) are one repeated header.
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def _body(event: dict[str, Any]) -> bytes:
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise BadEvent("event body must be a string")
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise BadEvent("event isBase64Encoded must be a boolean")
    if not encoded:
        try:
            return raw.encode("utf-8")
        except UnicodeEncodeError:
            raise BadEvent("event body is not encodable as UTF-8") from None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise BadEvent("event body is marked isBase64Encoded but is not valid base64") from None


def _strip_stage(path: str, context: dict[str, Any]) -> str:
    # HTTP API paths include a named stage ("/prod/mcp"); the $default stage adds nothing.
    stage = context.get("stage")
    if isinstance(stage, str) and stage and stage != "$default":
        prefix = f"/{stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return path


def parse_event(event: Any) -> HttpRequest:
    """An HttpRequest from a payload-2.0 / function URL event; BadEvent names what is wrong."""
    if not isinstance(event, dict):
        raise BadEvent("the event must be a JSON object")
    context = event.get("requestContext")
    if not isinstance(context, dict) or not isinstance(context.get("http"), dict):
        raise BadEvent(
            "not an HTTP API payload 2.0 or function URL event (requestContext.http is missing); "
            "configure the integration with payloadFormatVersion 2.0"
        )
    http = context["http"]
    method = http.get("method")
    path = event.get("rawPath", http.get("path"))
    if not isinstance(method, str) or not method or not isinstance(path, str) or not path.startswith("/"):
        raise BadEvent("requestContext.http.method and rawPath must be non-empty strings")
    source_ip = http.get("sourceIp")
    query, domain = event.get("rawQueryString"), context.get("domainName")
    return HttpRequest(
        method=method.upper(),
        path=_strip_stage(path, context),
        headers=_headers(event.get("headers")),
        body=_body(event),
        source_ip=source_ip if isinstance(source_ip, str) else None,
        query=query if isinstance(query, str) else "",
        domain=domain if isinstance(domain, str) and domain else None,
    )


def media_types(value: str | None) -> list[str]:
    """The bare media types of an Accept / Content-Type value, lowercased, parameters dropped."""
    if not value:
        return []
    return [part.split(";", 1)[0].strip().lower() for part in value.split(",") if part.strip()]


def accepts_json(accept: str | None) -> bool:
    """True when an Accept header admits application/json (directly or by wildcard)."""
    return any(t in ("application/json", "application/*", "*/*") for t in media_types(accept))


def is_json_content(content_type: str | None) -> bool:
    """True when Content-Type is one application/json value, in UTF-8 if a charset is named."""
    if media_types(content_type) != ["application/json"]:
        return False
    assert content_type is not None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True
