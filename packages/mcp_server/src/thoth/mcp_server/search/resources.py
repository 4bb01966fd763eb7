"""Pages and sections as MCP resources: the links search results carry, and resources/read."""

from __future__ import annotations

from thoth.mcp_server.protocol.resources import ResourceNotFound, ResourceText, ResourceUriError
from thoth.mcp_server.protocol.tools import Deadline, ResourceLink
from thoth.mcp_server.search.address import MARKDOWN, MAX_URI_CHARS, Address, BadAddress, anchor_of, parse
from thoth.mcp_server.search.budget import cap
from thoth.mcp_server.search.ranking import Hit
from thoth.mcp_server.search.reading import read
from thoth.mcp_server.search.registry import NoSuchPage


def links(hits: list[Hit]) -> tuple[ResourceLink, ...]:
    """A link to each hit's section and one to each page, each address once, in rank order.

    An address longer than MAX_URI_CHARS (a very long non-ASCII path) gets no link: resources/read
    would refuse it.
    """
    found: dict[str, ResourceLink] = {}
    for hit in hits:
        chunk = hit.chunk
        anchor = anchor_of(chunk.url)
        heading = chunk.heading_path[-1] if chunk.heading_path else chunk.title
        section = f"{chunk.title} > {heading}" if heading != chunk.title else chunk.title
        targets = [(Address(hit.source, chunk.path), chunk.title, chunk.path)]
        if anchor is not None:
            targets.insert(0, (Address(hit.source, chunk.path, anchor), section, f"{chunk.path}#{anchor}"))
        for address, title, name in targets:
            uri = address.uri()
            if uri not in found and len(uri) <= MAX_URI_CHARS:
                found[uri] = ResourceLink(uri, cap(name, "path"), cap(title, "title"), MARKDOWN)
    return tuple(found.values())


def read_resource(uri: str, deadline: Deadline) -> list[ResourceText]:
    """The text of the page or section `uri` names, with a line saying where it comes from."""
    try:
        address = parse(uri)
    except BadAddress as exc:
        raise ResourceUriError(str(exc)) from None
    try:
        reading = read(address, deadline)
    except NoSuchPage as exc:
        raise ResourceNotFound(str(exc)) from None
    facts = [f"{address.source}:{address.path}"]
    if reading.last_modified:
        facts.append(f"updated {reading.last_modified[:10]}")
    if reading.commit:
        facts.append(f"commit {reading.commit[:12]}")
    header = f"Source: {reading.title} <{reading.url}> ({', '.join(facts)})\n\n"
    return [ResourceText(uri, MARKDOWN, header + reading.text)]
