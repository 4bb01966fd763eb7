"""What each Hugo shortcode becomes in indexed text (the page's readable content, never its markers).

Paired shortcodes (a matching `{{< /name >}}` exists) keep their inner markdown; a title-like argument
becomes a bold lead line. Code shortcodes (`highlight`, `code-toggle`, a tab with a `lang` in a code
tab pane) keep their body verbatim as one fenced block with its language. A body the site's own
template never shows (no `.Inner`), or a `comment`, is dropped. Standalone shortcodes are data or
embeds: removed, or replaced by their readable argument (a label's text, a member's name, a
parameter's value, the URL `ref` resolves to). `include`, `readfile` and `glossary-term` are
expanded by `transform`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from thoth.refresh_service.markup.getpage import get_page, published_url
from thoth.refresh_service.markup.hugoconfig import get
from thoth.refresh_service.markup.publishing import front_matter
from thoth.refresh_service.markup.shortcodes import ShortcodeTag
from thoth.refresh_service.markup.site import Site

# Arguments that title a paired content shortcode (alert, details, panel, card, tab, ...).
TITLE_ARGS = ("title", "summary", "header", "heading")
# Standalone shortcodes whose output is readable text, and where that text is (names, then positions).
READABLE: dict[str, tuple[str | int, ...]] = {
    "label": ("name", "text", "title", 0),
    "member-by-name": ("name", 0),
    "member-by-gitlab": ("username", "name", 0),
    "figure": ("caption", "title", "alt"),
    "abbr": ("title", 0),
    "kbd": (0,),
}
INCLUDE = frozenset({"include", "include-md", "readfile"})
INCLUDE_ARGS: tuple[str | int, ...] = ("file", "path", "src", 0)
REF = frozenset({"ref", "relref"})
PARAM = frozenset({"param", "_param"})
GLOSSARY_TERM = frozenset({"glossary-term", "gloss", "term"})
# Paired shortcodes whose body is code, shown verbatim in one fenced block.
CODE = frozenset({"highlight", "code-toggle", "code", "codeblock", "syntax"})
LANG_ARGS: tuple[str | int, ...] = ("lang", "language", "code_lang")
HIDDEN = frozenset({"comment"})  # bodies no reader sees
_PARAM_CALL = re.compile(r"\{\{[<%]\s*_?param\s+\"?([\w.-]+)\"?\s*[>%]\}\}")
_YAML_KEY = re.compile(r"^[\w.\"'-]+:(\s|\Z)")


@dataclass(frozen=True)
class Action:
    """What to emit for one tag: `text`, a lead line, an include of `value`, a code fence up to
    `until` (language `value`), or dropping everything up to `until` (a hidden body)."""

    # "drop" | "text" | "markdown" | "lead" | "include" | "glossary" | "glossary-list" | "fence" | "hide"
    kind: str
    value: str = ""
    until: int = -1  # for "fence" and "hide": index of the closing tag
    name: str = ""  # the shortcode's name (an include's kind)
    title: str = ""  # a fence's lead line (a tab's header)
    code: bool = False  # an include shown as code (`readfile … code="true"`), in language `title`


def _pairs(tags: Sequence[ShortcodeTag]) -> tuple[dict[int, int], dict[int, int]]:
    """open index → close index (names matched on a stack; unclosed opens are standalone), and each
    tag's innermost enclosing open tag."""
    pairs: dict[int, int] = {}
    parent: dict[int, int] = {}
    stack: list[int] = []
    open_names: Counter[str] = Counter()
    for i, tag in enumerate(tags):
        if stack:
            parent[i] = stack[-1]
        if tag.literal is not None:
            continue
        if not tag.closing:
            if not tag.self_closing:
                stack.append(i)
                open_names[tag.name] += 1
            continue
        if not open_names[tag.name]:
            continue  # a close without an open: dropped
        while stack:
            j = stack.pop()
            open_names[tags[j].name] -= 1
            if tags[j].name == tag.name:
                pairs[j] = i
                break
    # An unclosed open never encloses anything: give its children the next enclosing pair.
    for child, up in list(parent.items()):
        while up not in pairs and up in parent:
            up = parent[up]
        if up in pairs:
            parent[child] = up
        else:
            del parent[child]
    return pairs, parent


def _sniff(body: str) -> str:
    """The language of a configuration block (code-toggle bodies are TOML unless they look otherwise)."""
    if body.strip().startswith("{"):
        return "json"
    first = next(
        (ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")), ""
    )
    return "yaml" if first == "---" or _YAML_KEY.match(first) else "toml"


def _fenced(body: str) -> bool:
    return body.lstrip().startswith(("```", "~~~"))


def param_value(key: str, site: Site | None, page: str | None) -> str | None:
    """`.Page.Param key` as text: the page's front matter (top level or `params`), then the site's
    params; scalars without markup only."""
    if site is None:
        return None
    keys = key.strip().strip("\"'").split(".")
    meta = front_matter(page, site) if page is not None else {}
    value: Any = None
    for source in (meta, get(meta, "params"), site.params):
        value = get(source, *keys)
        if value is not None:
            break
    if value is None and key.strip().lower() == "baseurl" and site.base_url:
        value = site.base_url.rstrip("/")  # Docsy's `_param` reaches the site's own settings too
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)
    return text if "<" not in text and text.strip() else None


