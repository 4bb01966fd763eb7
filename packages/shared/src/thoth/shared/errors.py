"""Errors a user can hit; each message names the cause and the fix."""

from __future__ import annotations


class ThothError(Exception):
    """Base class for every error Thoth raises on purpose."""


class ConfigError(ThothError):
    """A setting is missing or malformed."""


class StorageError(ThothError):
    """The object store failed or was asked for something invalid."""


class ObjectNotFound(StorageError):
    """The object does not exist."""


class TruncatedObject(StorageError):
    """An object is shorter than the byte range asked for (a truncated or replaced upload)."""


class OversizedObject(StorageError):
    """An object is longer than expected (a replaced or padded upload); reading stopped past the size."""


class InvalidKey(StorageError):
    """An object key is unsafe or malformed (absolute, `..`, empty parts)."""


class StateError(ThothError):
    """The state store failed or holds something it cannot read."""


class IndexFormatError(ThothError):
    """An index version is incomplete, corrupt or incompatible."""
