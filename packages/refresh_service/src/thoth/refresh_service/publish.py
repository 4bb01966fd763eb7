"""Write, verify and atomically publish an index version; keep the last N, collect the rest."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from thoth.refresh_service import __version__
from thoth.refresh_service.embed import Vectors
from thoth.shared.errors import StorageError, ThothError
from thoth.shared.index import Chunk, ModelInfo, verify_version, write_version
from thoth.shared.index.format import check_name
from thoth.shared.live import LivePointer, swap_live
from thoth.shared.logging import get_logger
from thoth.shared.state import StateStore
from thoth.shared.storage import ObjectStore

BUILDER = f"thoth-refresh-service {__version__}"
log = get_logger(__name__)


class PublishError(ThothError):
    """A version could not be published; the previous live version keeps serving."""


def new_version() -> str:
    """A sortable, unique version name such as v20260101-120000-123456-ab12."""
    return check_name(
        "version", "v" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f") + "-" + secrets.token_hex(2)
    )


def remove_version(store: ObjectStore, source: str, version: str) -> None:
    """Delete a version's objects, manifest first so no reader takes it for complete."""
    prefix = f"indexes/{source}/{version}/"
    try:
        keys = list(store.list(prefix))
        for key in sorted(keys, key=lambda k: not k.endswith("manifest.json")):
            store.delete(key)
    except StorageError as exc:
        log.warning(
            "could not remove version", extra={"source": source, "version": version, "error": str(exc)}
        )


def publish(
    store: ObjectStore,
    state: StateStore,
    source: str,
    chunks: Sequence[Chunk],
    vectors: Vectors,
    *,
    model: ModelInfo,
    commit: str | None,
    expected: LivePointer | None,
    page_vectors: Mapping[str, Vectors] | None = None,
    extra: dict[str, object] | None = None,
    version: str | None = None,
) -> LivePointer:
    """Write → verify → compare-and-swap the live pointer; on any failure the version is removed.

    `version`: the name new_version() gave the caller (which dates its chunks by it); default a new one.
    """
    version = version or new_version()
    try:
        manifest = write_version(
            store,
            source,
            version,
            chunks,
            vectors,
            model=model,
            commit=commit,
            builder_version=BUILDER,
            extra=extra,
            page_vectors=page_vectors,
        )
        verify_version(store, source, version)
        pointer = LivePointer(
            source=source,
            version=version,
            commit=commit,
            created_at=manifest.created_at,
            chunk_count=manifest.chunk_count,
            fingerprint=model.fingerprint,
        )
        flipped = swap_live(state, pointer, expected)
    except BaseException as exc:
        remove_version(store, source, version)
        if isinstance(exc, ThothError | OSError):
            raise PublishError(
                f"publishing {source}/{version} failed, the previous version stays live: {exc}"
            ) from exc
        raise
    if flipped is None:
        remove_version(store, source, version)
        raise PublishError(
            f"the live pointer of {source!r} changed during this run (another refresh published); "
            "re-run the refresh"
        )
    return flipped


def collect_garbage(store: ObjectStore, source: str, live: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions (never the live one); returns removed versions."""
    versions = sorted({key.split("/")[2] for key in store.list(f"indexes/{source}/") if key.count("/") >= 3})
    kept = set(versions[-keep:]) | {live}
    removed = [v for v in versions if v not in kept]
    for version in removed:
        remove_version(store, source, version)
    return removed
