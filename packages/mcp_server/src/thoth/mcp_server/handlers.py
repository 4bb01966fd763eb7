"""The four tools on top of the index registry and hybrid search; arguments arrive validated."""

from __future__ import annotations

import bisect
import difflib
import json
import time
from collections.abc import Callable
from typing import Any

from thoth.mcp_server import cursor, encoder, search
from thoth.mcp_server.indexes import IndexUnavailable, Served, registry
from thoth.mcp_server.schemas import ToolArgumentError, ToolOutput
from thoth.shared.errors import ThothError
from thoth.shared.index import Chunk

# Responses are budgeted in characters, at about 4 characters per token.
SEARCH_BUDGET_CHARS = 6000  # snippets of a default (5-hit) answer; keeps it under ~2,000 tokens
HARD_CAP_CHARS = 30000  # text + structuredContent of any answer; about 7,500 tokens
SNIPPET_MAX, SNIPPET_MIN = 400, 100
TOPICS_PAGE = 50
_FIELD_CAPS = {"title": 200, "heading": 120, "url": 500, "path": 300}


class DeadlineExceeded(ThothError):
    """The request's time budget ran out before the tool finished."""


def _cap(value: str, kind: str) -> str:
    limit = _FIELD_CAPS[kind]
    return value if len(value) <= limit else value[: limit - 1] + search.ELLIPSIS


def _check_deadline(deadline: float | None, stage: str) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded(
            f"the request's time budget ran out before {stage}; retry, or narrow the request"
        )


def _size(text: str, structured: dict[str, Any]) -> int:
    return len(text) + len(json.dumps(structured, ensure_ascii=False))


# -- search_handbook ------------------------------------------------------------------------------


def _without_heading_line(text: str) -> str:
    """Chunk text minus a leading '## Heading' line: heading_path already says it."""
    stripped = text.lstrip()
    if stripped.startswith("#"):
        rest = stripped.split("\n", 1)
        if len(rest) == 2 and rest[1].strip():
            return rest[1]
    return text


def _hit_record(rank: int, hit: search.Hit, query: str, snippet_chars: int) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "rank": rank,
        "title": _cap(chunk.title, "title"),
        "heading_path": [_cap(h, "heading") for h in chunk.heading_path[:6]],
        "url": _cap(chunk.url, "url"),
        "source": hit.source,
        "path": _cap(chunk.path, "path"),
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "snippet": search.snippet(_without_heading_line(chunk.text), query, snippet_chars),
        "score": hit.score,
        "commit": chunk.commit,
        "last_modified": chunk.last_modified,
    }


def _render_hits(query: str, results: list[dict[str, Any]]) -> str:
    if not results:
        return f"No results for {query!r}. Try other words, or drop source/path_prefix."
    lines = [f"{len(results)} result(s) for {query!r}:"]
    for r in results:
        trail = " > ".join([r["title"], *[h for h in r["heading_path"] if h != r["title"]]])
        facts = [f"{r['source']}:{r['path']} lines {r['line_start']}-{r['line_end']}"]
        if r["last_modified"]:
            facts.append(f"updated {r['last_modified']}")
        if r["commit"]:
            facts.append(f"commit {str(r['commit'])[:12]}")
        lines += [
            "",
            f"{r['rank']}. {trail} (score {r['score']:.2f})",
            f"   {r['url']}",
            "   " + " · ".join(facts),
        ]
        lines.append(f"   {r['snippet']}")
    return "\n".join(lines)


