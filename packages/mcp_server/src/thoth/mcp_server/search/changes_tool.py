"""recent_changes: the sections the refresh saw change since a date, newest first or ranked by a query.

The change records (written by the refresh beside each version) say what changed; the live version
says what a section says now. Sources come through the registry, so a source the caller may not read
is neither listed nor counted. With `query`, the changed sections are ranked by the same hybrid search
as search_handbook (ranking.score_rows over their rows of the live version); sections that no longer
exist follow, newest first.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any, Final

from thoth.mcp_server.protocol.tools import Deadline, ToolArgumentError, ToolOutput
from thoth.mcp_server.search import cursor, encoder, ranking
from thoth.mcp_server.search.access import scope_tag
from thoth.mcp_server.search.budget import ELLIPSIS, HARD_CAP_CHARS, cap, size
from thoth.mcp_server.search.change_log import records_since
from thoth.mcp_server.search.registry import Served, registry
from thoth.mcp_server.search.since import parse_since
from thoth.mcp_server.search.snippets import Snippable, without_heading_line
from thoth.mcp_server.settings import history_window_days
from thoth.shared.index import Chunk

TOOL: Final = "recent_changes"
EXCERPT_CHARS: Final = 300
DIFF_SENTENCES: Final = 3  # removed and added sentences shown per modified section, each
DIFF_CHARS: Final = 400  # removed + added text per result
MAX_RANKED: Final = 500  # sections scored against a query; older changes beyond it keep date order


def _date(record: dict[str, Any], page: dict[str, Any]) -> str:
    """When a page changed: its newest commit's author date (git), else when the version was published."""
    commits = page.get("commits") or []
    return str(commits[0]["date"] if commits else record["created_at"])


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _entries(records: list[dict[str, Any]], since: datetime, prefix: str) -> list[dict[str, Any]]:
    """One entry per changed section (a page without section changes: one for the page), newest change
    of each section first, in date order."""
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    out: list[dict[str, Any]] = []
    for record in records:
        for page in record["pages"]:
            path = str(page.get("path") or "")
            date = _date(record, page)
            if not path.startswith(prefix) or _when(date) < since:
                continue
            sections = page.get("sections") or [{"change": page["kind"], "heading_path": [], "anchor": ""}]
            for section in sections:
                key = (record["source"], path, tuple(section.get("heading_path") or ()))
                if key in seen:
                    continue
                seen.add(key)
                out.append(_entry(record, page, section, date))
    out.sort(key=lambda e: (e["date"], e["source"], e["path"]), reverse=True)
    return out


def _entry(
    record: dict[str, Any], page: dict[str, Any], section: dict[str, Any], date: str
) -> dict[str, Any]:
    anchor = str(section.get("anchor") or "")
    url = str(page.get("url") or "")
    commits = page.get("commits") or []
    entry: dict[str, Any] = {
        "source": record["source"],
        "path": page["path"],
        "title": page.get("title") or page["path"],
        "heading_path": [str(h) for h in section.get("heading_path") or []],
        "url": f"{url}#{anchor}" if anchor and url else url,
        "change": section["change"],
        "page_change": page["kind"],
        "date": date,
        "commit": commits[0]["sha"] if commits else record.get("commit"),
        "subject": commits[0]["subject"] if commits else None,
        "version": record["version"],
    }
    if page.get("old_path"):
        entry["old_path"] = page["old_path"]
    if section.get("old_heading_path"):
        entry["old_heading_path"] = list(section["old_heading_path"])
    entry["removed_text"] = list(section.get("removed_text") or [])
    entry["added_text"] = list(section.get("added_text") or [])
    return entry


def _page_chunks(served: Served, path: str) -> list[tuple[int, Chunk]]:
    """(row, chunk) of one page in the live version ([] when the page is gone)."""
    prepared = served.prepared
    i = bisect.bisect_left(prepared.page_paths, path)
    if i == len(prepared.page_paths) or prepared.page_paths[i] != path:
        return []
    rows = prepared.page_rows[prepared.page_starts[i] : prepared.page_starts[i + 1]].tolist()
    return list(zip(rows, prepared.index.chunks_at(rows), strict=True))


def _section_rows(entry: dict[str, Any], page: list[tuple[int, Chunk]]) -> list[tuple[int, Chunk]]:
    if entry["change"] in ("removed", "deleted"):
        return []
    if not entry["heading_path"]:
        return page
    return [(row, chunk) for row, chunk in page if chunk.heading_path == entry["heading_path"]]


class _Pages:
    """Live pages read once per call, by (source, path)."""

    def __init__(self, served: list[Served]) -> None:
        self.by_source = {s.pointer.source: s for s in served}
        self.cache: dict[tuple[str, str], list[tuple[int, Chunk]]] = {}

    def rows(self, entry: dict[str, Any]) -> list[tuple[int, Chunk]]:
        key = (entry["source"], entry["path"])
        if key not in self.cache:
            served = self.by_source.get(entry["source"])
            self.cache[key] = _page_chunks(served, entry["path"]) if served else []
        return _section_rows(entry, self.cache[key])


