"""The object-store interface and key rules shared by every backend."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from thoth.shared.errors import InvalidKey, StorageError, TruncatedObject

CHUNK_SIZE = 1024 * 1024
# fullmatch: `$` would accept a trailing newline ("index\n").
_KEY_PART_RE = re.compile(r"[A-Za-z0-9._+=@,-]+")


def validate_key(key: str, *, prefix: bool = False) -> str:
    """Return `key` if it is a safe relative key like `indexes/handbook/v1/manifest.json`.

    Prefixes may be empty or end with '/'.
    """
    if not isinstance(key, str):
        raise InvalidKey(f"object key must be a string, got {type(key).__name__}")
    if prefix and key == "":
        return key
    body = key[:-1] if prefix and key.endswith("/") else key
    if not body:
        raise InvalidKey("object key is empty; use a relative key such as 'indexes/handbook/manifest.json'")
    if body.startswith("/"):
        raise InvalidKey(f"object key {key!r} starts with '/'; keys are relative, e.g. 'indexes/x'")
    for part in body.split("/"):
        if part in ("", ".", ".."):
            raise InvalidKey(f"object key {key!r} has an empty, '.' or '..' segment; remove it")
        if not _KEY_PART_RE.fullmatch(part):
            raise InvalidKey(f"object key {key!r} has characters outside [A-Za-z0-9._+=@,-] in {part!r}")
    if len(key.encode()) > 1024:
        raise InvalidKey(f"object key is {len(key.encode())} bytes; the limit is 1024")
    return key


def check_range(key: str, start: int, length: int) -> None:
    """Refuse a negative or empty byte range before it reaches a backend."""
    if isinstance(start, bool) or isinstance(length, bool) or not isinstance(start, int):
        raise StorageError(f"range of {key!r} must be integers, got {start!r}+{length!r}")
    if not isinstance(length, int) or start < 0 or length <= 0:
        raise StorageError(f"range of {key!r} must have start >= 0 and length > 0, got {start}+{length}")


def short_read(key: str, start: int, length: int, got: int) -> TruncatedObject:
    return TruncatedObject(
        f"object {key!r} ended early: asked for {length} bytes at offset {start}, got {got}; "
        "the object is truncated (republish the version with the refresh service)"
    )


class ObjectStore(Protocol):
    """Immutable-friendly blob store. Writes are atomic: readers see the old object or the new one."""

    def get(self, key: str) -> bytes:
        """The object's bytes; ObjectNotFound if absent."""

    def get_range(self, key: str, start: int, length: int) -> bytes:
        """Exactly `length` bytes from offset `start`; ObjectNotFound if absent, StorageError if short."""

    def put(self, key: str, data: bytes) -> None:
        """Write the whole object atomically."""

    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file atomically, streaming it."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object (close it); ObjectNotFound if absent."""

    def download(self, key: str, path: Path) -> None:
        """Stream the object into `path`, atomically (a temp file renamed into place)."""

    def exists(self, key: str) -> bool:
        """Whether the object exists."""

    def delete(self, key: str) -> None:
        """Remove the object; absent is not an error."""

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under `prefix`, in lexicographic order."""

    def describe(self) -> str:
        """Where the store lives, for logs and reports."""
