"""Heading text and anchors: Hugo's goldmark ids (GitHub style, `{#id}` attributes) or GitLab's slugs.

Hugo's default (`autoHeadingIDType = "github"`, checked against the hugo binary in the tests):
the heading's rendered text (link labels, code, image alt; no raw HTML; the typographer's dashes),
each letter lowercased (any script), each decimal digit and '_' kept, each ' ' and '-' a hyphen
(runs kept), everything else dropped; empty → "heading"; a repeat gets -1, -2, ... .
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MAX_HEADING_CHARS = 500  # longer headings are cut: the text, the id and every chunk's path stay small
_ATTR_ID = re.compile(r"[^\s!\"#\$%&'()*+,/;<=>?@\[\\\]^`{|}~]*")  # goldmark: ASCII punct but _-:. ends an id
_ATTR_KEY = re.compile(r"[A-Za-z_:][A-Za-z0-9_.:-]*")
_HYPHENS = re.compile(r"-{2,}")
_GITLAB_DROP = re.compile(r"[^\w\s-]")
_MARKUP = re.compile(r"[\\`*_\[\]<>&!~\n]")  # the characters inline markdown rules start at


@lru_cache(maxsize=1)
def _inline_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("strikethrough")


def split_attributes(content: str) -> tuple[str, str | None]:
    """`Title {#id .class k=v}` → ("Title", "id"); content without a valid trailing block is unchanged."""
    stripped = content.rstrip()
    if not stripped.endswith("}"):
        return content, None
    brace = stripped.rfind("{")
    if brace < 0 or (brace > 0 and stripped[brace - 1] == "\\"):
        return content, None
    found = _parse_attributes(stripped, brace + 1, len(stripped) - 1)
    if found is None:
        return content, None
    return stripped[:brace].rstrip(), found[0]


def _parse_attributes(text: str, i: int, end: int) -> tuple[str | None] | None:
    """goldmark's attribute list between `{` and `}`: the last #id wins; None if malformed."""
    found: str | None = None
    while True:
        while i < end and text[i] in " \t":
            i += 1
        if i >= end:
            return (found,)
        c = text[i]
        if c in "#.":
            m = _ATTR_ID.match(text, i + 1, end)
            value = m.group() if m else ""
            if c == "#":
                found = value
            i = i + 1 + len(value)
        else:
            key = _ATTR_KEY.match(text, i, end)
            if key is None or not text.startswith("=", key.end()):
                return None
            i = key.end() + 1
            if i < end and text[i] in "\"'":
                close = text.find(text[i], i + 1, end)
                if close < 0:
                    return None
                value = text[i + 1 : close]
                i = close + 1
            else:
                j = i
                while j < end and text[j] not in " \t":
                    j += 1
                value, i = text[i:j], j
            if key.group() == "id":
                found = value
        while i < end and text[i] in " \t":
            i += 1
        if i < end and text[i] == ",":
            i += 1


