"""The manifest beside each built zip (`<name>.json`): written by the build, read by build and deploy.

Every manifest records at least the zip's `sha256`, `zip_bytes` and `unzipped_bytes` (see `ZipFacts`),
plus what the builder adds (cache key, distributions, …). Stdlib only: deploy venvs import it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def unzipped_bytes(path: Path) -> int:
    """What a zip's members add up to once extracted (what Lambda counts against its budget)."""
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


@dataclass(frozen=True)
class ZipFacts:
    """A zip as its bytes are now; the fields every manifest records."""

    path: Path
    sha256: str
    zip_bytes: int
    unzipped_bytes: int

    @property
    def name(self) -> str:
        return self.path.stem

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "zip_bytes": self.zip_bytes, "unzipped_bytes": self.unzipped_bytes}


def measure(path: Path) -> ZipFacts:
    """Hash and size a zip from its bytes (raises zipfile.BadZipFile when it is not one)."""
    unzipped = unzipped_bytes(path)
    return ZipFacts(path, sha256_file(path), path.stat().st_size, unzipped)


def manifest_path(zip_path: Path) -> Path:
    return zip_path.with_suffix(".json")


def read(zip_path: Path) -> dict[str, Any] | None:
    """The manifest beside `zip_path` as written, or None when it is missing or not a JSON object."""
    try:
        data = json.loads(manifest_path(zip_path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describes(meta: dict[str, Any], facts: ZipFacts) -> bool:
    """True when a manifest records exactly these bytes."""
    return meta.get("sha256") == facts.sha256 and meta.get("zip_bytes") == facts.zip_bytes


def current(zip_path: Path, cache_key: str | None = None) -> dict[str, Any] | None:
    """The manifest when it still describes the zip's bytes (and, given a key, was built from it)."""
    meta = read(zip_path)
    if meta is None or not zip_path.is_file():
        return None
    if cache_key is not None and meta.get("cache_key") != cache_key:
        return None
    # The size first: a cheap stat settles most mismatches before the zip is hashed.
    if meta.get("zip_bytes") != zip_path.stat().st_size or not describes(meta, measure(zip_path)):
        return None
    return meta


def reuse(zip_path: Path, cache_key: str, log: Callable[[str], None]) -> dict[str, Any] | None:
    """`current(zip_path, cache_key)`, saying so when the build can be skipped."""
    meta = current(zip_path, cache_key)
    if meta is not None:
        log(f"{zip_path.name} is up to date ({meta['zip_bytes']:,} bytes); nothing rebuilt")
    return meta


def publish(tmp_zip: Path, final_zip: Path, meta: dict[str, Any]) -> None:
    """Move a finished zip and its manifest into place; the manifest goes last so a reader sees both."""
    final_zip.parent.mkdir(parents=True, exist_ok=True)
    meta_path = manifest_path(final_zip)
    tmp_meta = meta_path.with_name(meta_path.name + ".tmp")
    tmp_meta.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    if meta_path.exists():
        meta_path.unlink()  # a stale manifest must never describe the new zip
    os.replace(tmp_zip, final_zip)
    os.replace(tmp_meta, meta_path)