def search_handbook(args: dict[str, Any], deadline: float | None) -> ToolOutput:
    query = " ".join(args["query"].split())
    if not query:
        raise ToolArgumentError("argument 'query' is blank; give a question or keywords")
    limit: int = args["limit"]
    served = registry().serving(args.get("source"), deadline)
    _check_deadline(deadline, "embedding the query")
    vector = encoder.get_encoder().encode(query)
    _check_deadline(deadline, "searching")
    prefix = args.get("path_prefix", "").lstrip("/") or None
    hits = search.search([s.prepared for s in served], query, vector, limit, prefix)
    snippet_chars = max(SNIPPET_MIN, min(SNIPPET_MAX, SEARCH_BUDGET_CHARS // limit))
    truncated = False
    while True:
        results = [_hit_record(i, hit, query, snippet_chars) for i, hit in enumerate(hits, start=1)]
        structured: dict[str, Any] = {"query": query, "results": results, "truncated": truncated}
        text = _render_hits(query, results)
        if _size(text, structured) <= HARD_CAP_CHARS or not hits:
            return ToolOutput(text, structured)
        if snippet_chars > SNIPPET_MIN:
            snippet_chars = max(SNIPPET_MIN, snippet_chars * 3 // 4)
        else:
            hits, truncated = hits[:-1], True


# -- get_handbook_section -------------------------------------------------------------------------


def _norm_heading(text: str) -> str:
    return " ".join(text.strip().lstrip("#").split()).casefold()


def _section(chunks: list[Chunk], heading: str) -> tuple[list[Chunk], str]:
    """Chunks under the first heading that matches (with its subsections), and the heading as written."""
    wanted = _norm_heading(heading)
    for chunk in chunks:
        for depth, name in enumerate(chunk.heading_path):
            if _norm_heading(name) == wanted:
                prefix = chunk.heading_path[: depth + 1]
                return [c for c in chunks if c.heading_path[: depth + 1] == prefix], name
    return [], heading


def _assemble(chunks: list[Chunk]) -> str:
    """Page text from its chunks; a heading line is added where a chunk starts a new section without one."""
    parts: list[str] = []
    previous: list[str] | None = None
    for chunk in chunks:
        body = chunk.text.strip("\n")
        if chunk.heading_path != previous and chunk.heading_path and not body.lstrip().startswith("#"):
            parts.append("#" * min(6, len(chunk.heading_path)) + " " + chunk.heading_path[-1])
        parts.append(body)
        previous = chunk.heading_path
    return "\n\n".join(parts) + "\n"


def _page_end(content: str, start: int, max_chars: int) -> int:
    end = min(len(content), start + max_chars)
    if end < len(content):
        newline = content.rfind("\n", start + max_chars * 3 // 4, end)
        if newline > start:
            end = newline + 1
    return end


def _page_by_url(served: list[Served], url: str) -> tuple[Served, list[Chunk]] | None:
    """A page given by its handbook URL (what search results link to), anchor and query ignored."""
    wanted = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    for entry in served:
        prepared = entry.prepared
        for i, path in enumerate(prepared.page_paths):
            first = prepared.index.chunks[int(prepared.page_rows[prepared.page_starts[i]])]
            if first.url.split("#", 1)[0].rstrip("/") == wanted:
                return entry, prepared.page(path)
    return None


def _find_page(served: list[Served], path: str) -> tuple[Served, list[Chunk]]:
    for entry in served:
        chunks = entry.prepared.page(path) or entry.prepared.page(path.lstrip("/"))
        if chunks:
            return entry, chunks
    if path.startswith(("https://", "http://")):
        found = _page_by_url(served, path)
        if found:
            return found
    known = [p for entry in served for p in entry.prepared.page_paths]
    close = difflib.get_close_matches(path, known, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise IndexUnavailable(
        f"no page with path {path!r} is indexed.{hint} Find paths with search_handbook or list_topics."
    )


def get_handbook_section(args: dict[str, Any], deadline: float | None) -> ToolOutput:
    path: str = args["path"]
    heading: str | None = args.get("heading")
    max_chars: int = args["max_chars"]
    bound = cursor.binding(args)
    expected, offset = (
        cursor.decode("get_handbook_section", bound, args["cursor"]) if "cursor" in args else ("", 0)
    )
    served = registry().serving(args.get("source"), deadline)
    entry, chunks = _find_page(served, path)
    versions = f"{entry.prepared.source}:{entry.prepared.version}"
    if "cursor" in args:
        cursor.check_versions(expected, versions)
    shown_heading: str | None = None
    if heading is not None:
        page = chunks
        chunks, shown_heading = _section(page, heading)
        if not chunks:
            names = sorted({h for c in page for h in c.heading_path})
            listed = "; ".join(names[:30]) or "none"
            raise IndexUnavailable(f"page {path!r} has no heading {heading!r}; its headings: {listed}")
    content = _assemble(chunks)
    if offset > len(content):
        raise ToolArgumentError(
            "argument 'cursor' points past the end of the page; call again without cursor"
        )
    end = _page_end(content, offset, max_chars)
    next_cursor = cursor.encode("get_handbook_section", bound, versions, end) if end < len(content) else None
    first = chunks[0]
    url = first.url if heading is not None else first.url.split("#", 1)[0]
    structured: dict[str, Any] = {
        "source": entry.prepared.source,
        "path": first.path,
        "title": first.title,
        "heading": shown_heading,
        "url": url,
        "commit": first.commit,
        "last_modified": max((c.last_modified for c in chunks if c.last_modified), default=None),
        "content": content[offset:end],
        "offset": offset,
        "total_chars": len(content),
        "next_cursor": next_cursor,
    }
    title = first.title + (f" > {shown_heading}" if shown_heading else "")
    more = f"\n[characters {offset}-{end} of {len(content)}; more: call again with cursor={next_cursor}]"
    header = f"{title}\n{url}\n{entry.prepared.source}:{first.path}" + (more if next_cursor or offset else "")
    return ToolOutput(f"{header}\n\n{content[offset:end]}", structured)


# -- list_topics ----------------------------------------------------------------------------------


def _topics(served: list[Served], prefix: str) -> list[dict[str, Any]]:
    topics: list[dict[str, Any]] = []
    for entry in served:
        prepared = entry.prepared
        directories: dict[str, list[int]] = {}
        pages: list[dict[str, Any]] = []
        lo = bisect.bisect_left(prepared.page_paths, prefix)
        for i in range(lo, len(prepared.page_paths)):
            path = prepared.page_paths[i]
            if not path.startswith(prefix):
                break
            rest = path[len(prefix) :]
            count = prepared.chunk_count(i)
            if "/" in rest:
                totals = directories.setdefault(prefix + rest.split("/", 1)[0] + "/", [0, 0])
                totals[0] += 1
                totals[1] += count
            else:
                title = prepared.index.chunks[int(prepared.page_rows[prepared.page_starts[i]])].title
                pages.append(
                    {"source": prepared.source, "path": path, "kind": "page", "title": _cap(title, "title")}
                    | {"pages": 1, "chunks": count}
                )
        topics += [
            {
                "source": prepared.source,
                "path": d,
                "kind": "directory",
                "title": None,
                "pages": p,
                "chunks": c,
            }
            for d, (p, c) in sorted(directories.items())
        ]
        topics += pages
    return topics


def list_topics(args: dict[str, Any], deadline: float | None) -> ToolOutput:
    prefix: str = args.get("prefix", "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    bound = cursor.binding(args)
    expected, offset = cursor.decode("list_topics", bound, args["cursor"]) if "cursor" in args else ("", 0)
    served = registry().serving(args.get("source"), deadline)
    versions = ",".join(f"{s.prepared.source}:{s.prepared.version}" for s in served)
    if "cursor" in args:
        cursor.check_versions(expected, versions)
    topics = _topics(served, prefix)
    if offset > len(topics):
        raise ToolArgumentError(
            "argument 'cursor' points past the end of the list; call again without cursor"
        )
    page = topics[offset : offset + TOPICS_PAGE]
    end = offset + len(page)
    next_cursor = cursor.encode("list_topics", bound, versions, end) if end < len(topics) else None
    structured = {"prefix": prefix, "topics": page, "total": len(topics), "next_cursor": next_cursor}
    if not topics:
        text = f"Nothing is indexed under {prefix!r}. Call list_topics without prefix to see the top level."
    else:
        lines = [f"Topics under {prefix or '/'} ({offset + 1}-{end} of {len(topics)}):"]
        for t in page:
            if t["kind"] == "directory":
                lines.append(f"- {t['source']}:{t['path']} ({t['pages']} pages, {t['chunks']} chunks)")
            else:
                lines.append(f"- {t['source']}:{t['path']} — {t['title']} ({t['chunks']} chunks)")
        if next_cursor:
            lines.append(f"More: call again with cursor={next_cursor}")
        text = "\n".join(lines)
    return ToolOutput(text, structured)


# -- index_status ---------------------------------------------------------------------------------


def index_status(args: dict[str, Any], deadline: float | None) -> ToolOutput:
    status = registry().status()
    lines = [f"Index status: {status['status']}" + (f" ({status['reason']})" if status["reason"] else "")]
    for s in status["sources"]:
        age = f"{s['age_s'] / 3600:.1f} h old" if s["age_s"] is not None else "age unknown"
        lines.append(
            f"- {s['source']}: version {s['version']}, commit {s['commit'] or 'n/a'}, "
            f"{s['chunk_count']} chunks, built {s['built_at']} ({age}), {s['status']}"
        )
    return ToolOutput("\n".join(lines), status)


HANDLERS: dict[str, Callable[[dict[str, Any], float | None], ToolOutput]] = {
    "search_handbook": search_handbook,
    "get_handbook_section": get_handbook_section,
    "list_topics": list_topics,
    "index_status": index_status,
}


def run(name: str, args: dict[str, Any], deadline: float | None) -> ToolOutput:
    """Dispatch to the tool `name` (tools.call_tool validated the name and arguments)."""
    return HANDLERS[name](args, deadline)
