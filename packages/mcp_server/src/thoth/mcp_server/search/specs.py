"""Tool specs: input and output schemas of the tools; plain data, cheap to import."""

from __future__ import annotations

from typing import Any

from thoth.mcp_server.protocol.tools import ToolSpec
from thoth.mcp_server.search import icons

SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
MAX_QUERY_CHARS = 1000
MAX_PATH_CHARS = 1024
MAX_CURSOR_CHARS = 512
SECTION_MIN_CHARS, SECTION_DEFAULT_CHARS, SECTION_MAX_CHARS = 500, 8000, 15000
LIMIT_DEFAULT, LIMIT_MAX = 5, 20
_READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": False}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


_STR = {"type": "string"}
_OPT_STR = {"type": ["string", "null"]}
_SOURCE = {"type": "string", "pattern": SOURCE_PATTERN, "description": "Only this source (see index_status)."}
_CURSOR = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_CURSOR_CHARS,
    "description": "Opaque next_cursor from the previous call with the same arguments.",
}
_NEXT = {"type": ["string", "null"], "description": "Pass as cursor to get the next page; null at the end."}

_HIT = _obj(
    {
        "rank": {"type": "integer"},
        "title": _STR,
        "heading_path": {"type": "array", "items": _STR},
        "url": _STR,
        "source": _STR,
        "path": _STR,
        "line_start": {"type": "integer"},
        "line_end": {"type": "integer"},
        "snippet": _STR,
        "score": {"type": "number", "description": "Relative: a share of the best possible fused score."},
        "match": {
            "type": "number",
            "description": "Absolute, 0-1: how well this section matches the query (cosine and keywords).",
        },
        "commit": _OPT_STR,
        "last_modified": _OPT_STR,
        "changed_at": {
            "type": ["string", "null"],
            "description": "When this section's text last changed (ISO 8601, UTC); last_modified is the "
            "page's. Null for an index built before Thoth recorded it.",
        },
        "more_sections": {
            "type": "array",
            "description": "Other sections of this page that matched, linked instead of repeated.",
            "items": _obj({"heading": _STR, "url": _STR}, ["heading", "url"]),
        },
    },
    [
        "rank", "title", "heading_path", "url", "source", "path", "line_start", "line_end",
        "snippet", "score", "match", "commit", "last_modified", "changed_at", "more_sections",
    ],
)  # fmt: skip

SEARCH_HANDBOOK = ToolSpec(
    name="search_handbook",
    title="Search the handbook",
    description=(
        "Hybrid (keyword + semantic) search over the indexed handbooks. Returns the best matching "
        "sections with title, heading path, a link to the exact heading, the source path and a short "
        "snippet. When nothing matches well it says so and marks the few closest results as weak "
        "(weak: true). Use get_handbook_section to read a hit in full."
    ),
    input_schema=_obj(
        {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUERY_CHARS,
                "description": "A question or keywords, e.g. 'how do I request time off'.",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": LIMIT_MAX,
                "default": LIMIT_DEFAULT,
                "description": "How many results (1-20).",
            },
            "source": _SOURCE,
            "path_prefix": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PATH_CHARS,
                "description": "Only pages whose path starts with this, e.g. 'handbook/engineering/'.",
            },
            "spread_pages": {
                "type": "boolean",
                "default": True,
                "description": (
                    "One result per page among the first five, its other matching sections linked "
                    "under it as more_sections (default). false ranks sections by score alone, e.g. "
                    "to see every matching section of one page."
                ),
            },
        },
        ["query"],
    ),
    output_schema=_obj(
        {
            "query": _STR,
            "results": {"type": "array", "items": _HIT},
            "truncated": {"type": "boolean"},
            "weak": {
                "type": "boolean",
                "description": "True when no result matches well: the results are the closest weak matches.",
            },
            "match_floor": {"type": "number", "description": "The match below which an answer is weak."},
        },
        ["query", "results", "truncated", "weak", "match_floor"],
    ),
    annotations={"title": "Search the handbook", **_READ_ONLY},
    icons=(icons.SEARCH,),
)

