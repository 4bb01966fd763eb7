"""What a reader knows before it fetches a version's data, checked against the version's manifest.

numpy-free, like `format` and `table`: the MCP server's /health path reads a live version's manifest
through this module (a small GET) to tell whether the version can be served, without loading it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from thoth.shared.errors import IndexFormatError, ObjectNotFound
from thoth.shared.index.format import Manifest, version_prefix
from thoth.shared.index.table import check_table
from thoth.shared.live import MODEL_MISMATCH_FIX

if TYPE_CHECKING:
    from thoth.shared.storage import ObjectStore

MANIFEST = "manifest.json"


def read_manifest(store: ObjectStore, source: str, version: str) -> tuple[Manifest, bytes]:
    """The parsed manifest of `source/version` and its bytes; IndexFormatError when absent or malformed."""
    prefix = version_prefix(source, version)
    try:
        data = store.get(prefix + MANIFEST)
    except ObjectNotFound:
        raise IndexFormatError(f"index version {prefix} has no manifest; it is incomplete") from None
    return Manifest.from_bytes(data), data


def check_model(manifest: Manifest, expected_fingerprint: str | None) -> None:
    if expected_fingerprint is not None and manifest.model.fingerprint != expected_fingerprint:
        raise IndexFormatError(
            f"index {manifest.source}/{manifest.version} was built with model fingerprint "
            f"{manifest.model.fingerprint} ({manifest.model.id}), but this server's query encoder is "
            f"{expected_fingerprint}; {MODEL_MISMATCH_FIX}"
        )


def check_names(manifest: Manifest, source: str, version: str) -> None:
    if manifest.source != source or manifest.version != version:
        raise IndexFormatError(
            f"the manifest of {source}/{version} describes {manifest.source}/{manifest.version}; "
            "refusing a version published under another name"
        )


class Expected(NamedTuple):
    """The query encoder's fingerprint, the live pointer's chunk count, the process's memory budget
    (None: unchecked), and whether texts.bin is read whole into memory."""

    fingerprint: str | None = None
    chunks: int | None = None
    budget: int | None = None
    with_texts: bool = False

    def check(self, manifest: Manifest, source: str, version: str) -> None:
        """IndexFormatError naming the first way `manifest` cannot be served as `source/version`."""
        check_names(manifest, source, version)
        check_model(manifest, self.fingerprint)
        if self.chunks is not None and manifest.chunk_count != self.chunks:
            raise IndexFormatError(
                f"index {source}/{version} holds {manifest.chunk_count} chunks, its live pointer says "
                f"{self.chunks}; republish it with the refresh service"
            )
        check_table(manifest, self.budget, with_texts=self.with_texts)
