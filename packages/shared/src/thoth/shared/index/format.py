"""Records of an index version: chunks, manifest, model identity.

Layout of `indexes/<source>/<version>/`:
  chunks.jsonl   one Chunk per line, row i matches vector i
  vectors.npy    float32 [n, dimension], L2-normalized (np.load mmap-able)
  keywords.npz   BM25 postings (see keyword.py)
  columns.json   per-row path and line_start, so readers group pages without parsing every chunk
  manifest.json  written last; lists every other file with sha256 and size
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from thoth.shared.errors import IndexFormatError

FORMAT_VERSION = 2
FILES = ("chunks.jsonl", "vectors.npy", "keywords.npz", "columns.json")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_name(kind: str, name: str) -> str:
    """Source names and versions are short lowercase slugs (they become object keys)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise IndexFormatError(
            f"{kind} {name!r} is invalid; use 1-63 of a-z, 0-9, '-', '_', starting alphanumeric"
        )
    return name


def version_prefix(source: str, version: str) -> str:
    """`indexes/<source>/<version>/`."""
    return f"indexes/{check_name('source', source)}/{check_name('version', version)}/"


@dataclass(frozen=True)
class Chunk:
    """One searchable piece of a page, with everything needed to cite it."""

    id: str
    source: str
    path: str
    title: str
    heading_path: list[str]
    url: str
    line_start: int
    line_end: int
    text: str
    content_hash: str
    commit: str | None = None
    last_modified: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        try:
            return cls(**data)
        except TypeError as exc:
            raise IndexFormatError(f"chunk record is malformed: {exc}") from None

    @property
    def keyword_text(self) -> str:
        """What BM25 indexes: title and headings weigh in alongside the body."""
        return " ".join([self.title, *self.heading_path, self.text])


@dataclass(frozen=True)
class ModelInfo:
    """The embedding model a version was built with."""

    id: str
    dimension: int
    fingerprint: str


@dataclass(frozen=True)
class Manifest:
    """Describes one immutable index version."""

    source: str
    version: str
    model: ModelInfo
    chunk_count: int
    commit: str | None
    created_at: str
    builder_version: str
    files: dict[str, dict[str, Any]]
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format_version") != FORMAT_VERSION:
                raise IndexFormatError(
                    f"index format {raw.get('format_version')!r} is not {FORMAT_VERSION}; "
                    "rebuild the index with this Thoth version (nox -s refresh -- ... --full)"
                )
            raw["model"] = ModelInfo(**raw["model"])
            manifest = cls(**raw)
        except IndexFormatError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexFormatError(f"manifest is malformed: {exc}") from None
        missing = [name for name in FILES if name not in manifest.files]
        if missing:
            raise IndexFormatError(f"manifest lists no {', '.join(missing)}; the version is incomplete")
        return manifest
