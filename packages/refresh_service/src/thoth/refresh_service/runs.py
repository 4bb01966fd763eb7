"""What one refresh run is given: how to run (RunOptions) and what it talks to (Services)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from thoth.refresh_service.chunk import ChunkSettings
from thoth.refresh_service.embed import Embedder
from thoth.refresh_service.markup.budget import DEFAULT_SECONDS
from thoth.refresh_service.report import ProgressFn
from thoth.refresh_service.settings import RefreshSettings
from thoth.shared.config import Settings
from thoth.shared.errors import ThothError
from thoth.shared.secrets import Secrets
from thoth.shared.state import StateStore
from thoth.shared.storage import ObjectStore

MODES = ("incremental", "full")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunOptions:
    """How to run: mode, git ref, deadline (seconds left) and progress reporting."""

    mode: str = "incremental"
    ref: str | None = None
    remaining_s: Callable[[], float] | None = None
    reserve_s: float = 30.0
    progress: ProgressFn | None = None
    embed_batch: int = 256  # chunks per encode() call; the deadline is checked between calls
    flush_every: int = 1024


@dataclass
class Services:
    """Everything a refresh talks to; tests swap in faulty stores or a counting embedder.

    `settings` are the process's (backends, secrets, and `cache_dir` for git clones: /tmp on Lambda,
    where only it is writable); `refresh` the refresh's own (file size cap, versions kept, fan-out
    queue, sources file). Neither is copied into fields of its own.
    """

    store: ObjectStore
    state: StateStore
    embedder: Embedder
    settings: Settings
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    secrets: Secrets | None = None
    parse_budget_s: float = DEFAULT_SECONDS  # parse + chunk of one file; over it the file is skipped


class DeadlineNear(ThothError):
    """Control flow inside a run, never raised to a caller: checkpoint and return a partial report."""

    def __init__(self) -> None:
        super().__init__(
            "the invocation's deadline is near; progress is checkpointed and the next run resumes "
            "(raise the function timeout to finish in one run)"
        )
