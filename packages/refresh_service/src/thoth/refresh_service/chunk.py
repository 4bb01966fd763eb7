"""Heading-aware chunking with a token target and overlap; code fences and tables stay whole."""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from thoth.refresh_service.parse import Document
from thoth.shared.index import Chunk

_WORD_RE = re.compile(r"\w+|[^\w\s]")
_ATOMIC = ("fence", "code_block", "table_open", "html_block")
_INDEX_NAMES = ("index", "_index", "readme")


@dataclass(frozen=True)
class ChunkSettings:
    """Sizes in estimated model tokens; part of the state so a change forces a full rebuild."""

    target_tokens: int = 200
    overlap_tokens: int = 32

    def signature(self) -> str:
        return f"chunk-v1:{self.target_tokens}:{self.overlap_tokens}"


@dataclass(frozen=True)
class Block:
    """Lines [start, end) of the document body; `heading` is (level, text) for headings."""

    start: int
    end: int
    atomic: bool
    tokens: int
    heading: tuple[int, str] | None = None


def count_tokens(text: str) -> int:
    """A cheap estimate of WordPiece tokens (words and punctuation marks)."""
    return len(_WORD_RE.findall(text))


def slugify(text: str) -> str:
    """GitLab/GitHub-style heading anchor: lowercase, punctuation dropped, spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their label
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"-{2,}", "-", re.sub(r"\s", "-", text.strip()))


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def markdown_blocks(lines: list[str]) -> list[Block]:
    """Top-level blocks of a markdown body, with their line ranges."""
    tokens = _parser().parse("".join(lines))
    blocks: list[Block] = []
    for i, token in enumerate(tokens):
        if token.level != 0 or token.map is None or token.nesting == -1:
            continue
        start, end = token.map
        text = "".join(lines[start:end])
        heading = None
        if token.type == "heading_open":
            heading = (int(token.tag[1]), tokens[i + 1].content.strip())
        blocks.append(Block(start, end, token.type in _ATOMIC, count_tokens(text), heading))
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


def _split_long(block: Block, lines: list[str], target: int) -> list[Block]:
    """A splittable block over the target, cut at line boundaries."""
    pieces, start, size = [], block.start, 0
    for i in range(block.start, block.end):
        n = count_tokens(lines[i])
        if size and size + n > target:
            pieces.append(Block(start, i, False, size))
            start, size = i, 0
        size += n
    pieces.append(Block(start, block.end, False, size))
    return pieces


def _pack(body: list[Block], lines: list[str], settings: ChunkSettings) -> list[list[Block]]:
    """Group a section's blocks into chunks of about `target` tokens with trailing-block overlap."""
    flat: list[Block] = []
    for block in body:
        big = not block.atomic and block.tokens > settings.target_tokens
        flat.extend(_split_long(block, lines, settings.target_tokens) if big else [block])
    groups: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    fresh = 0  # blocks in `current` that are not overlap from the previous chunk
    for block in flat:
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


def page_url(path: str, base_url: str | None, strip_prefix: str = "") -> str:
    """The page's public URL: base_url + path without the extension (index pages map to their folder)."""
    if not base_url:
        return path
    rel = path[len(strip_prefix) :] if strip_prefix and path.startswith(strip_prefix) else path
    stem, ext = posixpath.splitext(rel)
    if ext.lower() not in (".md", ".markdown", ".mdx"):
        url_path = rel
    elif posixpath.basename(stem).lower() in _INDEX_NAMES:
        url_path = posixpath.dirname(stem) + "/" if posixpath.dirname(stem) else ""
    else:
        url_path = stem + "/"
    return base_url.rstrip("/") + "/" + url_path


def embed_text(title: str, heading_path: list[str], text: str) -> str:
    """What the model sees for a chunk: page title and headings give the passage its context."""
    context = " > ".join([title, *[h for h in heading_path if h != title]])
    return f"{context}\n\n{text}"


def chunk_document(
    doc: Document,
    *,
    source: str,
    url: str,
    commit: str | None,
    last_modified: str | None,
    settings: ChunkSettings,
) -> list[Chunk]:
    """The chunks of one page, in order; ids depend only on source, path, position and content."""
    lines = doc.lines
    blocks = markdown_blocks(lines) if doc.kind == "markdown" else text_blocks(lines)
    sections: list[tuple[list[str], str | None, list[Block]]] = []
    stack: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    current: list[Block] = []
    anchor: str | None = None
    for block in blocks:
        if block.heading:
            sections.append(([h for _, h in stack], anchor, current))
            level, text = block.heading
            stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, text)]
            slug = slugify(text)
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchor = f"{slug}-{count}" if count else slug
            current = [block]
        else:
            current.append(block)
    sections.append(([h for _, h in stack], anchor, current))
    meta = {k: v for k, v in doc.meta.items() if k != "title"}
    chunks: list[Chunk] = []
    for heading_path, section_anchor, section in sections:
        if not any(not b.heading for b in section):
            continue  # a heading with nothing under it lives on in its subsections' heading paths
        for group in _pack(section, lines, settings):
            start, end = group[0].start, group[-1].end
            text = "".join(lines[start:end]).strip()
            if not text:
                continue
            content = embed_text(doc.title, heading_path, text)
            content_hash = hashlib.sha256(content.encode()).hexdigest()[:32]
            ordinal = len(chunks)
            chunk_id = hashlib.sha256(
                f"{source}\0{doc.path}\0{ordinal}\0{content_hash}".encode()
            ).hexdigest()[:24]
            chunks.append(
                Chunk(
                    id=chunk_id,
                    source=source,
                    path=doc.path,
                    title=doc.title,
                    heading_path=heading_path,
                    url=f"{url}#{section_anchor}" if section_anchor else url,
                    line_start=doc.first_line + start,
                    line_end=doc.first_line + end - 1,
                    text=text,
                    content_hash=content_hash,
                    commit=commit,
                    last_modified=last_modified,
                    meta=meta,
                )
            )
    return chunks
