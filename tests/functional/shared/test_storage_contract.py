"""One contract for every object-store backend (local directory and S3 via moto)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from thoth.shared.errors import InvalidKey, ObjectNotFound, StorageError, TruncatedObject
from thoth.shared.storage import LocalObjectStore, ObjectStore


def test_put_get_roundtrip(store: ObjectStore) -> None:
    store.put("indexes/handbook/v1/manifest.json", b'{"a": 1}')
    assert store.get("indexes/handbook/v1/manifest.json") == b'{"a": 1}'
    assert store.exists("indexes/handbook/v1/manifest.json")


def test_missing_object_raises_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound, match="nope"):
        store.get("nope")
    with pytest.raises(ObjectNotFound):
        store.open("dir/nope")
    assert not store.exists("nope")


def test_overwrite_replaces_whole_object(store: ObjectStore) -> None:
    store.put("k", b"x" * 1000)
    store.put("k", b"short")
    assert store.get("k") == b"short"


def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    for key in ["b/2", "a/1", "a/0", "ab", "c"]:
        store.put(key, key.encode())
    assert list(store.list("a/")) == ["a/0", "a/1"]
    assert list(store.list("a")) == ["a/0", "a/1", "ab"]
    assert list(store.list()) == ["a/0", "a/1", "ab", "b/2", "c"]
    assert list(store.list("zzz/")) == []


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.put("x/y/z", b"1")
    store.delete("x/y/z")
    store.delete("x/y/z")
    assert not store.exists("x/y/z")
    assert list(store.list("x/")) == []


def test_streaming_large_object(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with open(source, "wb") as handle:
        for _ in range(12):
            handle.write(block)
    store.put_file("big/blob", source)
    target = tmp_path / "out" / "blob"
    store.download("big/blob", target)
    assert target.read_bytes() == source.read_bytes()
    with store.open("big/blob") as stream:
        assert stream.read(1024) == block[:1024]


def test_download_of_missing_object_leaves_nothing(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        store.download("absent", tmp_path / "dl" / "file")
    assert not (tmp_path / "dl" / "file").exists()
    assert list((tmp_path / "dl").iterdir()) == []


@pytest.mark.parametrize(
    "key", ["", "/etc/passwd", "../escape", "a/../b", "a//b", "./a", "a/./b", "sp ace", "new\nline", "a\\b"]
)
def test_unsafe_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put(key, b"x")
    with pytest.raises(InvalidKey):
        store.get(key)


def test_readers_never_see_half_written_objects(store: ObjectStore) -> None:
    if not isinstance(store, LocalObjectStore):
        pytest.skip("S3 PUTs are atomic by AWS's guarantee; moto's in-memory objects are not thread-safe")
    old, new = b"A" * 300_000, b"B" * 300_000
    store.put("hot", old)
    seen: set[bytes] = set()
    errors: list[Exception] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                data = store.get("hot")
            except Exception as exc:  # surfaced below: a reader must never fail
                errors.append(exc)
                return
            seen.add(data[:1] + data[-1:] + str(len(data)).encode())

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(10):
        store.put("hot", new)
        store.put("hot", old)
    stop.set()
    reader.join()
    assert errors == []
    assert seen <= {b"AA300000", b"BB300000"}


def test_range_reads(store: ObjectStore) -> None:
    data = bytes(range(256)) * 40
    store.put("indexes/h/v1/index.bin", data)
    assert store.get_range("indexes/h/v1/index.bin", 0, 1) == data[:1]
    assert store.get_range("indexes/h/v1/index.bin", 1000, 2000) == data[1000:3000]
    assert store.get_range("indexes/h/v1/index.bin", len(data) - 7, 7) == data[-7:]


@pytest.mark.parametrize(("start", "length"), [(10_230, 20), (10_240, 1), (99_999, 5)])
def test_range_past_the_end_is_a_truncated_object(store: ObjectStore, start: int, length: int) -> None:
    store.put("k", b"x" * 10_240)
    with pytest.raises(TruncatedObject, match="truncated"):
        store.get_range("k", start, length)


@pytest.mark.parametrize(("start", "length"), [(-1, 5), (0, 0), (0, -3), (True, 1), ("0", 1), (0, 1.5)])
def test_bad_ranges_are_refused_before_the_backend(store: ObjectStore, start: object, length: object) -> None:
    store.put("k", b"data")
    with pytest.raises(StorageError, match="range"):
        store.get_range("k", start, length)  # type: ignore[arg-type]


def test_range_of_a_missing_object_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.get_range("indexes/none/v1/texts.bin", 0, 10)


@pytest.mark.parametrize("key", ["indexes/handbook\n/v1", "manifest.json\n", "a/b\r"])
def test_keys_with_line_breaks_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        store.put(key, b"x")