GET_HANDBOOK_SECTION = ToolSpec(
    name="get_handbook_section",
    title="Read a handbook page or section",
    description=(
        "The full text of one handbook page (by its source path or url, as returned by search_handbook), "
        "or only one section: the one a url's #anchor names, or the one under `heading`. Long text is "
        "paginated: pass next_cursor back as cursor."
    ),
    input_schema=_obj(
        {
            "path": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PATH_CHARS,
                "description": (
                    "A result's path (e.g. 'people/time-off.md') or url, absolute or relative; a "
                    "#anchor selects that section."
                ),
            },
            "heading": {
                "type": "string",
                "minLength": 1,
                "maxLength": 512,
                "description": "Only the section under this heading (case-insensitive; wins over a #anchor).",
            },
            "with_parent": {
                "type": "boolean",
                "default": False,
                "description": (
                    "With heading: put the parent heading's own text (or the page's introduction) "
                    "before the section, for context; sibling sections stay out."
                ),
            },
            "max_chars": {
                "type": "integer",
                "minimum": SECTION_MIN_CHARS,
                "maximum": SECTION_MAX_CHARS,
                "default": SECTION_DEFAULT_CHARS,
                "description": "Characters of text per page of output.",
            },
            "cursor": _CURSOR,
            "source": _SOURCE,
        },
        ["path"],
    ),
    output_schema=_obj(
        {
            "source": _STR,
            "path": _STR,
            "title": _STR,
            "heading": _OPT_STR,
            "parent": {"type": ["string", "null"], "description": "The parent heading shown (with_parent)."},
            "url": _STR,
            "commit": _OPT_STR,
            "last_modified": _OPT_STR,
            "content": _STR,
            "offset": {"type": "integer"},
            "total_chars": {"type": "integer"},
            "next_cursor": _NEXT,
        },
        ["source", "path", "title", "url", "content", "offset", "total_chars", "next_cursor"],
    ),
    annotations={"title": "Read a handbook page or section", **_READ_ONLY},
    icons=(icons.PAGE,),
)

LIST_TOPICS = ToolSpec(
    name="list_topics",
    title="Browse handbook topics",
    description=(
        "The directories and pages directly under a path prefix (the top level by default), with "
        "how many indexed chunks each holds. Paginated: pass next_cursor back as cursor."
    ),
    input_schema=_obj(
        {
            "source": _SOURCE,
            "prefix": {
                "type": "string",
                "maxLength": MAX_PATH_CHARS,
                "description": "A directory path such as 'handbook/engineering/'.",
            },
            "cursor": _CURSOR,
        }
    ),
    output_schema=_obj(
        {
            "prefix": _STR,
            "topics": {
                "type": "array",
                "items": _obj(
                    {
                        "source": _STR,
                        "path": _STR,
                        "kind": {"type": "string", "enum": ["directory", "page"]},
                        "title": _OPT_STR,
                        "pages": {"type": "integer"},
                        "chunks": {"type": "integer"},
                    },
                    ["source", "path", "kind", "title", "pages", "chunks"],
                ),
            },
            "total": {"type": "integer"},
            "next_cursor": _NEXT,
        },
        ["prefix", "topics", "total", "next_cursor"],
    ),
    annotations={"title": "Browse handbook topics", **_READ_ONLY},
    icons=(icons.TOPICS,),
)

INDEX_STATUS = ToolSpec(
    name="index_status",
    title="Index status",
    description="Which index version each source serves: commit, chunk count, build time and age.",
    input_schema=_obj({}),
    output_schema=_obj(
        {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "reason": _OPT_STR,
            "encoder_fingerprint": _OPT_STR,
            "sources": {
                "type": "array",
                "items": _obj(
                    {
                        "source": _STR,
                        "version": _STR,
                        "commit": _OPT_STR,
                        "chunk_count": {"type": "integer"},
                        "built_at": _STR,
                        "age_s": {"type": ["number", "null"]},
                        "fingerprint": _STR,
                        "status": {"type": "string", "enum": ["ok", "degraded"]},
                        "reason": _OPT_STR,
                    },
                    ["source", "version", "commit", "chunk_count", "built_at", "age_s", "status"],
                ),
            },
        },
        ["status", "sources"],
    ),
    annotations={"title": "Index status", **_READ_ONLY},
    icons=(icons.STATUS,),
)

CHANGES_LIMIT_DEFAULT, CHANGES_LIMIT_MAX = 10, 30
_CHANGE = _obj(
    {
        "source": _STR,
        "path": _STR,
        "title": _STR,
        "heading_path": {"type": "array", "items": _STR},
        "url": {"type": "string", "description": "The page URL with the changed section's #anchor."},
        "change": {
            "type": "string",
            "enum": ["added", "modified", "removed", "renamed", "deleted"],
            "description": "What happened to the section (deleted: the whole page).",
        },
        "page_change": {"type": "string", "enum": ["added", "modified", "renamed", "deleted"]},
        "date": {"type": "string", "description": "Commit author date (git), else when indexed."},
        "commit": _OPT_STR,
        "subject": {"type": ["string", "null"], "description": "The commit's subject line (git sources)."},
        "version": _STR,
        "old_path": _STR,
        "old_heading_path": {"type": "array", "items": _STR},
        "excerpt": {"type": ["string", "null"], "description": "What the section says now (null: gone)."},
        "removed_text": {"type": "array", "items": _STR, "description": "Sentences the change removed."},
        "added_text": {"type": "array", "items": _STR, "description": "Sentences the change added."},
        "score": {"type": "number", "description": "With query: relevance, as in search_handbook."},
    },
    [
        "source", "path", "title", "heading_path", "url", "change", "page_change", "date",
        "commit", "subject", "version", "excerpt", "removed_text", "added_text",
    ],
)  # fmt: skip

