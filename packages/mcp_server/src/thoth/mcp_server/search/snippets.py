"""Snippets: the part of a chunk a result shows, around the query's strongest term."""

from __future__ import annotations

from thoth.mcp_server.search.budget import ELLIPSIS
from thoth.shared.text import tokenize


def without_heading_line(text: str) -> str:
    """Chunk text minus a leading '## Heading' line: heading_path already says it."""
    stripped = text.lstrip()
    if stripped.startswith("#"):
        rest = stripped.split("\n", 1)
        if len(rest) == 2 and rest[1].strip():
            return rest[1]
    return text


def snippet(text: str, query: str, max_chars: int) -> str:
    """At most `max_chars` of `text` (whitespace collapsed) around the first strong query-term match."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    if max_chars <= 2:
        return flat[:max_chars]
    lower = flat.lower()
    hit = -1
    for term in sorted(set(tokenize(query)), key=len, reverse=True):
        hit = lower.find(term)
        if hit >= 0:
            break
    start = 0
    if hit > max_chars // 3:
        start = flat.find(" ", hit - max_chars // 3)
        start = start + 1 if 0 <= start < hit else hit
    room = max_chars - (1 if start > 0 else 0)
    end = min(len(flat), start + room)
    if end < len(flat):
        room -= 1  # the trailing ellipsis
        end = start + room
        space = flat.rfind(" ", start, end)
        if space > start + room // 2:
            end = space
    body = flat[start:end].strip()
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(flat) else "")
