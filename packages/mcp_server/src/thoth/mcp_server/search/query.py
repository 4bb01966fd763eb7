"""One search over the live indexes: the pipeline search_handbook and ChatGPT's search share."""

from __future__ import annotations

from typing import Any

from thoth.mcp_server.protocol.tools import Deadline
from thoth.mcp_server.search import encoder, ranking
from thoth.mcp_server.search.registry import registry
from thoth.mcp_server.settings import search_settings

WEAK_RESULTS = 3  # results a weak answer shows: the closest few, marked as weak matches


def run(
    query: str,
    limit: int,
    deadline: Deadline,
    source: str | None = None,
    path_prefix: str | None = None,
    *,
    pages: bool = True,
) -> list[ranking.Hit]:
    """The `limit` best hits for `query` (already normalised), ranked as search_handbook ranks them."""
    served = registry().serving(source, deadline)
    deadline.check("embedding the query")
    vector = encoder.get_encoder().encode(query)
    deadline.check("searching")
    return ranking.search([s.prepared for s in served], query, vector, limit, path_prefix, pages=pages)


def weak_cut(hits: list[ranking.Hit]) -> tuple[list[ranking.Hit], bool, float]:
    """The hits an answer shows, whether they are weak matches, and the floor (THOTH_WEAK_MATCH_FLOOR).

    When no hit matches at the floor, only the best few are kept, so a weak answer stays short.
    """
    floor = search_settings().weak_match_floor
    weak = not hits or max(h.match for h in hits) < floor  # no result at all matches nothing either
    return (hits[:WEAK_RESULTS] if weak else hits), weak, floor


def measures(hits: list[ranking.Hit], weak: bool) -> dict[str, float]:
    """What a search's metrics record says about its hits."""
    top = hits[0] if hits else None
    return {
        "Results": len(hits),
        "ZeroResults": 0 if top else 1,
        "TopScore": top.score if top else 0.0,
        "TopSimilarity": max(0.0, top.cosine) if top else 0.0,
        "TopMatch": max(h.match for h in hits) if hits else 0.0,
        "WeakMatch": 1 if weak else 0,
    }


def context(source: str | None, query: str, hits: list[ranking.Hit]) -> dict[str, Any]:
    """What the metrics record says about the search; the query only when THOTH_LOG_QUERIES=on."""
    properties: dict[str, Any] = {"source": source or "*", "top_source": hits[0].source if hits else None}
    if search_settings().log_queries:
        properties["query"] = query
    return properties
