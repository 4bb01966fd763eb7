"""ChatGPT's connector contract over the same index and ranking as search_handbook.

ChatGPT's deep research and company knowledge call only `search(query)` and `fetch(id)`, and read
exactly one text content item holding JSON: `{"results": [{"id", "title", "url", "text"}]}` and
`{"id", "title", "text", "url", "metadata"}` (OpenAI's MCP documentation). An id is the result's
thoth:// address (its page and section), so fetch resolves it with no state kept between calls.
"""

from __future__ import annotations

import json
from typing import Any, Final

from thoth.mcp_server.protocol.tools import Deadline, ToolArgumentError, ToolOutput
from thoth.mcp_server.search import query as search_query
from thoth.mcp_server.search import snippets
from thoth.mcp_server.search.address import MAX_URI_CHARS, Address, BadAddress, anchor_of, parse
from thoth.mcp_server.search.budget import cap
from thoth.mcp_server.search.reading import read

RESULTS: Final = 8  # deep research searches many times; a few good hits each time serve it best
SNIPPET_CHARS: Final = 300


def _citation(url: str, address: Address) -> str:
    """The public URL to cite; a source without a base URL has none, so its address stands in."""
    return url if url.startswith(("https://", "http://")) else address.uri()


def _answer(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def search(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    query = " ".join(args["query"].split())
    if not query:
        raise ToolArgumentError("argument 'query' is blank; give a question or keywords")
    hits, weak, _ = search_query.weak_cut(search_query.run(query, RESULTS, deadline))
    results = []
    for hit in hits:
        chunk = hit.chunk
        address = Address(hit.source, chunk.path, anchor_of(chunk.url))
        if len(address.uri()) > MAX_URI_CHARS:
            continue  # fetch would refuse the id
        trail = " > ".join([chunk.title, *[h for h in chunk.heading_path if h != chunk.title]])
        text = snippets.Snippable(snippets.without_heading_line(chunk.text), query)
        results.append(
            {
                "id": address.uri(),
                "title": cap(trail, "title"),
                "url": cap(_citation(chunk.url, address), "url"),
                "text": text.cut(SNIPPET_CHARS),
            }
        )
    return ToolOutput(
        _answer({"results": results}),
        None,
        metrics=search_query.measures(hits, weak),
        properties=search_query.context(None, query, hits),
    )


def fetch(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    try:
        address = parse(args["id"])
    except BadAddress as exc:
        raise ToolArgumentError(f"argument 'id' is not an id the search tool returns: {exc}") from None
    reading = read(address, deadline)
    metadata = {
        "source": address.source,
        "path": address.path,
        "section": " > ".join(reading.heading_path) or None,
        "page_id": address.page().uri() if address.anchor else None,
        "commit": reading.commit,
        "last_modified": reading.last_modified,
        "characters": f"{reading.shown_chars} of {reading.total_chars}" if reading.truncated else None,
    }
    document = {
        "id": address.uri(),
        "title": reading.title,
        "text": reading.text,
        "url": _citation(reading.url, address),
        "metadata": {key: value for key, value in metadata.items() if value is not None},
    }
    return ToolOutput(_answer(document), None)


HANDLERS: Final = {"search": search, "fetch": fetch}


def run(name: str, args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    """Dispatch to `name` (the catalog validated the name and arguments)."""
    return HANDLERS[name](args, deadline)
