"""SHA-256 of files and object streams, through `hashlib.file_digest` (one place, no hand-rolled loops)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any, Protocol

from thoth.shared.errors import OversizedObject


class Readable(Protocol):
    """Anything with `read(n) -> bytes`: an open file, BytesIO, botocore's StreamingBody."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _CountingReader(io.RawIOBase):
    """A binary reader over any `read(n)` stream (an S3 body too) that counts the bytes it passes on,
    copies them to `sink`, and stops with OversizedObject once more than `limit` come."""

    def __init__(self, inner: Readable, sink: Writable | None = None, limit: int | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.sink = sink
        self.limit = limit
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Never more than one byte past the limit is asked for: an endless stream costs nothing more.
        want = len(buffer) if self.limit is None else min(len(buffer), self.limit + 1 - self.size)
        data = self.inner.read(want)
        count = len(data)
        self.size += count
        if self.limit is not None and self.size > self.limit:
            raise OversizedObject(f"the stream holds more than the {self.limit} bytes expected")
        buffer[:count] = data
        if self.sink is not None:
            self.sink.write(data)
        return count


def file_sha256(path: Path | str) -> str:
    """The hex SHA-256 of a local file's bytes."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def update_from_file(digest: Any, path: Path | str) -> None:
    """Feed a local file's bytes into a running hash object (for digests over several files)."""
    with open(path, "rb") as handle:
        hashlib.file_digest(handle, lambda: digest)


def stream_sha256(
    stream: Readable, *, sink: Writable | None = None, limit: int | None = None
) -> tuple[str, int]:
    """(hex SHA-256, byte count) of everything left in a binary stream, e.g. ObjectStore.open().

    `sink`: where the bytes are copied as they pass; `limit`: OversizedObject as soon as the stream
    holds more (at most one byte past it is read).
    """
    reader = _CountingReader(stream, sink, limit)
    return hashlib.file_digest(reader, "sha256").hexdigest(), reader.size
