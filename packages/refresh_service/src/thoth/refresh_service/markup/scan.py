"""The scan of a markdown body: code (skipped), entities, HTML tags and Hugo shortcode tags, in order.

Each step resumes where the previous one ended and every look-ahead is bounded or memoized (the
next backtick run of a length, the next blank line): linear in the input.
"""

from __future__ import annotations

import re
from typing import Any

from thoth.refresh_service.markup.blocks import code_ranges
from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.html import ENTITY, decode_entity, parse_tag
from thoth.refresh_service.markup.shortcodes import parse_shortcode

_STOP_HUGO = re.compile(r"\{\{[<%]|[<`&]")
_STOP_MD = re.compile(r"[<`&]")
_RUN = re.compile(r"`+")
_BLANK = re.compile(r"\n[ \t]*\n")


class _Index:
    """Monotone look-ups of the next backtick run of a length and the next blank line."""

    def __init__(self, text: str) -> None:
        self.runs: dict[int, list[int]] = {}
        for m in _RUN.finditer(text):
            self.runs.setdefault(m.end() - m.start(), []).append(m.start())
        self.blanks = [m.start() for m in _BLANK.finditer(text)] + [len(text)]
        self.ptr: dict[int, int] = {}
        self.blank_ptr = 0

    def next_run(self, length: int, after: int) -> int | None:
        runs = self.runs.get(length, [])
        i = self.ptr.get(length, 0)
        while i < len(runs) and runs[i] < after:
            i += 1
        self.ptr[length] = i
        return runs[i] if i < len(runs) else None

    def next_blank(self, after: int) -> int:
        while self.blanks[self.blank_ptr] < after:
            self.blank_ptr += 1
        return self.blanks[self.blank_ptr]


Event = tuple[int, int, str, Any]  # start, end, kind, payload


def scan(text: str, hugo_on: bool, budget: Budget) -> list[Event]:
    code = code_ranges(text, budget)
    index = _Index(text)
    stop = _STOP_HUGO if hugo_on else _STOP_MD
    events: list[Event] = []
    pos, ci = 0, 0
    while True:
        budget.tick()
        while ci < len(code) and code[ci][1] <= pos:
            ci += 1
        limit = code[ci][0] if ci < len(code) else len(text)
        if pos >= limit and ci < len(code):
            events.append((max(pos, code[ci][0]), code[ci][1], "code", None))
            pos = code[ci][1]
            continue
        m = stop.search(text, pos, limit)
        if m is None:
            if ci >= len(code):
                return events
            pos = limit
            continue
        p = m.start()
        c = text[p]
        if c == "`":
            n = _RUN.match(text, p).end() - p  # type: ignore[union-attr]
            close = index.next_run(n, p + n)
            if close is not None and close < min(limit, index.next_blank(p)):
                events.append((p, close + n, "code", None))
                pos = close + n
            else:
                pos = p + n
        elif c == "&":
            entity = ENTITY.match(text, p)
            if entity:
                events.append((p, entity.end(), "text", decode_entity(entity.group())))
                pos = entity.end()
            else:
                pos = p + 1
        elif c == "<":
            tag = parse_tag(text, p)
            if tag is None:
                pos = p + 1
            else:
                end = tag.drop_to or tag.end
                events.append((p, end, "html", tag))
                pos = end
        else:
            sc = parse_shortcode(text, p)
            if sc is None:  # broken tag: its marker and the rest of the line go
                eol = text.find("\n", p)
                end = len(text) if eol < 0 else eol
                events.append((p, end, "drop", None))
                pos = end
            else:
                events.append((p, sc.end, "sc", sc))
                pos = sc.end
