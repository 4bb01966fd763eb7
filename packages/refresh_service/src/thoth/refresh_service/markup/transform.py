"""One left-to-right pass over a markdown body: Hugo shortcodes and includes, HTML → text, entities.

Code (fenced or indented blocks, inline spans) is copied verbatim. The output keeps a map from each
of its lines to the file lines it came from, so chunks still cite `path:lines` of the real file.
Every step resumes where the previous one ended, and look-aheads are bounded: linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from thoth.refresh_service.markup import hugo
from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.includes import (
    MAX_INCLUDE_DEPTH,
    MAX_INCLUDES_PER_PAGE,
    find_include,
    read_include,
)
from thoth.refresh_service.markup.scan import scan
from thoth.refresh_service.markup.site import Site

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


def _unescape(piece: str) -> str:
    """Inside code, Hugo shows `{{</* x */>}}` as `{{< x >}}`."""
    return _ESCAPED.sub(lambda m: "{{" + m.group(1) + m.group(2) + m.group(3) + "}}", piece)


def clean(
    text: str,
    first_line: int,
    site: Site | None,
    budget: Budget,
    stack: tuple[str, ...] = (),
    page: str | None = None,
) -> Cleaned:
    """`text` (a page body or an include) without markup noise, with its line map."""
    events = scan(text, site is not None, budget)
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
            _shortcode(out, text, start, end, action, site, budget, stack, result, page)
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
    page: str | None,
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
        out.insert(include(action.value, site, budget, stack, result, action.name, page).rstrip("\n"))


def include(
    arg: str,
    site: Site,
    budget: Budget,
    stack: tuple[str, ...],
    into: Cleaned,
    name: str = "include",
    page: str | None = None,
) -> str:
    """The cleaned text of `{{% include "arg" %}}` (a content page, or a file under assets/), or ''
    with a warning in `into`. Each file is cleaned once per run, whatever cut it short; a page
    expands at most MAX_INCLUDES_PER_PAGE includes."""
    budget.includes += 1
    if budget.includes > MAX_INCLUDES_PER_PAGE:
        if budget.includes == MAX_INCLUDES_PER_PAGE + 1:
            into.warnings.append(
                f"over {MAX_INCLUDES_PER_PAGE} includes on one page (nested and repeated ones counted); "
                "the rest are left out"
            )
        into.complete = False
        return ""
    target, looked = find_include(arg, site, name, page)
    if target is None:
        for path in looked:
            if not path.startswith("content page "):
                into.includes[path] = ""  # remembered: the page is re-indexed when the file appears
        where = "; ".join(looked) or "nowhere the site allows"
        into.warnings.append(f"{name} {arg!r} not found (looked for {where}); the page is indexed without it")
        return ""
    path = target.path
    if path in stack:
        chain = " → ".join([*stack, path])
        into.warnings.append(f"include cycle {chain}; the repeated include is left out")
        into.complete = False
        return ""
    if len(stack) >= MAX_INCLUDE_DEPTH:
        into.warnings.append(f"include {path} is nested over {MAX_INCLUDE_DEPTH} deep; left out")
        into.complete = False
        return ""
    into.includes[path] = site.files.get(path, "")
    cached: Cleaned | None = site.cache.get(path)
    if cached is None:
        body, why = read_include(target, site)
        if body is None:
            into.warnings.append(f"include {path} {why}; the page is indexed without it")
            return ""
        cached = clean(body, 1, site, budget, (*stack, path), path if target.page else page)
        site.cache[path] = cached  # cut short or not: cleaning it again would find the same cuts
    into.includes.update(cached.includes)
    into.warnings.extend(w for w in cached.warnings if w not in into.warnings)
    into.complete = into.complete and cached.complete
    return cached.text
