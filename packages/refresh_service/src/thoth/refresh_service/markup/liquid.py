"""Eleventy's Liquid/Nunjucks tags read as the published page shows them, before the markdown pass.

Eleventy renders a page's templates first, code blocks included, so this pass does too: `{% raw %}`
bodies stay as written (tags in them are shown, not run), `{% comment %}` bodies go, `{% page "x" %}`
and `{% link %}` become the published URL, `{% alert "Heading" %}…{% endalert %}` a bold lead and its
body, images their alt text, Slack channels their name; any other tag, and `{{ expressions }}`, go
(their output is site data or markup). Tags are bounded in length, so the pass is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from thoth.refresh_service.markup.budget import Budget
from thoth.refresh_service.markup.linemap import Output
from thoth.refresh_service.markup.site import Site

MAX_TAG_CHARS = 4096
MAX_EXPRESSION_CHARS = 512
_TAG = re.compile(r"\{%-?\s*([A-Za-z_][\w-]*)")
_ARG = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|([\w.:/@#-]+)")
_NEXT = re.compile(r"\{%|\{\{")
# Block tags whose body no reader sees; `raw` keeps its body as written.
HIDDEN = frozenset({"comment", "capture"})
LINKS = frozenset({"page", "link", "url", "download"})
IMAGES = frozenset({"image", "image_with_class", "img"})


@dataclass(frozen=True)
class Tag:
    """`{% name args %}` at [start, end); `args` are its positional values (quoted or bare)."""

    start: int
    end: int
    name: str
    args: tuple[str, ...]


def _tag(text: str, pos: int) -> Tag | None:
    m = _TAG.match(text, pos)
    if m is None:
        return None
    close = text.find("%}", m.end(), pos + MAX_TAG_CHARS)
    if close < 0:
        return None
    inner = text[m.end() : close].rstrip("-").strip()
    args: list[str] = []
    for a in _ARG.finditer(inner):
        if a.group(3) is not None and (":" in a.group(3)[1:] or "=" in inner[a.end() : a.end() + 1]):
            continue  # key:value and key=value options are not positional
        args.append(
            a.group(1) if a.group(1) is not None else a.group(2) if a.group(2) is not None else a.group(3)
        )
    return Tag(pos, close + 2, m.group(1).lower(), tuple(args))


def _url(target: str, site: Site | None) -> str:
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
        return target
    base = site.base_url if site is not None and site.base_url else "/"
    return urljoin(base if base.endswith("/") else base + "/", target.lstrip("/"))


def _inline(tag: Tag, site: Site | None) -> str:
    """What a standalone tag shows: a URL, an alt text, a channel name, or nothing."""
    if tag.name in LINKS and tag.args:
        return _url(tag.args[0], site)
    if tag.name in IMAGES and len(tag.args) >= 2:
        return tag.args[-1]
    if tag.name == "slack_channel" and tag.args:
        return tag.args[1] if len(tag.args) > 1 else "#" + tag.args[0].lstrip("#")
    return ""


def _find_end(text: str, pos: int, name: str, budget: Budget) -> Tag | None:
    """The `{% endname %}` closing the block opened before `pos` (same-name blocks nest)."""
    depth = 1
    while True:
        budget.tick()
        found = text.find("{%", pos)
        if found < 0:
            return None
        tag = _tag(text, found)
        if tag is None:
            pos = found + 2
            continue
        if tag.name == name:
            depth += 1
        elif tag.name == "end" + name:
            depth -= 1
            if depth == 0:
                return tag
        pos = tag.end


def render(
    text: str, site: Site | None, budget: Budget, first_line: int = 1
) -> tuple[str, list[int], list[int]]:
    """`text` with its Liquid/Nunjucks tags read, and the map from output lines to input lines
    (numbered from `first_line`)."""
    out = Output(text, first_line)
    pos = 0
    while True:
        budget.tick()
        m = _NEXT.search(text, pos)
        if m is None:
            break
        start = m.start()
        if text.startswith("{{", start):
            close = text.find("}}", start + 2, start + MAX_EXPRESSION_CHARS)
            if close < 0:
                out.copy(pos, start + 2)
                pos = start + 2
                continue
            out.copy(pos, start)
            out.drop(start, close + 2)
            pos = close + 2
            continue
        tag = _tag(text, start)
        if tag is None:
            out.copy(pos, start + 2)
            pos = start + 2
            continue
        out.copy(pos, start)
        out.drop(start, tag.end)
        pos = tag.end
        own_line = text.startswith("\n", tag.end) or tag.end == len(text)
        if tag.name == "raw" or tag.name in HIDDEN:
            end = _find_end(text, tag.end, tag.name, budget)
            stop = end.start if end is not None else len(text)
            if tag.name == "raw":
                out.copy(tag.end, stop)
            else:
                out.drop(tag.end, stop)
            if end is not None:
                out.drop(end.start, end.end)
            pos = end.end if end is not None else len(text)
        elif tag.name == "alert":
            heading = tag.args[0].strip() if tag.args else ""
            if heading:
                out.insert(f"**{heading}**" + ("" if own_line else "\n\n"))
        else:
            out.insert(_inline(tag, site))
        budget.grow(out.size)
    out.copy(pos, len(text))
    return out.done()
