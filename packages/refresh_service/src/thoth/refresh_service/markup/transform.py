"""One left-to-right pass over a markdown body: Hugo shortcodes and includes, links, alerts, emoji,
HTML → text, entities.

Code (fenced or indented blocks, inline spans) is copied verbatim. The output keeps a map from each
of its lines to the file lines it came from, so chunks still cite `path:lines` of the real file.
Every step resumes where the previous one ended, and look-aheads are bounded: linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from thoth.refresh_service.markup import hugo
from thoth.refresh_service.markup.blocks import code_ranges
from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.glossary import glossary_page, glossary_terms
from thoth.refresh_service.markup.includes import (
    MAX_INCLUDE_DEPTH,
    MAX_INCLUDES_PER_PAGE,
    Target,
    find_include,
    read_include,
)
from thoth.refresh_service.markup.linemap import Output
from thoth.refresh_service.markup.prose import prose_events
from thoth.refresh_service.markup.publishing import front_matter
from thoth.refresh_service.markup.scan import Event, Links, scan
from thoth.refresh_service.markup.shortcodes import ShortcodeTag, parse_shortcode
from thoth.refresh_service.markup.site import Site

MARKDOWN = (".md", ".markdown", ".mdx")
_OPENER = re.compile(r"\{\{[<%]")
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
    terms: set[str] = field(default_factory=set)  # glossary terms defined on the page so far


def _unescape(piece: str) -> str:
    """Inside code, Hugo shows `{{</* x */>}}` as `{{< x >}}`."""
    return _ESCAPED.sub(lambda m: "{{" + m.group(1) + m.group(2) + m.group(3) + "}}", piece)


def _in_code(
    piece: str, site: Site | None, budget: Budget, stack: tuple[str, ...], into: Cleaned, page: str | None
) -> str:
    """Code as Hugo shows it: it runs shortcodes inside code too (a parameter shows its value, an
    include its text, a shortcode whose output is markup shows nothing), and shows `{{</* x */>}}`
    as `{{< x >}}`."""
    if site is None or ("{{<" not in piece and "{{%" not in piece):
        return _unescape(piece)
    tags: list[ShortcodeTag] = []
    pos = 0
    for m in _OPENER.finditer(piece):
        if m.start() < pos:
            continue
        tag = parse_shortcode(piece, m.start())
        if tag is not None:
            tags.append(tag)
            pos = tag.end
    actions = hugo.plan(tags, piece, site, page)
    parts: list[str] = []
    pos = 0
    for tag, action in zip(tags, actions, strict=True):
        budget.tick()
        parts.append(piece[pos : tag.start])
        pos = tag.end
        if tag.literal is not None:
            parts.append(tag.literal)
        elif action.kind in ("text", "markdown"):
            parts.append(action.value)
        elif action.kind == "include":
            text = include(action.value, site, budget, stack, into, action.name, page).rstrip("\n")
            parts.append(_indented(text, piece, tag.start))
    parts.append(piece[pos:])
    return "".join(parts)


def clean(
    text: str,
    first_line: int,
    site: Site | None,
    budget: Budget,
    stack: tuple[str, ...] = (),
    page: str | None = None,
) -> Cleaned:
    """`text` (a page body or an include, of `page`) without markup noise, with its line map."""
    hugo_on = site is not None and site.hugo
    code = code_ranges(text, budget)
    links: Links | None = None
    prose: list[Event] = []
    if site is not None:
        prose, definitions = prose_events(text, site, code, page)
        links = Links(definitions, site, page)
    events = scan(text, hugo_on, budget, links, prose, code)
    tags = [e[3] for e in events if e[2] == "sc"]
    actions = hugo.plan(tags, text, site, page) if hugo_on else []
    out = Output(text, first_line)
    result = Cleaned("", [], [])
    pos, tag_i = 0, -1
    fence_until: int | None = None  # inside a code pair: the closing tag's index
    hide_until: int | None = None  # inside a hidden body: the closing tag's index
    for start, end, kind, payload in events:
        budget.tick()
        if kind == "sc":
            tag_i += 1
        if hide_until is not None:
            if kind == "sc" and tag_i == hide_until:
                out.drop(pos, end)
                pos, hide_until = end, None
            continue
        if fence_until is not None:
            if kind == "sc" and tag_i == fence_until:
                body = _in_code(text[pos:start], site, budget, stack, result, page)
                out.copy(pos, start, body)
                out.insert(("" if body.endswith("\n") else "\n") + "```")
                out.drop(start, end)
                pos, fence_until = end, None
            continue
        out.copy(pos, start)
        pos = end
        if kind == "code":
            piece = _in_code(text[start:end], site, budget, stack, result, page) if hugo_on else None
            out.copy(start, end, piece)
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
            if action.kind == "fence":
                fence_until = action.until
            elif action.kind == "hide":
                hide_until = action.until
        budget.grow(out.size)
    if fence_until is not None:  # unreachable: a fence is only planned with its closing tag
        out.insert("\n```")
    out.copy(pos, len(text))
    result.text, result.starts, result.ends = out.done()
    return result


def _shortcode(
    out: Output,
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
    elif action.kind == "markdown" and site is not None:  # a {{% %}} value is markdown to Hugo
        out.insert(clean(action.value, 1, site, budget, stack, page).text.rstrip("\n"))
    elif action.kind == "lead":
        out.insert(_lead(action.value) + ("" if own_line else "\n\n"))
    elif action.kind == "fence":
        lead = _lead(action.title) + "\n\n" if action.title else ""
        out.insert(f"{lead}```{action.value}" + ("" if own_line else "\n"))
    elif action.kind == "include" and site is not None:
        included = include(action.value, site, budget, stack, result, action.name, page).rstrip("\n")
        if action.code:  # shown as code: one fenced block
            included = f"```{action.title}\n{included}\n```"
        out.insert(_indented(included, text, start))
    elif action.kind == "glossary" and site is not None:
        out.insert(glossary_term(action.value, site, budget, stack, result))
    elif action.kind == "glossary-list" and site is not None and page is not None:
        out.insert(_glossary_list(page, site, budget, stack, result))


def _indented(inserted: str, text: str, at: int) -> str:
    """`inserted` at `at` in `text`: its lines after the first take that line's indentation, so text
    included in a list item (or a code block) stays in it."""
    line = text[text.rfind("\n", 0, at) + 1 : at]
    indent = line[: len(line) - len(line.lstrip())]
    return inserted.replace("\n", "\n" + indent) if indent and not line.strip() else inserted


def _glossary_list(page: str, site: Site, budget: Budget, stack: tuple[str, ...], into: Cleaned) -> str:
    """`{{% glossary %}}` on a glossary section's page: each term in bold with its definition."""
    entries: list[str] = []
    for path in glossary_terms(page, site):
        budget.includes += 1
        if budget.includes > MAX_INCLUDES_PER_PAGE:
            break
        title = front_matter(path, site).get("title")
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        name = title if isinstance(title, str) and title.strip() else stem
        text = expand(Target(path, True), site, budget, stack, into, None).strip()
        entries.append(f"**{name.strip()}**: {text}" if text else f"**{name.strip()}**")
    return "\n\n".join(entries)