def _dash_run(match: re.Match[str]) -> str:
    n = len(match.group())
    return "\u2014" * (n // 3) + ("\u2013" if n % 3 == 2 else "-" if n % 3 == 1 else "")


def _dashes(text: str) -> str:
    """The typographer's dashes: '---' is an em dash, '--' an en dash (neither survives in an id)."""
    return _HYPHENS.sub(_dash_run, text)


@dataclass(frozen=True)
class HeadingText:
    """What a heading reads as (`display`) and the text Hugo derives its id from (`for_id`)."""

    display: str
    for_id: str


def heading_text(content: str, typographer: bool = True) -> HeadingText:
    """Plain text of inline markdown: links keep their label, code its content, images their alt."""
    content = content[:MAX_HEADING_CHARS]
    if not _MARKUP.search(content):  # most headings: no inline markup, no parser (5x faster per heading)
        return HeadingText(
            " ".join(content.split()), _dashes(content).strip() if typographer else content.strip()
        )
    tokens = _inline_parser().parseInline(content)
    display: list[str] = []
    for_id: list[str] = []
    children = (tokens[0].children or []) if tokens else []
    for token in children:
        _collect(token, display, for_id, typographer)
    return HeadingText(" ".join("".join(display).split()), "".join(for_id).strip())


def _collect(token: Any, display: list[str], for_id: list[str], typographer: bool) -> None:
    kind = token.type
    if kind == "text":
        display.append(token.content)
        for_id.append(_dashes(token.content) if typographer else token.content)
    elif kind == "code_inline":
        display.append(token.content)
        for_id.append(token.content)
    elif kind == "text_special":
        display.append(token.content)
        # goldmark keeps a numeric reference's digits in the id (`&#45;` → "45"), decodes named ones.
        for_id.append(
            token.markup if token.info == "entity" and token.markup.startswith("&#") else token.content
        )
    elif kind in ("softbreak", "hardbreak"):
        display.append(" ")
        for_id.append(" ")
    elif kind == "image":
        for child in token.children or []:
            _collect(child, display, for_id, typographer)


def hugo_id(text: str, ascii_only: bool = False) -> str:
    """goldmark/Hugo's GitHub-style id of a heading's text (before de-duplication)."""
    out: list[str] = []
    for ch in text.strip():
        if ch in " -":
            out.append("-")
        elif ascii_only and ord(ch) > 127:
            continue
        elif ch == "_" or ch.isdecimal() or unicodedata.category(ch)[0] == "L":
            low = ch.lower()
            out.append(low[0] if low else ch)  # Go's simple case mapping: one rune for one rune
    return "".join(out)


def gitlab_slug(text: str) -> str:
    """GitLab's anchors (and this index's before Hugo support): punctuation dropped, '-' runs squeezed."""
    text = _GITLAB_DROP.sub("", text[:MAX_HEADING_CHARS].lower())
    return re.sub(r"-{2,}", "-", re.sub(r"\s", "-", text.strip()))


# @sindresorhus/slugify's replacements before it strips accents (the ones Latin-script headings meet).
_SLUG_REPLACEMENTS = (
    ("&", " and "), ("🦄", " unicorn "), ("♥", " love "), ("ä", "ae"), ("ö", "oe"), ("ü", "ue"),
    ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss"), ("æ", "ae"), ("Æ", "AE"), ("ø", "o"),
    ("Ø", "O"), ("œ", "oe"), ("Œ", "OE"), ("đ", "d"), ("Đ", "D"), ("ł", "l"), ("Ł", "L"), ("þ", "th"),
)  # fmt: skip
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def eleventy_slug(text: str) -> str:
    """Eleventy's `slugify` filter (@sindresorhus/slugify, decamelize off), which markdown-it-anchor
    uses for heading ids: accents stripped, lowercase, every other run of characters one '-'."""
    for old, new in _SLUG_REPLACEMENTS:
        text = text.replace(old, new)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


@dataclass
class Anchors:
    """One page's ids in document order: explicit ids as written, auto ids de-duplicated."""

    style: str = "gitlab"  # "gitlab" | "github" | "github-ascii" | "eleventy"
    seen: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def explicit(self, anchor: str) -> str:
        self.seen.add(anchor)
        return anchor

    def auto(self, text: HeadingText) -> str:
        if self.style == "gitlab":
            slug = gitlab_slug(text.display)
            count = self.counts.get(slug, 0)
            self.counts[slug] = count + 1
            return f"{slug}-{count}" if count else slug
        if self.style == "eleventy":  # markdown-it-anchor: a repeat gets -1, -2, ...
            base = eleventy_slug(text.display)
            anchor, n = base, 0
            while anchor in self.seen:
                n += 1
                anchor = f"{base}-{n}"
            self.seen.add(anchor)
            return anchor
        base = hugo_id(text.for_id, self.style == "github-ascii") or "heading"
        anchor = base
        n = self.counts.get(base, 0)
        while anchor in self.seen:
            n += 1
            anchor = f"{base}-{n}"
        self.counts[base] = n
        self.seen.add(anchor)
        return anchor
