"""What each Hugo shortcode becomes in indexed text (the page's readable content, never its markers).

Paired shortcodes (a matching `{{< /name >}}` exists) keep their inner markdown; a title-like argument
becomes a bold lead line. Standalone ones are data or embeds: removed, or replaced by their readable
argument (a label's text, a member's name). `include` is expanded by `transform`; `highlight` keeps its
body verbatim as a fenced code block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from thoth.refresh_service.markup.shortcodes import ShortcodeTag

# Arguments that title a paired content shortcode (alert, details, panel, card, tab, ...).
TITLE_ARGS = ("title", "summary", "header", "heading")
# Standalone shortcodes whose output is readable text, and where that text is (names, then positions).
READABLE: dict[str, tuple[str | int, ...]] = {
    "label": ("name", "text", "title", 0),
    "member-by-name": ("name", 0),
    "member-by-gitlab": ("username", "name", 0),
    "figure": ("caption", "title", "alt"),
    "ref": ("path", 0),
    "relref": ("path", 0),
    "abbr": ("title", 0),
    "kbd": (0,),
}
INCLUDE = frozenset({"include", "include-md", "readfile"})
INCLUDE_ARGS: tuple[str | int, ...] = ("file", "path", "src", 0)


@dataclass(frozen=True)
class Action:
    """What to emit for one tag: `text`, or an include of `path`, or a code fence up to `until`."""

    kind: str  # "drop" | "text" | "lead" | "include" | "highlight"
    value: str = ""
    until: int = -1  # for "highlight": index of the closing tag
    name: str = ""  # the shortcode's name (an include's kind)


def _pairs(tags: Sequence[ShortcodeTag]) -> dict[int, int]:
    """open index → close index, matching names on a stack (unclosed opens are standalone)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    open_names: Counter[str] = Counter()
    for i, tag in enumerate(tags):
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
    return pairs


def plan(tags: Sequence[ShortcodeTag]) -> list[Action]:
    """One Action per tag, in order."""
    pairs = _pairs(tags)
    actions: list[Action] = []
    for i, tag in enumerate(tags):
        name = tag.name.lower()
        if tag.literal is not None or tag.closing:
            actions.append(Action("drop"))
        elif i in pairs and name == "highlight":
            actions.append(Action("highlight", tag.arg(0, "lang") or "", pairs[i]))
        elif i in pairs:
            title = tag.arg(*TITLE_ARGS)
            actions.append(Action("lead", title) if title else Action("drop"))
        elif name in INCLUDE and tag.arg(*INCLUDE_ARGS):
            actions.append(Action("include", tag.arg(*INCLUDE_ARGS) or "", name=name))
        elif name in READABLE and tag.arg(*READABLE[name]):
            actions.append(Action("text", tag.arg(*READABLE[name]) or ""))
        else:
            actions.append(Action("drop"))
    return actions
