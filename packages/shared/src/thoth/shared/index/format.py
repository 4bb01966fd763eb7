"""Records of an index version (format 3): chunks, manifest, model identity, and the manifest's checks.

Layout of `indexes/<source>/<version>/`:
  index.bin      what ranking needs, as independent zstd frames ("sections", each with its content
                 checksum): int8 vectors + scales, the vocabulary (UTF-8 + offsets), head and body
                 postings, row -> page and line columns, the page table, the text block table
  texts.bin      every chunk record as JSON lines, in zstd blocks of about 64 KiB: read by range
                 for the hits a search returns, never on the ranking path
  manifest.json  written last: every file's sha256 and size, and the table of index.bin's sections

Format 2 versions (chunks.jsonl, vectors.npy, keywords.npz) are refused with a reason naming the fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from thoth.shared.errors import IndexFormatError

FORMAT_VERSION = 3
INDEX_FILE = "index.bin"
TEXTS_FILE = "texts.bin"
FILES = (INDEX_FILE, TEXTS_FILE)
# fullmatch: `$` would accept a trailing newline ("handbook\n") and put it into an object key.
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
# Arrays a section may hold; anything else in a manifest is refused before a byte is decoded.
DTYPES = {"int8": 1, "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "float32": 4}  # name -> item size
MAX_SECTIONS = 64
# Chunk.meta key of when the chunk's section last changed: in meta, not a field of its own, so a server
# older than it still decodes the record (Chunk(**data) refuses an unknown field).
CHANGED_AT = "changed_at"


def check_name(kind: str, name: str) -> str:
    """Source names and versions are short lowercase slugs (they become object keys)."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
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
    meta: dict[str, Any] = field(default_factory=dict)  # front matter's description and aliases; changed_at

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        try:
            chunk = cls(**data)
        except TypeError as exc:
            raise IndexFormatError(f"chunk record is malformed: {exc}") from None
        chunk.check()
        return chunk

    def check(self) -> None:
        """Field types a reader relies on (a record read back from an index is not trusted)."""
        bad = [
            name
            for name in ("id", "source", "path", "title", "url", "text", "content_hash")
            if not isinstance(getattr(self, name), str)
        ]
        if not isinstance(self.heading_path, list) or not all(isinstance(h, str) for h in self.heading_path):
            bad.append("heading_path")
        for name in ("line_start", "line_end"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                bad.append(name)
        bad += [n for n in ("commit", "last_modified") if not isinstance(getattr(self, n), str | None)]
        if not isinstance(self.meta, dict):
            bad.append("meta")
        if bad:
            raise IndexFormatError(f"chunk record has fields of the wrong type: {', '.join(bad)}")

    @property
    def changed_at(self) -> str | None:
        """When this chunk's section last changed (ISO 8601, UTC), as the refresh recorded it; None in a
        version built before the refresh recorded it."""
        value = self.meta.get(CHANGED_AT) if isinstance(self.meta, dict) else None
        return value if isinstance(value, str) else None

    @property
    def head_text(self) -> str:
        """The "head" keyword field: page title, heading path and the front matter's description."""
        description = self.meta.get("description") if isinstance(self.meta, dict) else None
        parts = [self.title, *self.heading_path]
        if isinstance(description, str):
            parts.append(description)
        return " ".join(parts)

    @property
    def keyword_text(self) -> str:
        """Head and body as one text (what format 2 indexed as its single field)."""
        return " ".join([self.title, *self.heading_path, self.text])


@dataclass(frozen=True)
class ModelInfo:
    """The embedding model a version was built with."""

    id: str
    dimension: int
    fingerprint: str


@dataclass(frozen=True)
class Section:
    """One array in index.bin: a zstd frame at [offset, offset + bytes) holding `raw_bytes` bytes."""

    offset: int
    bytes: int
    raw_bytes: int
    dtype: str
    shape: tuple[int, ...]


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
    sections: dict[str, Section] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if not isinstance(raw, dict):
                raise TypeError("the manifest is not a JSON object")
            found = raw.get("format_version")
            if found != FORMAT_VERSION:
                raise IndexFormatError(
                    f"index format {found!r} is not {FORMAT_VERSION}, the one this server reads; "
                    "rebuild the index with this Thoth version (nox -s refresh -- ... --full)"
                )
            raw["model"] = _model(raw.get("model"))
            raw["sections"] = {
                str(k): _section(k, v) for k, v in _dict(raw.get("sections"), "sections").items()
            }
            manifest = cls(**raw)
        except IndexFormatError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexFormatError(f"manifest is malformed: {exc}") from None
        manifest.check()
        return manifest

    def check(self) -> None:
        """Shape of every field a reader relies on; IndexFormatError naming the first bad one."""
        for name in ("source", "version"):
            check_name(name, getattr(self, name))
        for name in ("created_at", "builder_version"):
            if not isinstance(getattr(self, name), str):
                raise IndexFormatError(f"manifest field {name!r} is not a string")
        if self.commit is not None and not isinstance(self.commit, str):
            raise IndexFormatError("manifest field 'commit' is not a string")
        if not _count(self.chunk_count):
            raise IndexFormatError(f"manifest chunk_count {self.chunk_count!r} is not a count")
        if not isinstance(self.extra, dict) or not isinstance(self.files, dict):
            raise IndexFormatError("manifest fields 'files' and 'extra' must be objects")
        missing = [name for name in FILES if name not in self.files]
        if missing:
            raise IndexFormatError(f"manifest lists no {', '.join(missing)}; the version is incomplete")
        for name, meta in self.files.items():
            if name not in FILES:
                raise IndexFormatError(f"manifest lists an unknown file {name!r}")
            if not isinstance(meta, dict) or not _count(meta.get("bytes")):
                raise IndexFormatError(f"manifest entry of {name} has no byte count")
            if not isinstance(meta.get("sha256"), str) or not _SHA256_RE.fullmatch(meta["sha256"]):
                raise IndexFormatError(f"manifest entry of {name} has no sha256")
        if len(self.sections) > MAX_SECTIONS:
            raise IndexFormatError(f"manifest lists {len(self.sections)} sections; at most {MAX_SECTIONS}")
        size = self.files[INDEX_FILE]["bytes"]
        for name, section in self.sections.items():
            if section.offset + section.bytes > size:
                raise IndexFormatError(f"section {name!r} lies past the end of {INDEX_FILE} ({size} bytes)")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{what} is not an object")
    return value


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _model(value: Any) -> ModelInfo:
    model = ModelInfo(**_dict(value, "model"))
    if not isinstance(model.id, str) or not isinstance(model.fingerprint, str):
        raise TypeError("model id and fingerprint must be strings")
    if not _count(model.dimension) or not 0 < model.dimension <= 8192:
        raise TypeError(f"model dimension {model.dimension!r} is not a positive count")
    return model


def _section(name: Any, value: Any) -> Section:
    raw = _dict(value, f"section {name!r}")
    shape = raw.get("shape")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 2 or not all(_count(d) for d in shape):
        raise TypeError(f"section {name!r} has a bad shape {shape!r}")
    section = Section(raw["offset"], raw["bytes"], raw["raw_bytes"], raw["dtype"], tuple(shape))
    if not all(_count(v) for v in (section.offset, section.bytes, section.raw_bytes)):
        raise TypeError(f"section {name!r} has bad offsets")
    if section.dtype not in DTYPES:
        raise TypeError(f"section {name!r} has dtype {section.dtype!r}, not one of {sorted(DTYPES)}")
    return section
