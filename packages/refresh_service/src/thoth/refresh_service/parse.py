"""Turn a file's bytes into a Document (front matter, title, body lines) or a skip reason."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from thoth.refresh_service.settings import DEFAULT_MAX_FILE_BYTES
from thoth.shared.errors import ThothError

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
_H1_RE = re.compile(r"^#\s+(.+?)\s*#*\s*$")


class ParseError(ThothError):
    """The file cannot be indexed; the message is the skip reason and says how to fix the file."""


@dataclass(frozen=True)
class Document:
    """A parsed page. `lines[i]` is line `first_line + i` of the file (1-based)."""

    path: str
    kind: str  # "markdown" or "text"
    title: str
    meta: dict[str, Any]
    lines: list[str]
    first_line: int
    extra: dict[str, Any] = field(default_factory=dict)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def split_front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """Front matter (YAML between '---' lines or TOML between '+++') and the number of lines it spans."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, 0
    fence = lines[0].strip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in closers), None)
    if end is None:
        if fence == "---":
            return {}, 0  # a leading horizontal rule, not front matter
        raise ParseError("front matter opened with '+++' is never closed; add the closing '+++'")
    text = "".join(lines[1:end])
    try:
        data = tomllib.loads(text) if fence == "+++" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(
            f"front matter is not valid {'TOML' if fence == '+++' else 'YAML'} ({first}); fix it"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a mapping of fields (e.g. 'title: ...'); fix it")
    return _json_safe(data), end + 1


def too_large(size: int, limit: int) -> str:
    return (
        f"file is {size} bytes, over the {limit}-byte limit; raise THOTH_MAX_FILE_BYTES or exclude the file"
    )


def parse_document(path: str, data: bytes, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document:
    """Decode and parse; raises ParseError with the skip reason (too large, not UTF-8, bad front matter)."""
    if len(data) > max_bytes:
        raise ParseError(too_large(len(data), max_bytes))
    if b"\0" in data[:8192]:
        raise ParseError("binary file (NUL bytes); only UTF-8 text is indexed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8") from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.splitlines(keepends=True)
    kind = "markdown" if path.lower().endswith(MARKDOWN_SUFFIXES) else "text"
    meta, skip = split_front_matter(lines) if kind == "markdown" else ({}, 0)
    body = lines[skip:]
    title = meta.get("title") if isinstance(meta.get("title"), str) and meta["title"].strip() else None
    if title is None and kind == "markdown":
        title = next((m.group(1) for line in body if (m := _H1_RE.match(line))), None)
    if title is None:
        stem = posixpath.splitext(posixpath.basename(path))[0]
        if stem.lower() in ("index", "_index", "readme"):
            stem = posixpath.basename(posixpath.dirname(path)) or stem
        title = stem.replace("-", " ").replace("_", " ").strip().capitalize() or path
    return Document(path, kind, title.strip(), meta, body, skip + 1)