def _rank(
    entries: list[dict[str, Any]], pages: _Pages, query: str, deadline: Deadline
) -> list[dict[str, Any]]:
    """`entries` ordered by the hybrid score of their current text against `query` (best first)."""
    head, tail = entries[:MAX_RANKED], entries[MAX_RANKED:]
    deadline.check("embedding the query")
    vector = encoder.get_encoder().encode(query)
    deadline.check("ranking the changes")
    scores: dict[int, float] = {}
    for source, served in pages.by_source.items():
        rows = {id(e): [r for r, _ in pages.rows(e)] for e in head if e["source"] == source}
        wanted = sorted({r for found in rows.values() for r in found})
        by_row = ranking.score_rows(served.prepared, query, vector, wanted)
        for key, found in rows.items():
            scores[key] = max((by_row.get(r, 0.0) for r in found), default=0.0)
    for entry in head:
        entry["score"] = round(min(1.0, scores.get(id(entry), 0.0)), 4)
    ranked = sorted(head, key=lambda e: -e["score"])  # stable: equal scores keep date order
    return ranked + tail


def _shown(entry: dict[str, Any], pages: _Pages, query: str) -> dict[str, Any]:
    """The entry as the answer shows it: capped fields, the current excerpt, bounded diff sentences."""
    found = pages.rows(entry)
    text = "\n".join(without_heading_line(chunk.text) for _, chunk in found)
    budget = DIFF_CHARS
    diff: dict[str, list[str]] = {"removed_text": [], "added_text": []}
    for side in ("removed_text", "added_text"):
        for sentence in entry[side][:DIFF_SENTENCES]:
            if budget <= 0:
                break
            kept = sentence if len(sentence) <= budget else sentence[: max(0, budget - 1)] + ELLIPSIS
            diff[side].append(kept)
            budget -= len(kept)
    return (
        entry
        | diff
        | {
            "title": cap(str(entry["title"]), "title"),
            "heading_path": [cap(h, "heading") for h in entry["heading_path"][:6]],
            "url": cap(entry["url"], "url"),
            "path": cap(entry["path"], "path"),
            "subject": entry["subject"] and cap(entry["subject"], "title"),
            "excerpt": Snippable(text, query).cut(EXCERPT_CHARS) if text else None,
        }
    )


def _render(
    results: list[dict[str, Any]], since: datetime, query: str, offset: int, total: int, more: str | None
) -> str:
    when = since.isoformat(timespec="minutes")
    if not results:
        return (
            f"No recorded changes since {when}. Try an earlier since, or drop source/path_prefix; "
            f"search_handbook answers questions about the current text."
        )
    order = f"ranked by relevance to {query!r}" if query else "newest first"
    lines = [f"Changes since {when} ({offset + 1}-{offset + len(results)} of {total}, {order}):"]
    for i, r in enumerate(results, start=offset + 1):
        trail = " > ".join([r["title"], *[h for h in r["heading_path"] if h != r["title"]]])
        facts = [f"{r['source']}:{r['path']}", f"{r['change']} {r['date'][:10]}"]
        if r["subject"]:
            facts.append(f'"{r["subject"]}"')
        if r["commit"]:
            facts.append(f"commit {str(r['commit'])[:12]}")
        lines += [
            "",
            f"{i}. {trail} — " + " · ".join(facts),
            f"   {r['url'] or r['source'] + ':' + r['path']}",
        ]
        if r.get("old_path"):
            lines.append(f"   (was {r['old_path']})")
        if r["excerpt"]:
            lines.append(f"   Now: {r['excerpt']}")
        if r["removed_text"]:
            lines.append("   Removed: " + " / ".join(r["removed_text"]))
        if r["added_text"]:
            lines.append("   Added: " + " / ".join(r["added_text"]))
    if more:
        lines.append(f"\nMore: call again with cursor={more}")
    return "\n".join(lines)


def recent_changes(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    window = history_window_days()
    bound = cursor.binding(args, scope_tag(deadline.sources))
    served = registry().serving(args.get("source"), deadline)  # only the caller's sources
    versions = ",".join(f"{s.pointer.source}:{s.pointer.version}" for s in served)
    if "cursor" in args:
        expected, offset = cursor.decode(TOOL, bound, args["cursor"])
        pinned, _, at = expected.partition("@")
        cursor.check_versions(pinned, versions)
        since = _when(at)  # the window the first page used, so pages do not shift as time passes
    else:
        offset = 0
        since = parse_since(args["since"], datetime.now(UTC), window)
    query = " ".join(str(args.get("query") or "").split())
    prefix = str(args.get("path_prefix") or "").lstrip("/")
    limit: int = args["limit"]
    deadline.check("reading the change records")
    records = records_since(registry().object_store(), [s.pointer for s in served], since)
    entries = _entries(records, since, prefix)
    if offset > len(entries):
        raise ToolArgumentError(
            "argument 'cursor' points past the end of the list; call again without cursor"
        )
    pages = _Pages(served)
    if query and entries:
        entries = _rank(entries, pages, query, deadline)
    results = [_shown(e, pages, query) for e in entries[offset : offset + limit]]
    while True:
        end = offset + len(results)
        more = (
            cursor.encode(TOOL, bound, f"{versions}@{since.isoformat()}", end) if end < len(entries) else None
        )
        structured = {
            "since": since.isoformat(timespec="seconds"),
            "query": query or None,
            "results": results,
            "total": len(entries),
            "next_cursor": more,
        }
        text = _render(results, since, query, offset, len(entries), more)
        if size(text, structured) <= HARD_CAP_CHARS or len(results) <= 1:
            context = {"source": args.get("source") or "*"}
            return ToolOutput(text, structured, metrics={"Results": len(results)}, properties=context)
        results = results[:-1]  # the rest is on the next page
