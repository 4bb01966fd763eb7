"""Block structure of a markdown body (CommonMark + GFM tables) through pulldown-cmark (pyromark).

markdown-it-py spent ~50 µs of Python per block: 2 MiB of one-line blocks took 27 s per MiB on a busy
2-core machine, where pulldown-cmark in Rust takes under 0.5 s per MiB with the events walked here
(`nox -s bench -- refresh --hostile` prints both). Only block boundaries come from it; heading text
and ids are worked out in headings.py.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from thoth.refresh_service.markup.budget import Budget

ATOMIC = frozenset({"CodeBlock", "Table", "HtmlBlock"})
_NEWLINE = re.compile(b"\n")
_LEVELS = {"H1": 1, "H2": 2, "H3": 3, "H4": 4, "H5": 5, "H6": 6}


@dataclass(frozen=True)
class RawBlock:
    """Lines [start, end) of a block; headings (any depth) carry their level and inline source."""

    kind: str
    start: int
    end: int
    depth: int
    level: int = 0
    content: str = ""


def _options() -> Any:
    import pyromark

    return pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH


def _kind(payload: Any) -> str:
    return payload if isinstance(payload, str) else next(iter(payload))


def parse_blocks(text: str, budget: Budget) -> list[RawBlock]:
    """Top-level blocks in order, plus the headings and code blocks nested in lists and quotes."""
    import pyromark

    data = text.encode()
    newlines = [m.start() for m in _NEWLINE.finditer(data)]

    def line(offset: int) -> int:
        return bisect.bisect_left(newlines, offset)

    out: list[RawBlock] = []
    depth = 0
    top: tuple[str, int] | None = None
    heading: list[Any] | None = None  # [level, start, inline_start, inline_end, depth]
    for item in pyromark.events_with_range(text, options=_options()):
        budget.tick()
        event: Any = item[0]  # a union of TypedDicts and strings: walked by kind, not by type
        span = item[1]
        start, end = span["start"], span["end"]
        if isinstance(event, dict) and "Start" in event:
            kind = _kind(event["Start"])
            if heading is not None:  # a link, emphasis ... inside the heading: part of its source
                heading[2] = start if heading[2] is None else heading[2]
                heading[3] = max(heading[3] or end, end)
            if depth == 0:
                top = (kind, start)
            if kind == "Heading":
                heading = [_LEVELS[event["Start"]["Heading"]["level"]], start, None, None, depth]
            elif kind == "CodeBlock" and depth > 0:
                out.append(RawBlock(kind, line(start), line(max(start, end - 1)) + 1, depth))
            depth += 1
            continue
        if isinstance(event, dict) and "End" in event:
            depth -= 1
            kind = _kind(event["End"])
            if kind != "Heading" and heading is not None:
                heading[3] = max(heading[3] or end, end)
            if kind == "Heading" and heading is not None:
                level, h_start, a, b, h_depth = heading
                content = data[a:b].decode() if a is not None else ""
                rows = (line(h_start), line(max(h_start, end - 1)) + 1)
                out.append(RawBlock("Heading", rows[0], rows[1], h_depth, level, content))
                heading = None
                if depth == 0:
                    top = None
                    continue
            if depth == 0 and top is not None:
                out.append(RawBlock(kind, line(top[1]), line(max(top[1], end - 1)) + 1, 0))
                top = None
            continue
        if heading is not None:
            heading[2] = start if heading[2] is None else heading[2]
            heading[3] = max(heading[3] or end, end)
        elif depth == 0:  # a thematic break, the only leaf event at the top
            out.append(RawBlock(_kind(event), line(start), line(max(start, end - 1)) + 1, 0))
    return out


_LAST: list[tuple[str, list[RawBlock]]] = []  # the last parse: the chunker re-parses unchanged bodies


def block_tokens(text: str, budget: Budget) -> list[RawBlock]:
    """The blocks of `text` (see blocks.py), under the file's budget."""
    last = _LAST[0] if _LAST else None  # one read: another thread may replace it meanwhile
    if last is not None and last[0] == text:
        return last[1]
    found = parse_blocks(text, budget)
    _LAST[:] = [(text, found)]
    return found


def code_ranges(text: str, budget: Budget) -> list[tuple[int, int]]:
    """Character ranges of fenced and indented code blocks, at any nesting (lists, quotes)."""
    if "```" not in text and "~~~" not in text and "    " not in text and "\t" not in text:
        return []
    offsets = [0]
    for match in re.finditer("\n", text):
        offsets.append(match.end())
    offsets.append(len(text))
    last = len(offsets) - 1
    return [
        (offsets[min(b.start, last)], offsets[min(b.end, last)])
        for b in block_tokens(text, budget)
        if b.kind == "CodeBlock"
    ]
