"""The contract between the protocol and whatever serves resources: templates, contents, failures.

Like the tool contract beside it, the protocol owns these types and the search layer implements
`ResourceCatalog`; a catalog without it serves no resources (no capability, no methods).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

from thoth.mcp_server.protocol.tools import Deadline, Icon
from thoth.shared.errors import ThothError


class ResourceUriError(ThothError):
    """A resource URI that is malformed or outside the server's scheme; the message says the fix."""


class ResourceNotFound(ThothError):
    """A well-formed URI naming nothing the server has; the message says what to do instead."""


class ResourceTemplate(NamedTuple):
    """One entry of resources/templates/list: an RFC 6570 URI template and what it names."""

    uri_template: str
    name: str
    title: str
    description: str
    mime_type: str
    icons: tuple[Icon, ...] = ()


class ResourceText(NamedTuple):
    """One text item of a resources/read answer."""

    uri: str
    mime_type: str
    text: str

    def wire(self) -> dict[str, Any]:
        return {"uri": self.uri, "mimeType": self.mime_type, "text": self.text}


@runtime_checkable
class ResourceCatalog(Protocol):
    """What the protocol needs from a resources side.

    `read_resource` returns the contents or raises ResourceUriError (a bad URI), ResourceNotFound,
    or another ThothError for a failure the caller should see; anything else is a bug.
    """

    def resource_templates(self) -> list[ResourceTemplate]: ...

    def read_resource(self, uri: str, deadline: Deadline) -> list[ResourceText]: ...
