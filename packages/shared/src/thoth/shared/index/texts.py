"""texts.bin: chunk records as JSON lines in independent zstd blocks, read by range only for the hits.

Blocks of about 64 KiB keep a hit's fetch small (a few KiB compressed) while zstd still finds the
repeated metadata (path, title, URL, commit) inside a block; the block table lives in index.bin.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError
from thoth.shared.index.format import Chunk
from thoth.shared.index.sections import compressor, decompress_block

# 64 KiB: 4% smaller than 32 KiB on the benchmark corpus, and a hit's range GET costs its round
# trip, not its ~25 KB.
BLOCK_BYTES = 64 * 1024
BLOCK_LIMIT = 64 * 1024 * 1024  # a block holds at least one chunk; none is near this
CACHED_BLOCKS = 128  # decoded blocks kept per version (about 4,000 chunks)
PARALLEL = 8

ReadRange = Callable[[int, int], bytes]


def encode_texts(chunks: Iterable[Chunk]) -> tuple[bytes, npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
    """(texts.bin, block byte offsets [B + 1], block first rows [B + 1])."""
    zstd = compressor()
    frames: list[bytes] = []
    offsets, rows = [0], [0]
    pending: list[bytes] = []
    size = 0
    row = 0

    def flush() -> None:
        nonlocal size
        frame = zstd.compress(b"".join(pending))
        frames.append(frame)
        offsets.append(offsets[-1] + len(frame))
        rows.append(row)
        pending.clear()
        size = 0

    for chunk in chunks:
        line = (chunk.to_json() + "\n").encode()
        pending.append(line)
        size += len(line)
        row += 1
        if size >= BLOCK_BYTES:
            flush()
    if pending:
        flush()
    return b"".join(frames), np.array(offsets, dtype=np.uint64), np.array(rows, dtype=np.uint32)


def check_blocks(offsets: npt.NDArray[Any], rows: npt.NDArray[Any], size: int, count: int) -> None:
    """The block table must tile texts.bin and the rows exactly, in order."""
    if offsets.shape != rows.shape or offsets.ndim != 1 or offsets.shape[0] < 1:
        raise IndexFormatError("texts block table has inconsistent shapes")
    if int(offsets[0]) != 0 or int(offsets[-1]) != size or np.any(offsets[1:] <= offsets[:-1]):
        raise IndexFormatError(f"texts block offsets do not tile texts.bin ({size} bytes)")
    if int(rows[0]) != 0 or int(rows[-1]) != count or np.any(rows[1:] <= rows[:-1]):
        raise IndexFormatError(f"texts block rows do not cover the {count} chunks in order")


class ChunkStore(Sequence[Chunk]):
    """Chunks by row, their blocks fetched on first access (in parallel for many rows) and kept in an LRU."""

    def __init__(
        self,
        offsets: npt.NDArray[Any],
        rows: npt.NDArray[Any],
        read: ReadRange,
        where: str,
        *,
        parallel: bool = False,
    ) -> None:
        self._offsets = offsets.astype(np.int64)
        self._rows = rows.astype(np.int64)
        self._read = read
        # Threads pay off only against a remote store's round trips: on local files they cost
        # 2.4 ms a search at 50,000 chunks (thread start-up), more than the reads they overlap.
        self._parallel = parallel
        self._where = where
        self._blocks: OrderedDict[int, _Block] = OrderedDict()
        self._lock = threading.Lock()
        self.first_read = threading.Event()  # set once a search has read its blocks (fetch waits for it)

    def __len__(self) -> int:
        return int(self._rows[-1])

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            return self.rows(range(*row.indices(len(self))))
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self.rows([row])[0]

    def __iter__(self) -> Any:
        for block in range(len(self._rows) - 1):
            yield from self._block(block)

    def rows(self, rows: Iterable[int]) -> list[Chunk]:
        """The chunks of `rows`, in that order; missing blocks fetched in parallel."""
        wanted = [int(r) for r in rows]
        if any(not 0 <= r < len(self) for r in wanted):
            raise IndexError(f"row out of range 0..{len(self) - 1}")
        blocks = np.searchsorted(self._rows, np.array(wanted, dtype=np.int64), side="right") - 1
        needed = sorted({int(b) for b in blocks} - set(self._blocks))
        if len(needed) > 1 and self._parallel:
            with ThreadPoolExecutor(max_workers=min(PARALLEL, len(needed))) as pool:
                list(pool.map(self._block, needed))
        found = [self._block(int(b))[r - int(self._rows[b])] for r, b in zip(wanted, blocks, strict=True)]
        self.first_read.set()
        return found

    def read_from(self, read: ReadRange) -> None:
        """Read blocks through `read` from now on (a checked local copy of texts.bin), without threads."""
        with self._lock:
            self._read, self._parallel = read, False

    def _block(self, block: int) -> _Block:
        with self._lock:
            cached = self._blocks.get(block)
            if cached is not None:
                self._blocks.move_to_end(block)
                return cached
        start, end = int(self._offsets[block]), int(self._offsets[block + 1])
        where = f"block {block} of {self._where}"
        data = decompress_block(self._read(start, end - start), BLOCK_LIMIT, where)
        expected = int(self._rows[block + 1] - self._rows[block])
        loaded = _Block(data, expected, where)
        with self._lock:
            self._blocks[block] = loaded
            while len(self._blocks) > CACHED_BLOCKS:
                self._blocks.popitem(last=False)
        return loaded


class _Block:
    """One decompressed block; its lines are parsed one at a time, when asked for (a hit needs one)."""

    def __init__(self, data: bytes, expected: int, where: str) -> None:
        ends: list[int] = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10).tolist()
        if data and not data.endswith(b"\n"):
            ends.append(len(data))
        if len(ends) != expected:
            raise IndexFormatError(f"{where} holds {len(ends)} chunks, the table says {expected}")
        self._data, self._ends, self._where = data, ends, where
        self._parsed: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> Chunk:
        chunk = self._parsed.get(i)
        if chunk is None:
            start = self._ends[i - 1] + 1 if i else 0
            chunk = self._parsed[i] = _chunk(self._data[start : self._ends[i]], self._where)
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))


def _chunk(line: bytes, where: str) -> Chunk:
    try:
        value = json.loads(line)
        if not isinstance(value, dict):
            raise ValueError("a chunk line is not a JSON object")
        return Chunk.from_dict(value)
    except (UnicodeDecodeError, ValueError, IndexFormatError) as exc:
        raise IndexFormatError(f"a chunk in {where} is malformed: {exc}") from None


def rows_of(chunks: Sequence[Chunk], rows: Sequence[int]) -> list[Chunk]:
    """`chunks[r]` for each row, through ChunkStore.rows when it can fetch them together."""
    if isinstance(chunks, ChunkStore):
        return chunks.rows(rows)
    return [chunks[int(r)] for r in rows]