RECENT_CHANGES = ToolSpec(
    name="recent_changes",
    title="Recent handbook changes",
    description=(
        "What changed in the handbooks since a date: sections added, modified, removed or renamed and "
        "pages deleted, each with its link (#anchor), date, commit subject, what it says now and, for "
        "an edit, the sentences removed and added. Call this, not search_handbook, for 'what changed', "
        "'what is new', 'was X updated' or anything 'since' a time; add query to rank the changes by "
        "topic. search_handbook answers from the current text. Paginated: pass next_cursor as cursor."
    ),
    input_schema=_obj(
        {
            "since": {
                "type": "string",
                "minLength": 1,
                "maxLength": 40,
                "description": "A duration back from now (12h, 7d, 2w) or an ISO date (2026-11-30, UTC).",
            },
            "source": _SOURCE,
            "path_prefix": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_PATH_CHARS,
                "description": "Only pages whose path starts with this, e.g. 'handbook/people/'.",
            },
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUERY_CHARS,
                "description": "Rank the changes by relevance to this topic instead of by date.",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": CHANGES_LIMIT_MAX,
                "default": CHANGES_LIMIT_DEFAULT,
                "description": f"How many changes per page (1-{CHANGES_LIMIT_MAX}).",
            },
            "cursor": _CURSOR,
        },
        ["since"],
    ),
    output_schema=_obj(
        {
            "since": {"type": "string", "description": "The start of the window, UTC."},
            "query": _OPT_STR,
            "results": {"type": "array", "items": _CHANGE},
            "total": {"type": "integer"},
            "next_cursor": _NEXT,
        },
        ["since", "query", "results", "total", "next_cursor"],
    ),
    annotations={"title": "Recent handbook changes", **_READ_ONLY},
    icons=(icons.CHANGES,),
)

SPECS: tuple[ToolSpec, ...] = (
    SEARCH_HANDBOOK,
    GET_HANDBOOK_SECTION,
    LIST_TOPICS,
    INDEX_STATUS,
    RECENT_CHANGES,
)

# ChatGPT's connector contract (deep research and company knowledge call only these two): one query
# string in, one text item holding JSON out. No outputSchema: the contract is the text item, and
# structuredContent would carry every fetched page twice.
# Percent-encoding makes an address up to 9 characters a path character (3-byte UTF-8): room for
# the long paths real sites have; a result whose address would be longer gets no id or link.
MAX_ID_CHARS = 4096
SEARCH = ToolSpec(
    name="search",
    title="Search (ChatGPT connector)",
    description=(
        "ChatGPT connector search (deep research, company knowledge): the handbook search of "
        'search_handbook behind one query string. Returns one JSON text: {"results": [{"id", '
        '"title", "url", "text"}]}; text is a short snippet. Pass an id to fetch for the '
        "section's full text. Clients that can use filters and citations should call search_handbook."
    ),
    input_schema=_obj(
        {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUERY_CHARS,
                "description": "A question or keywords, e.g. 'how do I request time off'.",
            }
        },
        ["query"],
    ),
    output_schema=None,
    annotations={"title": "Search (ChatGPT connector)", **_READ_ONLY},
    icons=(icons.SEARCH,),
)
FETCH = ToolSpec(
    name="fetch",
    title="Fetch a search result (ChatGPT connector)",
    description=(
        "ChatGPT connector fetch: the full text of one result of the search tool, by its id "
        "(thoth://<source>/<path>#<anchor> is one section; without #<anchor>, the whole page). "
        'Returns one JSON text: {"id", "title", "text", "url", "metadata"}. '
        "Clients that paginate long pages should call get_handbook_section."
    ),
    input_schema=_obj(
        {
            "id": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_ID_CHARS,
                "description": "An id from the search tool's results.",
            }
        },
        ["id"],
    ),
    output_schema=None,
    annotations={"title": "Fetch a search result (ChatGPT connector)", **_READ_ONLY},
    icons=(icons.PAGE,),
)
CHATGPT_SPECS: tuple[ToolSpec, ...] = (SEARCH, FETCH)
