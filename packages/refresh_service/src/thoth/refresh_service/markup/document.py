"""Turn a file's bytes into a Document (front matter, title, clean body lines) or a skip reason."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from thoth.refresh_service.markup import liquid
from thoth.refresh_service.markup.budget import Budget, NotPublished, ParseError, unlimited
from thoth.refresh_service.markup.frontmatter import split_front_matter
from thoth.refresh_service.markup.headings import heading_text, split_attributes
from thoth.refresh_service.markup.linemap import compose
from thoth.refresh_service.markup.publishing import cascade_files, unpublished
from thoth.refresh_service.markup.site import Site
from thoth.refresh_service.markup.transform import clean
from thoth.refresh_service.settings import DEFAULT_MAX_FILE_BYTES

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")


@dataclass(frozen=True)
class Document:
    """A parsed page. `lines[i]` came from file lines `starts[i]`..`ends[i]` (1-based)."""

    path: str
    kind: str  # "markdown" or "text"
    title: str
    meta: dict[str, Any]
    lines: list[str]
    first_line: int
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    site: Site | None = None
    includes: dict[str, str] = field(default_factory=dict)  # include path → digest
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """File lines of body lines [start, end)."""
        if not self.starts:
            return self.first_line + start, self.first_line + end - 1
        return self.starts[start], self.ends[end - 1]


def split_lines(text: str) -> list[str]:
    """Lines ending at '\n' only: str.splitlines also splits at U+2028, form feeds and kin, which are
    not line ends in markdown and would break the map to file lines."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def too_large(size: int, limit: int) -> str:
    return (
        f"file is {size} bytes, over the {limit}-byte limit; raise THOTH_MAX_FILE_BYTES or exclude the file"
    )


def _h1(lines: list[str], site: Site | None) -> str | None:
    """Text of the first ATX H1 (`# Title`, closing #s and `{#id}` dropped), found in linear time."""
    for line in lines:
        if not line.startswith("#") or line[1:2] not in (" ", "\t"):
            continue
        content = line[1:].strip()
        closed = content.rstrip("#")
        if closed != content and (not closed or closed[-1] in " \t"):
            content = closed.rstrip()
        if site is not None and site.attributes:
            content = split_attributes(content)[0]
        text = heading_text(content).display
        if text:
            return text
    return None


def _fallback_title(path: str) -> str:
    stem = posixpath.splitext(posixpath.basename(path))[0]
    if stem.lower() in ("index", "_index", "readme"):
        stem = posixpath.basename(posixpath.dirname(path)) or stem
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or path


def _check_published(path: str, meta: dict[str, Any], site: Site) -> dict[str, str]:
    """The section files whose cascade reaches the page; NotPublished when the site writes no page."""
    if not site.hugo:
        if meta.get("permalink") is False:
            raise NotPublished(
                "permalink: false in the front matter (no page is written); not indexed", False
            )
        return {}
    depends = cascade_files(path, site)
    verdict = unpublished(path, meta, site)
    if verdict is not None:
        raise NotPublished(verdict[0], verdict[1], depends)
    return depends


def parse_document(
    path: str,
    data: bytes,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    site: Site | None = None,
    budget: Budget | None = None,
) -> Document:
    """Decode, split front matter and clean the body; ParseError carries the skip reason.

    `site` turns on the generator's constructs: for Hugo shortcodes, includes, `{#id}` headings and
    its publishing rules (drafts, headless pages, dates); for Eleventy its Liquid/Nunjucks tags.
    """
    budget = budget or unlimited()
    if len(data) > max_bytes:
        raise ParseError(too_large(len(data), max_bytes))
    if b"\0" in data:  # anywhere: a NUL past the first block would reach the index as text
        raise ParseError("binary file (NUL bytes); only UTF-8 text is indexed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = split_lines(text)
    kind = "markdown" if path.lower().endswith(MARKDOWN_SUFFIXES) else "text"
    meta, skip = split_front_matter(lines) if kind == "markdown" else ({}, 0)
    includes: dict[str, str] = {}
    if site is not None and kind == "markdown":
        includes = _check_published(path, meta, site)
    body = lines[skip:]
    starts: list[int] = []
    ends: list[int] = []
    warnings: list[str] = []
    if kind == "markdown":
        source = "".join(body)
        templates = site is not None and not site.hugo  # Eleventy: templates first, as it renders
        if templates:
            source, tag_starts, tag_ends = liquid.render(source, site, budget, skip + 1)
        cleaned = clean(source, 1 if templates else skip + 1, site, budget, page=path)
        body = split_lines(cleaned.text)
        starts, ends = cleaned.starts[: len(body)], cleaned.ends[: len(body)]
        if templates:
            starts, ends = compose(tag_starts, tag_ends, starts, ends)
        includes, warnings = {**includes, **cleaned.includes}, cleaned.warnings
    title = meta.get("title") if isinstance(meta.get("title"), str) and meta["title"].strip() else None
    if title is None and kind == "markdown":
        title = _h1(body, site)
    if title is None:
        title = _fallback_title(path)
    title = " ".join(title.split())[:500]
    return Document(path, kind, title, meta, body, skip + 1, starts, ends, site, includes, warnings)
