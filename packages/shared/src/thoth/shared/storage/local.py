"""Object store in a local directory; atomic via temp file + fsync + rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from thoth.shared.errors import ObjectNotFound, StorageError
from thoth.shared.storage.base import CHUNK_SIZE, check_range, short_read, validate_key

_TMP_PREFIX = ".tmp-"


class LocalObjectStore:
    """Objects as files under `root`; temp files never show up in listings."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"local directory {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _write_atomic(self, key: str, write: object) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(f"cannot write {key!r}: a parent of it is an object, not a prefix") from None
        except OSError as exc:
            raise StorageError(
                f"cannot write {key!r} under {self.root}: {exc.strerror}; check permissions"
            ) from None
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)  # type: ignore[operator]
                handle.flush()
                os.fsync(handle.fileno())
            if path.is_dir():
                raise StorageError(f"cannot write {key!r}: it is a prefix holding other objects")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put(self, key: str, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise StorageError(f"put({key!r}) needs bytes, got {type(data).__name__}")
        self._write_atomic(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path) -> None:
        with open(path, "rb") as source:
            self._write_atomic(key, lambda handle: shutil.copyfileobj(source, handle, CHUNK_SIZE))

    def get(self, key: str) -> bytes:
        with self.open(key) as handle:
            return handle.read()

    def get_range(self, key: str, start: int, length: int) -> bytes:
        check_range(key, start, length)
        with self.open(key) as handle:
            handle.seek(start)
            data = handle.read(length)
        if len(data) != length:
            raise short_read(key, start, length, len(data))
        return data

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(f"object {key!r} not found in {self.describe()}") from None

    def download(self, key: str, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.open(key) as source:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    shutil.copyfileobj(source, handle, CHUNK_SIZE)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Drop now-empty parent directories so prefixes vanish like they do in S3.
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_key(prefix, prefix=True)
        if not self.root.is_dir():
            return iter(())
        keys = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(_TMP_PREFIX):
                    continue
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))
