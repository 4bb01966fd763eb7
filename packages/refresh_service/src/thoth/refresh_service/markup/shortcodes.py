"""Hugo shortcode tags: `{{< name args >}}`, `{{% name args %}}`, closing `{{< /name >}}`, `{{</* … */>}}`.

A tag never spans more than MAX_TAG_LINES lines or MAX_TAG_CHARS characters (raw-string arguments
aside), so a broken tag costs a bounded look-ahead and the scan stays linear; one whose window holds
no closing delimiter is refused before its arguments are read. Multi-line argument lists (one
argument a line, as hugoDocs' `datatable` writes them) are one call. What a tag becomes is decided
in `hugo.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_TAG_LINES = 40
MAX_TAG_CHARS = 8 * 1024
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
_KEY = re.compile(r"([A-Za-z0-9_-]+)=")
_SPACE = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True)
class ShortcodeTag:
    """One tag at [start, end); `escaped` tags (`{{</* x */>}}`) are shown literally as `literal`."""

    start: int
    end: int
    name: str
    delim: str  # "<" or "%"
    closing: bool = False
    self_closing: bool = False
    positional: tuple[str, ...] = ()
    named: dict[str, str] = field(default_factory=dict)
    literal: str | None = None

    def arg(self, *keys: str | int) -> str | None:
        """The first non-empty argument among `keys` (names, or positions)."""
        for key in keys:
            value = (
                (self.positional[key] if key < len(self.positional) else None)
                if isinstance(key, int)
                else self.named.get(key)
            )
            if value and value.strip():
                return value.strip()
        return None


def _quoted(text: str, i: int, limit: int) -> tuple[str, int] | None:
    """A "double-quoted" argument starting at text[i] == '"' (backslash escapes), on one line."""
    out: list[str] = []
    j = i + 1
    while j < limit:
        c = text[j]
        if c == '"':
            return "".join(out), j + 1
        if c == "\n":
            return None
        if c == "\\" and j + 1 < limit:
            out.append(text[j + 1])
            j += 2
            continue
        out.append(c)
        j += 1
    return None


def _limit(text: str, pos: int) -> int:
    end = pos
    for _ in range(MAX_TAG_LINES):
        nl = text.find("\n", end, pos + MAX_TAG_CHARS)
        if nl < 0:
            return min(len(text), pos + MAX_TAG_CHARS)
        end = nl + 1
    return end


def parse_shortcode(text: str, pos: int) -> ShortcodeTag | None:
    """The shortcode tag at text[pos:pos+3] in ('{{<', '{{%'), or None when it is malformed."""
    delim = text[pos + 2]
    close = (">" if delim == "<" else "%") + "}}"
    limit = _limit(text, pos)
    if text.find(close, pos + 3, limit) < 0 and "`" not in text[pos:limit]:
        return None
    i = _SPACE.match(text, pos + 3, limit).end()  # type: ignore[union-attr]
    if text.startswith("/*", i):
        end = text.find("*/", i + 2, limit)
        if end < 0:
            return None
        j = _SPACE.match(text, end + 2, limit).end()  # type: ignore[union-attr]
        if not text.startswith(close, j):
            return None
        literal = "{{" + delim + text[i + 2 : end] + close
        return ShortcodeTag(pos, j + 3, "", delim, literal=literal)
    closing = text.startswith("/", i)
    if closing:
        i = _SPACE.match(text, i + 1, limit).end()  # type: ignore[union-attr]
    name = _NAME.match(text, i, limit)
    if name is None:
        return None
    i = name.end()
    positional: list[str] = []
    named: dict[str, str] = {}
    while i < limit:
        i = _SPACE.match(text, i, limit).end()  # type: ignore[union-attr]
        if text.startswith(close, i):
            return ShortcodeTag(pos, i + 3, name.group(), delim, closing, False, tuple(positional), named)
        if text.startswith("/" + close, i):
            return ShortcodeTag(pos, i + 4, name.group(), delim, closing, True, tuple(positional), named)
        key = _KEY.match(text, i, limit)
        if key:
            i = key.end()
        value, i2 = _value(text, i, limit, close)
        if value is None:
            return None
        i = i2
        if key:
            named[key.group(1)] = value
        else:
            positional.append(value)
    return None


def _value(text: str, i: int, limit: int, close: str) -> tuple[str | None, int]:
    c = text[i : i + 1]
    if c == '"':
        found = _quoted(text, i, limit)
        return (None, i) if found is None else found
    if c == "`":  # raw strings may span lines
        end = text.find("`", i + 1, i + 64 * 1024)
        return (None, i) if end < 0 else (text[i + 1 : end], end + 1)
    j = i
    while j < limit and not text[j].isspace() and c != "" and not text.startswith(close, j):
        if text.startswith("/" + close, j) or text[j] in '"`':
            break
        j += 1
    return (None, i) if j == i else (text[i:j], j)
