"""A variable-width string table (UTF-8 bytes + uint32 offsets): no fixed width set by the longest entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError


def encode_strings(values: Sequence[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32]]:
    """(bytes, offsets) of `values`; entry i is bytes[offsets[i]:offsets[i + 1]]."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e) for e in encoded], dtype=np.int64)
    if offsets[-1] >= 2**32:
        raise IndexFormatError("a string table holds 4 GiB or more; split the source")
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets.astype(np.uint32)


class StringTable(Sequence[str]):
    """Strings decoded on access; `find` is a binary search (the table must be sorted for it)."""

    def __init__(self, data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.uint32], what: str) -> None:
        if offsets.ndim != 1 or offsets.shape[0] < 1 or int(offsets[0]) != 0:
            raise IndexFormatError(f"{what}: offsets must start at 0")
        if int(offsets[-1]) != data.shape[0] or bool(np.any(offsets[1:] < offsets[:-1])):
            raise IndexFormatError(f"{what}: offsets are not increasing up to the data size")
        self._data = data.tobytes()
        self._offsets = offsets.astype(np.int64)
        self._what = what

    def encoded(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint32]]:
        """(bytes, offsets) as stored."""
        return np.frombuffer(self._data, dtype=np.uint8), self._offsets.astype(np.uint32)

    def __len__(self) -> int:
        return int(self._offsets.shape[0]) - 1

    def raw(self, i: int) -> bytes:
        return self._data[int(self._offsets[i]) : int(self._offsets[i + 1])]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i = i + len(self) if i < 0 else i
        try:
            return self.raw(i).decode()
        except UnicodeDecodeError:
            raise IndexFormatError(f"{self._what}: entry {i} is not UTF-8") from None

    def all(self) -> list[str]:
        """Every entry, decoded in one pass."""
        try:
            text = self._data.decode()
        except UnicodeDecodeError:
            raise IndexFormatError(f"{self._what} is not UTF-8") from None
        if text.isascii():  # byte offsets are character offsets
            bounds = self._offsets.tolist()
            return [text[bounds[k] : bounds[k + 1]] for k in range(len(self))]
        return [self[k] for k in range(len(self))]

    def find(self, value: str) -> int:
        """Index of `value` in a sorted table, or -1 (UTF-8 byte order is code point order)."""
        key = value.encode()
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.raw(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self) and self.raw(lo) == key else -1
