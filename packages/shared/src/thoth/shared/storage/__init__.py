"""Object store: S3 on AWS, a local directory by default; atomic puts, listing, streaming."""

from __future__ import annotations

from thoth.shared.config import Settings, get_settings
from thoth.shared.storage.base import CHUNK_SIZE, ObjectStore, validate_key
from thoth.shared.storage.local import LocalObjectStore
from thoth.shared.storage.s3 import S3ObjectStore

__all__ = ["CHUNK_SIZE", "LocalObjectStore", "ObjectStore", "S3ObjectStore", "object_store", "validate_key"]


def object_store(settings: Settings | None = None) -> ObjectStore:
    """S3 when S3_BUCKET_NAME is set, else the directory THOTH_HOME/objects."""
    settings = settings or get_settings()
    if settings.s3_bucket:
        return S3ObjectStore(settings.s3_bucket, settings=settings)
    return LocalObjectStore(settings.home / "objects")
