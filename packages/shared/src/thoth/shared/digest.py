"""SHA-256 of files and object streams, through `hashlib.file_digest` (one place, no hand-rolled loops)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any, Protocol


class Readable(Protocol):
    """Anything with `read(n) -> bytes`: an open file, BytesIO, botocore's StreamingBody."""

    def read(self, size: int = -1, /) -> bytes: ...


class _CountingReader(io.RawIOBase):
    """A binary reader over any `read(n)` stream (an S3 body too) that counts the bytes it passes on."""

    def __init__(self, inner: Readable) -> None:
        super().__init__()
        self.inner = inner
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.size += count
        return count


def file_sha256(path: Path | str) -> str:
    """The hex SHA-256 of a local file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def update_from_file(digest: Any, path: Path | str) -> None:
    """Feed a local file's bytes into a running hash object (for digests over several files)."""
    with open(path, "rb") as handle:
        hashlib.file_digest(handle, lambda: digest)


def stream_sha256(stream: Readable) -> tuple[str, int]:
    """(hex SHA-256, byte count) of everything left in a binary stream, e.g. ObjectStore.open()."""
    reader = _CountingReader(stream)
    return hashlib.file_digest(reader, "sha256").hexdigest(), reader.size
