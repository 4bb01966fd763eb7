"""list_topics: the directories and pages under a path prefix, with chunk counts, paginated."""

from __future__ import annotations

import bisect
from typing import Any

from thoth.mcp_server.protocol.tools import Deadline, ToolArgumentError, ToolOutput
from thoth.mcp_server.search import cursor
from thoth.mcp_server.search.access import scope_tag
from thoth.mcp_server.search.budget import TOPICS_PAGE, cap
from thoth.mcp_server.search.registry import Served, registry


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
                title = prepared.page_title(i)
                pages.append(
                    {"source": prepared.source, "path": path, "kind": "page", "title": cap(title, "title")}
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


def list_topics(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    prefix: str = args.get("prefix", "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    bound = cursor.binding(args, scope_tag(deadline.sources))
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
