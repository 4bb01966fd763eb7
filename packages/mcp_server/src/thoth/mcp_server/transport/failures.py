"""The one table from a failure the HTTP layer catches to the status and words a client sees.

The client reads a slug and a fixed sentence (never the cause: it may name a bucket, a table or a
secret); the operator reads the cause in the log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, NamedTuple

from thoth.mcp_server.transport.auth.errors import KeysUnavailable
from thoth.mcp_server.transport.events import BadEvent, HttpResponse, error_response
from thoth.shared.errors import ConfigError, ThothError

Stage = Literal["request", "auth"]


class Failure(NamedTuple):
    """What one kind of failure answers: status, slug, the sentence shown, and the log line."""

    status: int
    error: str
    message: str | None  # None: the exception's own words (only for faults in the caller's own input)
    logged: str | None  # the log line (cause appended); None when the caller's fault needs no log
    headers: Mapping[str, str] = MappingProxyType({})


MISCONFIGURED: Final = "the server is misconfigured; see its logs"

# (where it was raised, exception class, the answer); the first row that matches wins.
FAILURES: Final[tuple[tuple[Stage, type[ThothError], Failure], ...]] = (
    (
        "auth",
        KeysUnavailable,
        Failure(
            503,
            "auth_unavailable",
            "the authorization server's signing keys cannot be fetched right now; retry in a few seconds",
            "oauth tokens cannot be verified",
            MappingProxyType({"retry-after": "5"}),
        ),
    ),
    # no keys, a malformed secret, or Secrets Manager unreachable
    (
        "auth",
        ThothError,
        Failure(
            503,
            "auth_not_configured",
            "authentication is not configured on this server",
            "authentication is not configured",
        ),
    ),
    ("request", BadEvent, Failure(400, "bad_event", None, None)),
    ("request", ConfigError, Failure(503, "misconfigured", MISCONFIGURED, "server misconfigured")),
)

log = logging.getLogger("thoth.mcp_server.failures")


def failure(exc: ThothError, stage: Stage = "request") -> Failure | None:
    """The table's row for `exc` raised at `stage`, or None when the table has none (a bug: let it rise)."""
    for where, kind, answer in FAILURES:
        if where == stage and isinstance(exc, kind):
            return answer
    return None


def failure_response(exc: ThothError, stage: Stage = "request") -> HttpResponse:
    """The response for `exc` (logged with its cause); re-raises what the table does not name."""
    answer = failure(exc, stage)
    if answer is None:
        raise exc
    if answer.logged is not None:
        log.error("%s: %s", answer.logged, exc)
    return error_response(answer.status, answer.error, answer.message or str(exc), answer.headers)
