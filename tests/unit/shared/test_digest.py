"""File and stream hashes: one hashlib.file_digest path for local files and object-store streams."""

from __future__ import annotations

import hashlib
import io

import pytest

from thoth.shared.digest import stream_sha256
from thoth.shared.errors import OversizedObject


class ReadOnlyBody:
    """Like botocore's StreamingBody: `read(n)` and nothing else a file would have."""

    def __init__(self, data: bytes, step: int = 1000) -> None:
        self._data = data
        self._step = step  # answers shorter than asked, as a network stream does

    def read(self, size: int = -1) -> bytes:
        size = self._step if size < 0 else min(size, self._step)
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


def test_stream_hash_and_size_match_hashlib() -> None:
    data = bytes(range(256)) * 5000  # over file_digest's 256 KiB buffer
    expected = hashlib.sha256(data).hexdigest()
    assert stream_sha256(io.BytesIO(data)) == (expected, len(data))
    assert stream_sha256(ReadOnlyBody(data)) == (expected, len(data))


def test_empty_stream() -> None:
    assert stream_sha256(io.BytesIO(b"")) == (hashlib.sha256(b"").hexdigest(), 0)


def test_a_limited_stream_is_copied_and_stops_one_byte_past_the_limit() -> None:
    data = bytes(range(256)) * 5000
    sink = io.BytesIO()
    assert stream_sha256(ReadOnlyBody(data), sink=sink, limit=len(data)) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    assert sink.getvalue() == data
    endless = io.BufferedReader(io.BytesIO(data * 100))
    with pytest.raises(OversizedObject, match="more than the 1000 bytes"):
        stream_sha256(endless, limit=1000)
    assert endless.tell() == 1001