def expand_params(text: str, site: Site | None, page: str | None) -> str:
    """`{{% param x %}}` inside a value (a reference definition's URL) replaced by the value."""
    if "param" not in text:
        return text
    return _PARAM_CALL.sub(lambda m: param_value(m.group(1), site, page) or m.group(0), text)


def _hidden(name: str, site: Site | None) -> bool:
    """Whether the site shows nothing of `name`'s body (its template never uses `.Inner`)."""
    if name in HIDDEN:
        return True
    template = site.template(name) if site is not None else None
    return template is not None and ".Inner" not in template and "RenderShortcodes" not in template


def _tab_lang(tag: ShortcodeTag, parent: ShortcodeTag | None) -> str | None:
    """The language of a Docsy/Bootstrap tab whose body is code (its pane is not `text=true`): its
    `lang`, or its header when the pane says `langEqualsHeader=true`; None for a text tab."""
    if tag.name.lower() != "tab" or (parent is not None and (parent.arg("text") or "").lower() == "true"):
        return None
    lang = tag.arg(*LANG_ARGS)
    if lang is None and parent is not None and (parent.arg("langEqualsHeader") or "").lower() == "true":
        lang = tag.arg("header", 0)
    return lang


def plan(
    tags: Sequence[ShortcodeTag], text: str = "", site: Site | None = None, page: str | None = None
) -> list[Action]:
    """One Action per tag, in order (`text` is what the tags were found in)."""
    pairs, parent = _pairs(tags)
    actions: list[Action] = []
    for i, tag in enumerate(tags):
        name = tag.name.lower()
        tab_lang: str | None = None
        if tag.literal is not None or tag.closing:
            actions.append(Action("drop"))
        elif i in pairs and _hidden(name, site):
            actions.append(Action("hide", until=pairs[i]))
        elif i in pairs and (
            name in CODE
            or (tag.arg("code") or "").lower() == "true"
            or (tab_lang := _tab_lang(tag, tags[parent[i]] if i in parent else None))
        ):
            body = text[tag.end : tags[pairs[i]].start]
            title = tag.arg(*TITLE_ARGS, 0) if name == "tab" else tag.arg(*TITLE_ARGS)
            if _fenced(body):
                actions.append(Action("lead", title) if title else Action("drop"))
                continue
            lang = tag.arg(0, *LANG_ARGS) if name == "highlight" else tag.arg(*LANG_ARGS)
            if name == "code-toggle":
                lang = _sniff(body)
            elif name == "tab" and not lang:
                lang = tab_lang
            actions.append(Action("fence", lang or "", pairs[i], name, title or ""))
        elif i in pairs:
            title = tag.arg(*TITLE_ARGS, 0) if name == "tab" else tag.arg(*TITLE_ARGS)
            actions.append(Action("lead", title) if title else Action("drop"))
        elif name in INCLUDE and tag.arg(*INCLUDE_ARGS):
            code = (tag.arg("code") or "").lower() == "true"
            lang = (tag.arg(*LANG_ARGS) or "") if code else ""
            actions.append(Action("include", tag.arg(*INCLUDE_ARGS) or "", name=name, title=lang, code=code))
        elif name == "glossary" and i not in pairs:  # the glossary page lists every term
            actions.append(Action("glossary-list"))
        elif name in GLOSSARY_TERM and tag.arg(0, "term"):
            actions.append(Action("glossary", tag.arg(0, "term") or ""))
        elif name in REF and tag.arg("path", 0):
            actions.append(Action("text", _ref(tag.arg("path", 0) or "", site, page)))
        elif name in PARAM and tag.arg(0, "name"):
            value = param_value(tag.arg(0, "name") or "", site, page)
            markdown = value is not None and tag.delim == "%" and "\n" in value.strip()
            actions.append(Action("markdown" if markdown else "text", value) if value else Action("drop"))
        elif name in READABLE and tag.arg(*READABLE[name]):
            actions.append(Action("text", tag.arg(*READABLE[name]) or ""))
        else:
            actions.append(Action("drop"))
    return actions


def _ref(target: str, site: Site | None, page: str | None) -> str:
    """The published URL `{{< ref "target" >}}` links to (its fragment kept), else the target as written."""
    if site is None:
        return target
    found = get_page(target, site, page)
    url = published_url(found, site) if found is not None else None
    if url is None:
        return target
    fragment = target.split("#", 1)[1] if "#" in target else ""
    return url + (f"#{fragment}" if fragment else "")
