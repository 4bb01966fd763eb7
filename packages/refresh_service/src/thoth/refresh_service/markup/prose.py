"""Markdown plumbing outside code, found by line and pattern before the scan: reference definitions
(collected, then dropped), GitHub/Hugo alert markers (`> [!NOTE]` → `> **Note:**`), glossary links
(`[term](g)` → the term) and `:emoji:` codes (when the site enables them).

Each finder is one regex pass over the text (linear); the scan merges the events in order.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from thoth.refresh_service.markup.emoji import CODE, EMOJI
from thoth.refresh_service.markup.hugo import expand_params
from thoth.refresh_service.markup.links import DEFINITION, destination, label_key
from thoth.refresh_service.markup.site import Site

# GitHub's five types, and any other word (Hugo passes it to the blockquote hook: Docsy's INFO, NB).
ALERT = re.compile(r"^[ \t]*>[ \t]?(\[!([A-Za-z][\w-]{0,30})\][+-]?)", re.MULTILINE)
GLOSSARY_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(g\)")

Event = tuple[int, int, str, Any]


def _outside(code: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i < 0 or pos >= code[i][1]


def prose_events(
    text: str, site: Site | None, code: list[tuple[int, int]], page: str | None = None
) -> tuple[list[Event], dict[str, str]]:
    """Events outside the code ranges `code` (sorted), and the reference definitions (label key → URL)."""
    starts = [a for a, _ in code]
    events: list[Event] = []
    definitions: dict[str, str] = {}
    if "]:" in text:
        for m in DEFINITION.finditer(text):
            if _outside(code, starts, m.start(1)):
                url = expand_params(destination(m.group(3)), site, page)
                definitions.setdefault(label_key(m.group(2)), url)
                events.append((m.start(1), m.end(1), "drop", None))
    if "[!" in text:
        for m in ALERT.finditer(text):
            if _outside(code, starts, m.start(1)):
                kind = m.group(2)
                word = kind if kind.isupper() and len(kind) <= 3 else kind.capitalize()
                events.append((m.start(1), m.end(1), "text", f"**{word}:**"))
    if site is not None and "](g)" in text:
        for m in GLOSSARY_LINK.finditer(text):
            if _outside(code, starts, m.start()):
                events.append((m.start(), m.start() + 1, "drop", None))
                events.append((m.end(1), m.end(), "drop", None))
    if site is not None and site.emoji and ":" in text:
        for m in CODE.finditer(text):
            char = EMOJI.get(m.group(1))
            if char is not None and _outside(code, starts, m.start()):
                events.append((m.start(), m.end(), "text", char))
    events.sort(key=lambda e: (e[0], e[1]))
    return events, definitions
