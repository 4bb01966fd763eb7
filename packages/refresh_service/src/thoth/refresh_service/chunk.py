"""Heading-aware chunking with a token target and overlap; code fences and tables stay whole."""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from thoth.refresh_service.markup import Budget, Document, Site
from thoth.refresh_service.markup.blocks import ATOMIC, block_tokens
from thoth.refresh_service.markup.budget import unlimited
from thoth.refresh_service.markup.frontmatter import chunk_meta
from thoth.refresh_service.markup.headings import Anchors, gitlab_slug, heading_text, split_attributes
from thoth.refresh_service.markup.site import url_path
from thoth.shared.index import Chunk

_WORD_RE = re.compile(r"\w+|[^\w\s]")
_INDEX_NAMES = ("index", "_index", "readme")


@dataclass(frozen=True)
class ChunkSettings:
    """Sizes in estimated model tokens; part of the state so a change forces a full rebuild."""

    target_tokens: int = 200
    overlap_tokens: int = 32

    def signature(self) -> str:
        # v2: Hugo-aware markup, HTML → text, goldmark anchors, bounded chunk meta
        # v3: links resolved, alerts and code shortcodes, Eleventy tags, heading-only sections kept
        return f"chunk-v3:{self.target_tokens}:{self.overlap_tokens}"


@dataclass(frozen=True)
class Block:
    """Lines [start, end) of the document body; `heading` is (level, text) for headings."""

    start: int
    end: int
    atomic: bool
    tokens: int
    heading: tuple[int, str] | None = None
    anchor: str | None = None


def count_tokens(text: str) -> int:
    """A cheap estimate of WordPiece tokens (words and punctuation marks)."""
    return len(_WORD_RE.findall(text))


def slugify(text: str) -> str:
    """GitLab-style heading anchor of a heading's markdown: lowercase, punctuation dropped, '-' squeezed."""
    return gitlab_slug(heading_text(text).display)


def _drop_attribute_line(lines: list[str], start: int, end: int) -> None:
    """Remove a heading's trailing `{#id}` block from its line (the last text line of a setext heading)."""
    for i in range(end - 1, start - 1, -1):
        stripped = lines[i].rstrip()
        if stripped.endswith("}"):
            text, anchor = split_attributes(stripped)
            if anchor is not None:
                lines[i] = text + "\n"
            return


def markdown_blocks(lines: list[str], site: Site | None = None, budget: Budget | None = None) -> list[Block]:
    """Top-level blocks of a markdown body with their line ranges; headings carry text and anchor.

    `lines` is edited in place where a heading's `{#id}` block is dropped from its text.
    """
    budget = budget or unlimited()
    anchors = Anchors(site.id_type if site is not None else "gitlab")
    blocks: list[Block] = []
    for raw in block_tokens("".join(lines), budget):
        budget.tick()
        heading: tuple[int, str] | None = None
        anchor: str | None = None
        if raw.kind == "Heading":
            # Every heading takes an id, nested ones too (Hugo de-duplicates over the whole page).
            content, explicit = raw.content, None
            if site is not None and site.attributes:
                content, explicit = split_attributes(content)
                if explicit is not None:
                    _drop_attribute_line(lines, raw.start, raw.end)
            text = heading_text(content, site.typographer if site is not None else True)
            if explicit is not None:
                anchor = anchors.explicit(explicit)
            elif content.strip():
                anchor = anchors.auto(text) or None
            heading = (raw.level, text.display)
        if raw.depth != 0:
            continue
        text_of = "".join(lines[raw.start : raw.end])
        blocks.append(Block(raw.start, raw.end, raw.kind in ATOMIC, count_tokens(text_of), heading, anchor))
    return blocks


def text_blocks(lines: list[str]) -> list[Block]:
    """Paragraphs of a plain-text body (separated by blank lines)."""
    blocks, start = [], None
    for i, line in enumerate([*lines, ""]):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            blocks.append(Block(start, i, False, count_tokens("".join(lines[start:i]))))
            start = None
    return blocks


def _split_long(block: Block, lines: list[str], target: int, budget: Budget) -> list[Block]:
    """A splittable block over the target, cut at line boundaries."""
    pieces, start, size = [], block.start, 0
    for i in range(block.start, block.end):
        budget.tick()
        n = count_tokens(lines[i])
        if size and size + n > target:
            pieces.append(Block(start, i, False, size))
            start, size = i, 0
        size += n
    pieces.append(Block(start, block.end, False, size))
    return pieces


def _pack(body: list[Block], lines: list[str], settings: ChunkSettings, budget: Budget) -> list[list[Block]]:
    """Group a section's blocks into chunks of about `target` tokens with trailing-block overlap."""
    flat: list[Block] = []
    for block in body:
        budget.tick()
        big = not block.atomic and block.tokens > settings.target_tokens
        flat.extend(_split_long(block, lines, settings.target_tokens, budget) if big else [block])
    groups: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    fresh = 0  # blocks in `current` that are not overlap from the previous chunk
    for block in flat:
        budget.tick()
        if fresh and size + block.tokens > settings.target_tokens:
            groups.append(current)
            overlap: list[Block] = []
            for prev in reversed(current):
                if (
                    prev.atomic
                    or prev.heading
                    or sum(b.tokens for b in overlap) + prev.tokens > settings.overlap_tokens
                ):
                    break
                overlap.insert(0, prev)
            current, size, fresh = overlap, sum(b.tokens for b in overlap), 0
        current.append(block)
        size += block.tokens
        fresh += 1
    if fresh:
        groups.append(current)
    return groups


