"""The live pointer of each source: which version readers should serve (state pk `live`).

numpy-free on purpose: the MCP server's /health reads pointers on a cold start without
loading the index package. Both services use this one type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from thoth.shared.errors import StateError
from thoth.shared.state import Item, StateStore

PARTITION = "live"
# What to do when a version's model fingerprint is not the query encoder's. A fingerprint covers the
# model's files and its settings (pooling, length, prefixes), so both sides must use the same ones.
MODEL_MISMATCH_FIX = (
    "embed the index and export the encoder from the same model and settings: rebuild the index "
    "(refresh --full) with the encoder's THOTH_EMBEDDING_MODEL and prefixes, or export the index's model "
    "(nox -s build_encoder with its settings) and point THOTH_ENCODER_DIR at it"
)


@dataclass(frozen=True)
class LivePointer:
    """Points a source at one complete, verified index version."""

    source: str
    version: str
    commit: str | None
    created_at: str
    chunk_count: int
    fingerprint: str
    rev: int = 0

    def value(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rev")
        return data

    @classmethod
    def from_item(cls, item: Item) -> LivePointer:
        """The pointer in a state item; fields a newer writer added are ignored, missing ones refused."""
        value = item.value
        try:
            pointer = cls(
                source=str(value.get("source", item.sk)),
                version=str(value["version"]),
                commit=None if value.get("commit") is None else str(value["commit"]),
                created_at=str(value["created_at"]),
                chunk_count=int(value["chunk_count"]),
                fingerprint=str(value["fingerprint"]),
                rev=item.rev,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(
                f"live pointer for {item.sk!r} is malformed ({exc!r}); re-run a refresh"
            ) from None
        return pointer


def read_live(state: StateStore, source: str) -> LivePointer | None:
    """The source's live pointer, or None before its first publish."""
    item = state.get(PARTITION, source)
    return LivePointer.from_item(item) if item else None


def list_live(state: StateStore) -> list[LivePointer]:
    """Every source's live pointer, sorted by source name (one query)."""
    return [LivePointer.from_item(item) for item in state.query(PARTITION)]


def swap_live(state: StateStore, pointer: LivePointer, expected: LivePointer | None) -> LivePointer | None:
    """Flip the pointer only if it still is `expected` (None: not yet published); None when we lost."""
    if expected is None:
        item = state.create(PARTITION, pointer.source, pointer.value())
    else:
        item = state.swap(PARTITION, pointer.source, pointer.value(), expected_rev=expected.rev)
    return LivePointer.from_item(item) if item else None
