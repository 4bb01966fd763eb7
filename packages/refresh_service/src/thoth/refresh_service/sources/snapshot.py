"""Sources: list a snapshot of files (path, content digest) and read them; dir, S3 and git kinds."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.gitdates import checkout_dates
from thoth.shared.config import Settings
from thoth.shared.digest import file_sha256
from thoth.shared.errors import StorageError, ThothError
from thoth.shared.storage import S3ObjectStore


class SourceError(ThothError):
    """A source cannot be reached or read; the message never holds a credential."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a snapshot: path relative to the source root and a digest of its bytes."""

    path: str
    digest: str
    size: int
    last_modified: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A file left out of the index, and why."""

    path: str
    reason: str


@dataclass
class Snapshot:
    """What a source holds right now; `read` returns a file's bytes."""

    kind: str
    revision: str | None
    files: dict[str, FileEntry]
    read: Callable[[str], bytes]
    skipped: list[Skipped] = field(default_factory=list)
    # From a git diff against the previous revision: old path -> new path.
    renames: dict[str, str] | None = None
    close: Callable[[], None] = lambda: None


_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: `**/` any directories (or none), `*` within a segment, `?` one char."""
    cached = _GLOB_CACHE.get(pattern)
    if cached is not None:
        return cached
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    compiled = re.compile("^" + "".join(out) + r"\Z")
    _GLOB_CACHE[pattern] = compiled
    return compiled


def selected(path: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """Whether `path` matches an include glob and no exclude glob."""
    return any(glob_regex(p).match(path) for p in include) and not any(
        glob_regex(p).match(path) for p in exclude
    )


def is_git_metadata(path: str) -> bool:
    """Whether `path` lies in a `.git` folder (any case: git itself refuses `.GIT` too)."""
    return any(part.casefold() == ".git" for part in path.split("/"))


def link_refusal(target: str, config: SourceConfig) -> str | None:
    """Why a symlink to `target` (a path inside the source) must not be followed, or None.

    A link is read as its target, so the target must pass the same rules as a file
    path: never git metadata (a remote URL there may hold a token), never an excluded path.
    """
    if is_git_metadata(target):
        return "symlink points into .git (git metadata can hold credentials); remove the link"
    if any(glob_regex(p).match(target) for p in config.exclude):
        return f"symlink points into an excluded path ({target}); remove the link or narrow exclude"
    return None


_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


def unsafe_path(path: str) -> str | None:
    """Why `path` cannot be indexed safely (absolute, '..', control characters), or None."""
    if not path or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute or empty path (path traversal); rename the file inside the source"
    if _BAD_CHARS.search(path):
        return "path holds a backslash or control character; rename the file"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "path has an empty, '.' or '..' segment (path traversal); rename the file"
    return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def dir_snapshot(config: SourceConfig) -> Snapshot:
    """Files under a local directory; symlinks leaving it are skipped, directory links not followed."""
    root = Path(config.location)
    if not root.is_dir():
        raise SourceError(f"{config.describe()}: {root} is not a directory; fix the location")
    real_root = root.resolve()
    files: dict[str, FileEntry] = {}
    real: dict[str, Path] = {}  # what each file is read from: a link's target as checked here
    skipped: list[Skipped] = []
    for dirpath, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d.casefold() != ".git")
        for d in list(dirs):
            full = Path(dirpath, d)
            if full.is_symlink():
                rel = full.relative_to(root).as_posix()
                inside = full.resolve().is_relative_to(real_root)
                skipped.append(
                    Skipped(
                        rel,
                        "symlinked directory not followed" if inside else "symlink points outside the source",
                    )
                )
                dirs.remove(d)
        for name in sorted(names):
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            if not selected(rel, config.include, config.exclude):
                continue
            reason = unsafe_path(rel)
            target = full
            if reason is None and full.is_symlink():
                target = full.resolve()
                if not target.is_relative_to(real_root):
                    reason = "symlink points outside the source"
                else:
                    reason = link_refusal(target.relative_to(real_root).as_posix(), config)
            if reason is None and not target.is_file():
                reason = "not a regular file (dangling symlink, device or socket)"
            if reason:
                skipped.append(Skipped(rel, reason))
                continue
            stat = target.stat()
            files[rel] = FileEntry(rel, "sha256:" + file_sha256(target), stat.st_size, _iso(stat.st_mtime))
            real[rel] = target

    # In a git checkout a file's time is when it was checked out: its last commit says when it changed.
    for path, when in checkout_dates(root, real).items():
        files[path] = dataclasses.replace(files[path], last_modified=when)

    def read(path: str) -> bytes:
        return real[path].read_bytes()

    return Snapshot("dir", None, files, read, skipped)


def s3_snapshot(config: SourceConfig, settings: Settings | None = None) -> Snapshot:
    """Objects under an S3 prefix (digest = sha256 of the bytes)."""
    bucket, _, prefix = config.location[len("s3://") :].partition("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        store = S3ObjectStore(bucket, prefix, settings=settings)
        keys = list(store.list())
    except StorageError as exc:
        raise SourceError(f"{config.describe()}: {exc}") from None
    files: dict[str, FileEntry] = {}
    skipped: list[Skipped] = []
    for key in keys:
        if not selected(key, config.include, config.exclude):
            continue
        reason = unsafe_path(key)
        if reason is None:
            try:
                data = store.get(key)
            except StorageError as exc:
                reason = f"cannot read object: {exc}"
        if reason:
            skipped.append(Skipped(key, reason))
            continue
        files[key] = FileEntry(key, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))
    return Snapshot("s3", None, files, store.get, skipped)
