"""One left-to-right pass over a markdown body: Hugo shortcodes and includes, HTML → text, entities.

Code (fenced or indented blocks, inline spans) is copied verbatim. The output keeps a map from each
of its lines to the file lines it came from, so chunks still cite `path:lines` of the real file.
Every step resumes where the previous one ended, and look-aheads are bounded: linear in the input.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from thoth.refresh_service.markup import hugo
from thoth.refresh_service.markup.blocks import RawBlock, parse_blocks
from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.html import ENTITY, decode_entity, parse_tag
from thoth.refresh_service.markup.shortcodes import parse_shortcode
from thoth.refresh_service.markup.site import Site

MAX_INCLUDE_DEPTH = 8
_STOP_HUGO = re.compile(r"\{\{[<%]|[<`&]")
_STOP_MD = re.compile(r"[<`&]")
_RUN = re.compile(r"`+")
_BLANK = re.compile(r"\n[ \t]*\n")
_ESCAPED = re.compile(r"\{\{([<%])/\*([^\n]{0,2048}?)\*/([>%])\}\}")


@dataclass
class Cleaned:
    """Text without markup noise; `starts[i]`/`ends[i]`: file lines (1-based) output line i spans."""

    text: str
    starts: list[int]
    ends: list[int]
    includes: dict[str, str] = field(default_factory=dict)  # include path → digest
    warnings: list[str] = field(default_factory=list)
    complete: bool = True  # False when a cycle or the depth limit cut an include short


class _Out:
    """Output text with its line map; copy/drop advance the source line, insert does not."""

    def __init__(self, src: str, first_line: int) -> None:
        self.src = src
        self.line = first_line
        self.parts: list[str] = []
        self.size = 0
        self.starts = [first_line]
        self.ends: list[int] = []

    def copy(self, a: int, b: int, text: str | None = None) -> None:
        piece = self.src[a:b] if text is None else text
        k = self.src.count("\n", a, b)
        if k:
            self.ends.append(self.line)
            self.ends.extend(range(self.line + 1, self.line + k))
            self.starts.extend(range(self.line + 1, self.line + k + 1))
            self.line += k
        self._add(piece)

    def drop(self, a: int, b: int) -> None:
        self.line += self.src.count("\n", a, b)

    def insert(self, text: str) -> None:
        k = text.count("\n")
        self.ends.extend([self.line] * k)
        self.starts.extend([self.line] * k)
        self._add(text)

    def space(self) -> None:
        if self.parts and self.parts[-1] and not self.parts[-1][-1].isspace():
            self._add(" ")

    def _add(self, piece: str) -> None:
        if piece:
            self.parts.append(piece)
            self.size += len(piece)

    def done(self) -> tuple[str, list[int], list[int]]:
        self.ends.append(self.line)
        return "".join(self.parts), self.starts, self.ends


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


def _events(text: str, hugo_on: bool, budget: Budget) -> list[Event]:
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


def _unescape(piece: str) -> str:
    """Inside code, Hugo shows `{{</* x */>}}` as `{{< x >}}`."""
    return _ESCAPED.sub(lambda m: "{{" + m.group(1) + m.group(2) + m.group(3) + "}}", piece)


def clean(
    text: str,
    first_line: int,
    site: Site | None,
    budget: Budget,
    stack: tuple[str, ...] = (),
) -> Cleaned:
    """`text` (a page body or an include) without markup noise, with its line map."""
    events = _events(text, site is not None, budget)
    tags = [e[3] for e in events if e[2] == "sc"]
    actions = hugo.plan(tags) if site is not None else []
    out = _Out(text, first_line)
    result = Cleaned("", [], [])
    pos, tag_i = 0, -1
    fence_until: int | None = None  # inside a highlight pair: the closing tag's index
    for start, end, kind, payload in events:
        budget.tick()
        if kind == "sc":
            tag_i += 1
        if fence_until is not None:
            if kind == "sc" and tag_i == fence_until:
                body = text[pos:start]
                out.copy(pos, start, _unescape(body))
                out.insert(("" if body.endswith("\n") else "\n") + "```")
                out.drop(start, end)
                pos, fence_until = end, None
            continue
        out.copy(pos, start)
        pos = end
        if kind == "code":
            out.copy(start, end, _unescape(text[start:end]) if site is not None else None)
        elif kind == "text":
            out.drop(start, end)
            out.insert(payload)
        elif kind == "html":
            out.drop(start, end)
            if payload.separates:
                out.space()
        elif kind == "drop":
            out.drop(start, end)
        else:
            action = actions[tag_i]
            _shortcode(out, text, start, end, action, site, budget, stack, result)
            if action.kind == "highlight":
                fence_until = action.until
        budget.grow(out.size)
    if fence_until is not None:  # unreachable: a highlight is only planned with its closing tag
        out.insert("\n```")
    out.copy(pos, len(text))
    result.text, result.starts, result.ends = out.done()
    return result


def _shortcode(
    out: _Out,
    text: str,
    start: int,
    end: int,
    action: hugo.Action,
    site: Site | None,
    budget: Budget,
    stack: tuple[str, ...],
    result: Cleaned,
) -> None:
    out.drop(start, end)
    own_line = text.startswith("\n", end) or end == len(text)
    if action.kind == "text":
        out.insert(action.value)
    elif action.kind == "lead":
        bold = action.value.startswith("**") and action.value.endswith("**")
        lead = action.value if bold else f"**{action.value}**"
        out.insert(lead + ("" if own_line else "\n\n"))
    elif action.kind == "highlight":
        out.insert(f"```{action.value}" + ("" if own_line else "\n"))
    elif action.kind == "include" and site is not None:
        out.insert(include(action.value, site, budget, stack, result).rstrip("\n"))


def include(arg: str, site: Site, budget: Budget, stack: tuple[str, ...], into: Cleaned) -> str:
    """The cleaned text of `{{% include "arg" %}}` (from assets/), or '' with a warning in `into`."""
    path = posixpath.normpath(posixpath.join("assets", arg.strip().lstrip("/")))
    if not path.startswith("assets/") or path not in site.files:
        if path.startswith("assets/"):
            into.includes[path] = ""  # remembered: the page is re-indexed when the file appears
        into.warnings.append(f"include {arg!r} not found (looked for {path}); the page is indexed without it")
        return ""
    if path in stack:
        chain = " → ".join([*stack, path])
        into.warnings.append(f"include cycle {chain}; the repeated include is left out")
        into.complete = False
        return ""
    if len(stack) >= MAX_INCLUDE_DEPTH:
        into.warnings.append(f"include {path} is nested over {MAX_INCLUDE_DEPTH} deep; left out")
        into.complete = False
        return ""
    cached: Cleaned | None = site.cache.get(path)
    if cached is None:
        try:
            body = site.read(path).decode("utf-8")
        except UnicodeDecodeError:
            into.warnings.append(f"include {path} is not UTF-8 text; the page is indexed without it")
            return ""
        except Exception as exc:
            into.warnings.append(f"include {path} cannot be read ({type(exc).__name__}); left out")
            return ""
        body = body.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        cached = clean(body, 1, site, budget, (*stack, path))
        if cached.complete:
            site.cache[path] = cached
    into.includes[path] = site.files[path]
    into.includes.update(cached.includes)
    into.warnings.extend(cached.warnings)
    into.complete = into.complete and cached.complete
    return cached.text
