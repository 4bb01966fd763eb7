"""HTML → text: tags dropped, their text kept; svg/script/style (and kin) and comments dropped whole.

The scanner in `transform` finds a '<' outside code and asks `parse_tag` what it is. Every match is
anchored at its start and bounded by the next '>' or quote, so a page of 1 MB of '<' stays linear.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Elements whose content is never text a reader sees on the page (or is path data and code).
DROP_WHOLE = frozenset({"svg", "script", "style", "template", "iframe", "object", "noscript", "canvas"})
# Inline elements join their neighbours without a space; any other tag separates words.
INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins",
        "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
    }
)  # fmt: skip
MAX_TAG_CHARS = 16 * 1024  # longer is not a tag but text (a '<' in prose, a broken paste)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_.:-]*")
_UNQUOTED = re.compile(r"[^\s\"'=<>`]+")
_SPACE = re.compile(r"\s*")
_CLOSERS = {name: re.compile(rf"<(/?){name}(?=[\s/>])", re.IGNORECASE) for name in DROP_WHOLE}
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_KEEP_ENTITIES = frozenset({"&lt;", "&gt;", "&amp;", "&quot;"})  # decoding them would create markup


@dataclass(frozen=True)
class Tag:
    """A tag at [start, end); `drop_to` is where a dropped-whole element (or comment) ends."""

    start: int
    end: int
    name: str
    closing: bool = False
    self_closing: bool = False
    drop_to: int | None = None

    @property
    def separates(self) -> bool:
        return self.name not in INLINE


def _attributes_end(text: str, i: int, limit: int) -> tuple[int, bool] | None:
    """Index after the tag's '>' and whether it was '/>', or None if this is not a tag."""
    while i < limit:
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text.startswith(">", i):
            return i + 1, False
        if text.startswith("/>", i):
            return i + 2, True
        name = _ATTR_NAME.match(text, i)
        if name is None or name.end() == i:
            return None
        i = _SPACE.match(text, name.end()).end()  # type: ignore[union-attr]
        if not text.startswith("=", i):
            continue
        i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
        quote = text[i : i + 1]
        if quote in ('"', "'"):
            close = text.find(quote, i + 1, limit)
            if close < 0:
                return None
            i = close + 1
        else:
            value = _UNQUOTED.match(text, i)
            if value is None:
                return None
            i = value.end()
    return None


def _drop_to(text: str, name: str, start: int) -> int:
    """End of the element `name` opened before `start` (nesting counted), or the end of the text."""
    depth = 1
    for match in _CLOSERS[name].finditer(text, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            gt = text.find(">", match.end())
            return len(text) if gt < 0 else gt + 1
    return len(text)


def parse_tag(text: str, pos: int) -> Tag | None:
    """The HTML construct at text[pos] == '<' (tag, comment, declaration), or None for a plain '<'."""
    if text.startswith("<!--", pos):
        close = text.find("-->", pos + 4)
        end = len(text) if close < 0 else close + 3  # unclosed: the browser hides the rest too
        return Tag(pos, end, "!--", drop_to=end)
    if text.startswith("<?", pos) or (text.startswith("<!", pos) and text[pos + 2 : pos + 3].isalpha()):
        gt = text.find(">", pos + 2, pos + MAX_TAG_CHARS)
        return None if gt < 0 else Tag(pos, gt + 1, "!")
    limit = min(len(text), pos + MAX_TAG_CHARS)
    closing = text.startswith("</", pos)
    name = _NAME.match(text, pos + (2 if closing else 1))
    if name is None:
        return None
    tag_name = name.group().lower()
    if closing:
        i = _SPACE.match(text, name.end()).end()  # type: ignore[union-attr]
        return Tag(pos, i + 1, tag_name, closing=True) if text.startswith(">", i) else None
    if name.end() < len(text) and not (text[name.end()].isspace() or text[name.end()] in "/>"):
        return None  # `<https://…>`, `<user@host>`: autolinks and prose, not tags
    found = _attributes_end(text, name.end(), limit)
    if found is None:
        return None
    end, self_closing = found
    drop_to = None
    if tag_name in DROP_WHOLE and not self_closing:
        drop_to = _drop_to(text, tag_name, end)
    return Tag(pos, end, tag_name, self_closing=self_closing, drop_to=drop_to)


def decode_entity(entity: str) -> str:
    """A character reference as text; &lt; &gt; &amp; &quot; stay as written (they would make markup)."""
    return entity if entity in _KEEP_ENTITIES else html.unescape(entity)
