"""The scan of a markdown body: code (skipped), entities, HTML tags and Hugo shortcode tags, in order.

Each step resumes where the previous one ended and every look-ahead is bounded or memoized (the
next backtick run of a length, the next blank line): linear in the input.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from thoth.refresh_service.markup.blocks import code_ranges
from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.html import ENTITY, decode_entity, parse_tag
from thoth.refresh_service.markup.links import destination, label_key, resolve
from thoth.refresh_service.markup.shortcodes import parse_shortcode
from thoth.refresh_service.markup.site import Site

_STOP_HUGO = re.compile(r"\{\{[<%]|[<`&]")
_STOP_MD = re.compile(r"[<`&]")
_STOP_HUGO_LINKS = re.compile(r"\{\{[<%]|[<`&\[\]]")
_STOP_MD_LINKS = re.compile(r"[<`&\[\]]")
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

    def blank_after(self, after: int) -> int:
        """next_blank for any position (not only increasing ones)."""
        return self.blanks[bisect.bisect_left(self.blanks, after)]


Event = tuple[int, int, str, Any]  # start, end, kind, payload
MAX_OPEN_BRACKETS = 64  # `[` waiting for their `]` in one paragraph (more is not prose)
_DEST = re.compile(
    r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)(\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_LABEL = re.compile(r"\[((?:[^\[\]\\\n]|\\.){0,999})\]")


@dataclass
class Links:
    """What link destinations resolve against: reference definitions, the site and the page."""

    definitions: dict[str, str]
    site: Site | None
    page: str | None
    resolved: dict[str, str] = field(default_factory=dict)  # a page links to the same place often

    def resolve(self, dest: str) -> str:
        found = self.resolved.get(dest)
        if found is None:
            found = self.resolved[dest] = resolve(dest, self.site, self.page)
        return found

    def reference(self, label: str) -> str | None:
        found = self.definitions.get(label_key(label))
        return None if found is None else self.resolve(found)


def _close(text: str, q: int, opener: int, links: Links) -> Event | None:
    """The replacement of `]…` at `q` (a link's close) by `](url)`, or None to leave it as written."""
    after = q + 1
    if text.startswith("(", after):
        if (opener > 0 and text[opener - 1] == "!") or links.site is None or not links.site.base_url:
            return None  # an image's source stays as written; without a base URL nothing resolves
        m = _DEST.match(text, after)
        if m is None:
            return None
        dest = destination(m.group(1))
        resolved = links.resolve(dest)
        return None if resolved == dest else (q, m.end(), "text", f"]({resolved})")
    if not links.definitions:
        return None
    m = _LABEL.match(text, after)
    if m is not None:
        url = links.reference(m.group(1) or text[opener + 1 : q])
        return None if url is None else (q, m.end(), "text", f"]({url})")
    if text.startswith(":", after) or text[opener + 1 : opener + 2] in ("^", "!"):
        return None  # a definition, a footnote, an alert marker
    url = links.reference(text[opener + 1 : q])
    return None if url is None else (q, after, "text", f"]({url})")


def scan(
    text: str,
    hugo_on: bool,
    budget: Budget,
    links: Links | None = None,
    prose: list[Event] | None = None,
    code: list[tuple[int, int]] | None = None,
) -> list[Event]:
    """Events in order. `links` turns on link resolution at each `]`; `prose` are events found before
    (definitions, alerts, emoji), merged in where no other construct covers them."""
    code = code_ranges(text, budget) if code is None else code
    index = _Index(text)
    stop = _STOP_HUGO if hugo_on else _STOP_MD
    if links is not None:
        stop = _STOP_HUGO_LINKS if hugo_on else _STOP_MD_LINKS
    prose = prose or []
    events: list[Event] = []
    brackets: list[int] = []
    pos, ci, pi = 0, 0, 0
    while True:
        budget.tick()
        while ci < len(code) and code[ci][1] <= pos:
            ci += 1
        while pi < len(prose) and prose[pi][0] < pos:
            pi += 1  # covered by a code span, a tag or a link: not prose after all
        limit = code[ci][0] if ci < len(code) else len(text)
        if pos >= limit and ci < len(code):
            events.append((max(pos, code[ci][0]), code[ci][1], "code", None))
            pos = code[ci][1]
            brackets.clear()
            continue
        until = min(limit, prose[pi][0]) if pi < len(prose) else limit
        m = stop.search(text, pos, until)
        if m is None:
            if pi < len(prose) and prose[pi][0] < limit:
                events.append(prose[pi])
                pos = prose[pi][1]
                continue
            if ci >= len(code):
                return events
            pos = limit
            continue
        p = m.start()
        c = text[p]
        if c in "[]":
            assert links is not None
            if p > 0 and text[p - 1] == "\\":
                pos = p + 1
            elif c == "[":
                if brackets and index.blank_after(brackets[-1]) < p:
                    brackets.clear()  # a paragraph ended: its open brackets never close
                if len(brackets) < MAX_OPEN_BRACKETS:
                    brackets.append(p)
                pos = p + 1
            else:
                opener = brackets.pop() if brackets else -1
                same_paragraph = opener >= 0 and index.blank_after(opener) >= p
                found = _close(text, p, opener, links) if same_paragraph else None
                if found is not None:
                    events.append(found)
                    pos = found[1]
                else:
                    pos = p + 1
        elif c == "`":
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
