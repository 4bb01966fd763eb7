"""Object store on S3 (boto3, created lazily); S3 PUTs are atomic by nature."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from thoth.shared import aws
from thoth.shared.config import Settings
from thoth.shared.errors import ObjectNotFound, StorageError
from thoth.shared.storage.base import CHUNK_SIZE, check_range, short_read, validate_key

_MISSING = ("NoSuchKey", "404", "NotFound")


class S3ObjectStore:
    """Objects in `bucket` under an optional key `prefix`."""

    def __init__(self, bucket: str, prefix: str = "", settings: Settings | None = None) -> None:
        self.bucket = bucket
        self.prefix = validate_key(prefix, prefix=True)
        self._settings = settings

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def _s3(self) -> Any:
        return aws.client("s3", self._settings)

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _fail(self, exc: Exception, action: str, key: str) -> StorageError:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in _MISSING:
            return ObjectNotFound(f"object {key!r} not found in {self.describe()}")
        if code == "NoSuchBucket":
            return StorageError(
                f"bucket {self.bucket!r} does not exist; create it (nox -s infra) or fix S3_BUCKET_NAME"
            )
        return StorageError(aws.describe_error(exc, f"{action} {self.describe()}{key}"))

    def put(self, key: str, data: bytes) -> None:
        full = self._key(key)
        try:
            self._s3.put_object(Bucket=self.bucket, Key=full, Body=bytes(data))
        except Exception as exc:
            raise self._fail(exc, "put", key) from None

    def put_file(self, key: str, path: Path) -> None:
        full = self._key(key)
        try:
            # upload_file switches to multipart above 8 MB; the object appears only when complete.
            self._s3.upload_file(str(path), self.bucket, full)
        except Exception as exc:
            raise self._fail(exc, "upload", key) from None

    def get(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def get_range(self, key: str, start: int, length: int) -> bytes:
        check_range(key, start, length)
        full = self._key(key)
        try:
            response = self._s3.get_object(
                Bucket=self.bucket, Key=full, Range=f"bytes={start}-{start + length - 1}"
            )
            data: bytes = response["Body"].read()
        except Exception as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "InvalidRange":
                raise short_read(key, start, length, 0) from None
            raise self._fail(exc, "get", key) from None
        if len(data) != length:
            raise short_read(key, start, length, len(data))
        return data

    def open(self, key: str) -> BinaryIO:
        full = self._key(key)
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=full)
        except Exception as exc:
            raise self._fail(exc, "get", key) from None
        return cast(BinaryIO, response["Body"])

    def download(self, key: str, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle, self.open(key) as body:
                for chunk in iter(lambda: body.read(CHUNK_SIZE), b""):
                    handle.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def exists(self, key: str) -> bool:
        full = self._key(key)
        try:
            self._s3.head_object(Bucket=self.bucket, Key=full)
        except Exception as exc:
            error = self._fail(exc, "head", key)
            if isinstance(error, ObjectNotFound):
                return False
            raise error from None
        return True

    def delete(self, key: str) -> None:
        full = self._key(key)
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=full)
        except Exception as exc:
            raise self._fail(exc, "delete", key) from None

    def list(self, prefix: str = "") -> Iterator[str]:
        full = self.prefix + validate_key(prefix, prefix=True)
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full)
            keys = [obj["Key"][len(self.prefix) :] for page in pages for obj in page.get("Contents", [])]
        except Exception as exc:
            raise self._fail(exc, "list", prefix) from None
        return iter(sorted(keys))
