"""The four tools by name: search_handbook and index_status here, the others beside them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from thoth.mcp_server.protocol.tools import Deadline, ToolArgumentError, ToolOutput
from thoth.mcp_server.search import query as search_query
from thoth.mcp_server.search import ranking, snippets
from thoth.mcp_server.search.budget import (
    ANSWER_CHARS_PER_RESULT,
    HARD_CAP_CHARS,
    SEARCH_BUDGET_CHARS,
    SNIPPET_MAX,
    SNIPPET_MIN,
    cap,
    size,
)
from thoth.mcp_server.search.changes_tool import recent_changes
from thoth.mcp_server.search.registry import registry
from thoth.mcp_server.search.resources import links
from thoth.mcp_server.search.section import get_handbook_section
from thoth.mcp_server.search.topics import list_topics


def _hit_record(rank: int, hit: ranking.Hit, text: snippets.Snippable, snippet_chars: int) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "rank": rank,
        "title": cap(chunk.title, "title"),
        "heading_path": [cap(h, "heading") for h in chunk.heading_path[:6]],
        "url": cap(chunk.url, "url"),
        "source": hit.source,
        "path": cap(chunk.path, "path"),
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "snippet": text.cut(snippet_chars),
        "score": hit.score,
        "match": hit.match,
        "commit": chunk.commit,
        "last_modified": chunk.last_modified,
        "changed_at": chunk.changed_at,
        "more_sections": [
            {"heading": cap((c.heading_path or [c.title])[-1], "heading"), "url": cap(c.url, "url")}
            for c in hit.also
        ],
    }


def _anchor(url: str) -> str:
    return "#" + url.rpartition("#")[2] if "#" in url else url


def _render_hits(query: str, results: list[dict[str, Any]], weak: bool, floor: float) -> str:
    if not results:
        return f"No results for {query!r}. Try other words, or drop source/path_prefix."
    if weak:
        best = max(r["match"] for r in results)
        lines = [
            f"Nothing in the handbook matches {query!r} well (best match {best:.2f}, below {floor:.2f}). "
            f"The {len(results)} closest result(s) below are weak matches: use one only if it plainly "
            "answers the question; otherwise say that the handbook does not cover it, or try other words."
        ]
    else:
        lines = [f"{len(results)} result(s) for {query!r}:"]
    for r in results:
        trail = " > ".join([r["title"], *[h for h in r["heading_path"] if h != r["title"]]])
        facts = [f"{r['source']}:{r['path']} lines {r['line_start']}-{r['line_end']}"]
        # Dates only; the times are in structuredContent. The section's own date first: it is what
        # "updated 3 days ago" should say; the file's date covers every section of the page.
        if r["changed_at"]:
            facts.append(f"section changed {str(r['changed_at'])[:10]}")
        if r["last_modified"]:
            facts.append(f"updated {str(r['last_modified'])[:10]}")
        if r["commit"]:
            facts.append(f"commit {str(r['commit'])[:12]}")
        label = "weak match" if weak else "score"
        lines += [
            "",
            f"{r['rank']}. {trail} ({label} {r['match'] if weak else r['score']:.2f})",
            f"   {r['url']}",
            "   " + " · ".join(facts),
        ]
        lines.append(f"   {r['snippet']}")
        if r["more_sections"]:
            # Anchors only: the page URL is on the line above, and full URLs are in structuredContent.
            more = "; ".join(f"{m['heading']} ({_anchor(m['url'])})" for m in r["more_sections"])
            lines.append(f"   More on this page: {more}")
    return "\n".join(lines)


def search_handbook(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    query = " ".join(args["query"].split())
    if not query:
        raise ToolArgumentError("argument 'query' is blank; give a question or keywords")
    limit: int = args["limit"]
    prefix = args.get("path_prefix", "").lstrip("/") or None
    hits = search_query.run(query, limit, deadline, args.get("source"), prefix, pages=args["spread_pages"])
    hits, weak, floor = search_query.weak_cut(hits)
    snippet_chars = max(SNIPPET_MIN, min(SNIPPET_MAX, SEARCH_BUDGET_CHARS // limit))
    budget = min(HARD_CAP_CHARS, ANSWER_CHARS_PER_RESULT * limit)
    truncated = False
    texts = [snippets.Snippable(snippets.without_heading_line(hit.chunk.text), query) for hit in hits]
    while True:
        results = [
            _hit_record(i, hit, text, snippet_chars)
            for i, (hit, text) in enumerate(zip(hits, texts, strict=False), start=1)
        ]
        structured: dict[str, Any] = {
            "query": query,
            "results": results,
            "truncated": truncated,
            "weak": weak,
            "match_floor": floor,
        }
        text = _render_hits(query, results, weak, floor)
        used = size(text, structured)
        if used <= budget or not hits or (snippet_chars <= SNIPPET_MIN and used <= HARD_CAP_CHARS):
            return ToolOutput(
                text,
                structured,
                metrics=search_query.measures(hits, weak),
                properties=search_query.context(args.get("source"), query, hits),
                links=links(hits),
            )
        if snippet_chars > SNIPPET_MIN:
            # Snippets appear twice (text and structuredContent): size them to the room left at once
            # instead of shrinking step by step (each step re-renders every result).
            shown = 2 * sum(len(r["snippet"]) for r in results)
            room = (budget - (used - shown)) // (2 * len(results))
            snippet_chars = max(SNIPPET_MIN, min(snippet_chars * 4 // 5, room))
        else:  # only the hard cap drops results; the answer budget only shortens snippets
            hits, truncated = hits[:-1], True


# -- index_status ---------------------------------------------------------------------------------


def index_status(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    status = registry().status(deadline.sources)
    lines = [f"Index status: {status['status']}" + (f" ({status['reason']})" if status["reason"] else "")]
    for s in status["sources"]:
        age = f"{s['age_s'] / 3600:.1f} h old" if s["age_s"] is not None else "age unknown"
        lines.append(
            f"- {s['source']}: version {s['version']}, commit {s['commit'] or 'n/a'}, "
            f"{s['chunk_count']} chunks, built {s['built_at']} ({age}), {s['status']}"
        )
    return ToolOutput("\n".join(lines), status)


HANDLERS: dict[str, Callable[[dict[str, Any], Deadline], ToolOutput]] = {
    "search_handbook": search_handbook,
    "get_handbook_section": get_handbook_section,
    "list_topics": list_topics,
    "index_status": index_status,
    "recent_changes": recent_changes,
}


def run(name: str, args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    """Dispatch to the tool `name` (tools.call_tool validated the name and arguments)."""
    return HANDLERS[name](args, deadline)