def _lead(title: str) -> str:
    return title if title.startswith("**") and title.endswith("**") else f"**{title}**"


def glossary_term(term: str, site: Site, budget: Budget, stack: tuple[str, ...], into: Cleaned) -> str:
    """`{{% glossary-term "x" %}}`: the term's definition (its glossary page's text) the first time on
    a page, the term in bold after that or when the site has no page for it."""
    key = term.strip().lower()
    path = glossary_page(term, site)
    if path is None or key in into.terms:
        return f"**{term.strip()}**"
    into.terms.add(key)
    text = expand(Target(path, True), site, budget, stack, into, None).strip()
    if not text:
        return f"**{term.strip()}**"
    return text if key in text.lower() else f"**{term.strip()}**: {text}"


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
    return expand(target, site, budget, stack, into, page)


def expand(
    target: Target, site: Site, budget: Budget, stack: tuple[str, ...], into: Cleaned, page: str | None
) -> str:
    """The cleaned text of an included file, from the run's cache when it was cleaned before."""
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
        if path.lower().endswith(MARKDOWN):
            cached = clean(body, 1, site, budget, (*stack, path), path if target.page else page)
        else:  # a code sample, a configuration file: its text as written
            cached = Cleaned(body, [], [])
        site.cache[path] = cached  # cut short or not: cleaning it again would find the same cuts
    into.includes.update(cached.includes)
    into.warnings.extend(w for w in cached.warnings if w not in into.warnings)
    into.complete = into.complete and cached.complete
    return cached.text