def page_url(
    path: str,
    base_url: str | None,
    strip_prefix: str = "",
    site: Site | None = None,
    meta: dict[str, Any] | None = None,
) -> str:
    """The page's public URL: base_url + path without the extension (index pages map to their folder).

    On a Hugo or Eleventy site the URL is the one the generator writes (Hugo: the content mounts,
    lowercased, `url`/`slug`, the language folder; Eleventy: `permalink`), and the base URL defaults
    to the site's `baseURL`.
    """
    base_url = base_url or (site.base_url if site is not None else None)
    if not base_url:
        return path
    if site is not None and path.lower().endswith((".md", ".markdown", ".mdx")):
        found = url_path(path, site, meta or {}, strip_prefix)
        if found is not None:
            return base_url.rstrip("/") + "/" + found
    rel = path[len(strip_prefix) :] if strip_prefix and path.startswith(strip_prefix) else path
    stem, ext = posixpath.splitext(rel)
    if ext.lower() not in (".md", ".markdown", ".mdx"):
        url_path_ = rel
    elif posixpath.basename(stem).lower() in _INDEX_NAMES:
        url_path_ = posixpath.dirname(stem) + "/" if posixpath.dirname(stem) else ""
    else:
        url_path_ = stem + "/"
    return base_url.rstrip("/") + "/" + url_path_


def embed_text(title: str, heading_path: list[str], text: str, description: str | None = None) -> str:
    """What the model sees for a chunk: page title, headings and description give the passage context."""
    context = " > ".join([title, *[h for h in heading_path if h != title]])
    if description:
        context = f"{context}\n{description}"
    return f"{context}\n\n{text}"


def chunk_embed_text(chunk: Chunk) -> str:
    """embed_text of a stored chunk (the refresh embeds exactly what chunk_document hashed)."""
    description = chunk.meta.get("description")
    return embed_text(
        chunk.title, chunk.heading_path, chunk.text, description if isinstance(description, str) else None
    )


def chunk_document(
    doc: Document,
    *,
    source: str,
    url: str,
    commit: str | None,
    last_modified: str | None,
    settings: ChunkSettings,
    budget: Budget | None = None,
) -> list[Chunk]:
    """The chunks of one page, in order; ids depend only on source, path, position and content."""
    budget = budget or unlimited()
    lines = list(doc.lines)
    blocks = markdown_blocks(lines, doc.site, budget) if doc.kind == "markdown" else text_blocks(lines)
    sections: list[tuple[list[str], str | None, list[Block]]] = []
    stack: list[tuple[int, str]] = []
    current: list[Block] = []
    anchor: str | None = None
    for block in blocks:
        budget.tick()
        if block.heading:
            sections.append(([h for _, h in stack], anchor, current))
            level, text = block.heading
            stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, text)]
            anchor = block.anchor
            current = [block]
        else:
            current.append(block)
    sections.append(([h for _, h in stack], anchor, current))
    meta = chunk_meta(doc.meta)
    description = meta.get("description")
    chunks: list[Chunk] = []
    carried: list[Block] = []  # headings with nothing under them, waiting for the next section
    for i, (heading_path, section_anchor, section) in enumerate(sections):
        budget.tick()
        if i + 1 < len(sections) and not any(not b.heading for b in section):
            # A heading with only subsections: its line opens the next section's first chunk, so the
            # page reads back with its outline (and its heading path names it anyway).
            carried.extend(section)
            continue
        section, carried = carried + section, []
        if not section:
            continue
        for group in _pack(section, lines, settings, budget):
            budget.tick()
            start, end = group[0].start, group[-1].end
            text = "".join(lines[start:end]).strip()
            if not text:
                continue
            content = embed_text(doc.title, heading_path, text, description)
            content_hash = hashlib.sha256(content.encode()).hexdigest()[:32]
            ordinal = len(chunks)
            chunk_id = hashlib.sha256(
                f"{source}\0{doc.path}\0{ordinal}\0{content_hash}".encode()
            ).hexdigest()[:24]
            line_start, line_end = doc.span(start, end)
            chunks.append(
                Chunk(
                    id=chunk_id,
                    source=source,
                    path=doc.path,
                    title=doc.title,
                    heading_path=heading_path,
                    url=f"{url}#{section_anchor}" if section_anchor else url,
                    line_start=line_start,
                    line_end=line_end,
                    text=text,
                    content_hash=content_hash,
                    commit=commit,
                    last_modified=last_modified,
                    meta=meta,
                )
            )
    return chunks
