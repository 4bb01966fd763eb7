"""The contract between the protocol and whatever serves tools: specs, results, failures, the deadline.

The protocol layer owns these types; `thoth.mcp_server.search` implements `ToolCatalog`
on top of them. The protocol never imports the search layer (it pulls in numpy and the
index reader, which `initialize`, `tools/list` and /health never need).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from thoth.shared.errors import ThothError


class ToolArgumentError(ThothError):
    """A tool argument does not match its inputSchema; the message names the argument and the fix."""


class UnknownToolError(ThothError):
    """No tool has that name (a protocol error in every revision)."""


class DeadlineExceeded(ThothError):
    """The request's time budget ran out before the tool finished (a tool error: the caller may retry)."""


# Value types on the cold path are NamedTuples, not dataclasses: creating a dataclass costs about
# 330 us at import against 48 us for a NamedTuple (measured here), and /health imports a dozen.
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Icon(NamedTuple):
    """An icon a client may show beside a tool or the server (2025-11-25): a data: URI or https URL."""

    src: str
    mime_type: str
    sizes: tuple[str, ...] = ("any",)

    def wire(self) -> dict[str, Any]:
        return {"src": self.src, "mimeType": self.mime_type, "sizes": list(self.sizes)}


def svg_icon(svg: str) -> Icon:
    """A scalable icon carried inline as a base64 data: URI (nothing for a client to fetch)."""
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Icon(f"data:image/svg+xml;base64,{encoded}", "image/svg+xml")


class ToolSpec(NamedTuple):
    """What tools/list shows for one tool."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    annotations: dict[str, Any]
    icons: tuple[Icon, ...] = ()


class ResourceLink(NamedTuple):
    """A `resource_link` content item of a tool result (2025-06-18+): a resource the client can read."""

    uri: str
    name: str
    title: str
    mime_type: str

    def wire(self) -> dict[str, Any]:
        return {
            "type": "resource_link",
            "uri": self.uri,
            "name": self.name,
            "title": self.title,
            "mimeType": self.mime_type,
        }


class ToolOutput(NamedTuple):
    """A tool result: text content, structuredContent, and whether it is a tool-level error.

    `links` become `resource_link` content items after the text, for revisions that have them.
    `metrics` (names from thoth.shared.metrics, e.g. Results) and `properties` (context such as
    the source) go into the call's metrics record, never to the client.
    """

    text: str
    structured: dict[str, Any] | None
    is_error: bool = False
    metrics: Mapping[str, float] = _EMPTY
    properties: Mapping[str, Any] = _EMPTY
    links: tuple[ResourceLink, ...] = ()


class Deadline:
    """When one request's time budget ends (`time.monotonic()` clock), and which sources the caller
    may read; the call carries it to every tool.

    `sources` None means every source (no policy, auth off, stdio); a set names the only sources the
    authenticated caller may see (thoth.mcp_server.access decides it; the search registry honours it).
    """

    def __init__(
        self,
        at: float,
        clock: Callable[[], float] = time.monotonic,
        sources: frozenset[str] | None = None,
    ) -> None:
        self.at = at
        self._clock = clock
        self.sources = sources

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def for_caller(self, sources: frozenset[str] | None) -> Deadline:
        """The same time budget, limited to `sources` (None: unchanged)."""
        if sources is None:
            return self
        allowed = sources if self.sources is None else sources & self.sources
        return Deadline(self.at, self._clock, allowed)

    def remaining(self) -> float:
        """Seconds left (negative once it has passed)."""
        return self.at - self._clock()

    def expired(self) -> bool:
        return self._clock() >= self.at

    def check(self, stage: str) -> None:
        """Raise DeadlineExceeded naming `stage` (what was about to start) once the budget is used up."""
        if self.expired():
            raise DeadlineExceeded(
                f"the request's time budget ran out before {stage}; retry, or narrow the request"
            )


NO_DEADLINE = Deadline(float("inf"))


class ToolCatalog(Protocol):
    """What the protocol needs from the tools side.

    `call_tool` returns a ToolOutput or raises: ToolArgumentError / UnknownToolError for bad
    requests, any other ThothError for a failure the caller should see, anything else is a bug.
    The protocol's dispatcher is the one place that maps these to what the client receives.
    """

    def tool_specs(self) -> list[ToolSpec]: ...

    def call_tool(self, name: str, arguments: dict[str, Any], deadline: Deadline) -> ToolOutput: ...

    def index_health(self) -> dict[str, Any]: ...
