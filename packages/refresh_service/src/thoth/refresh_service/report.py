"""The run report (returned by the handler, printed by the CLI, kept in the run history) and progress."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from thoth.refresh_service.sources.snapshot import Skipped

STATUSES = ("ok", "unchanged", "partial", "locked", "queued", "error")


@dataclass
class RunReport:
    """What a refresh did; `status` is one of STATUSES."""

    source: str
    run_id: str
    started_at: str
    mode: str
    status: str = "error"
    kind: str | None = None
    index_version: str | None = None
    previous_version: str | None = None
    commit: str | None = None
    previous_commit: str | None = None
    change_detection: str | None = None
    files_total: int = 0
    files_added: int = 0
    files_modified: int = 0
    files_renamed: int = 0
    files_deleted: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    # Problems that did not stop a page from being indexed (a missing include, a broken Hugo config).
    warnings: list[dict[str, str]] = field(default_factory=list)
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    pages_embedded: int = 0
    embeddings_per_s: float = 0.0
    versions_removed: list[str] = field(default_factory=list)
    resumed: bool = False
    error: str | None = None
    finished_at: str | None = None
    duration_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def metric_values(self) -> dict[str, float]:
        """This run as metrics (names from thoth.shared.metrics), for the run's EMF record."""
        changed = self.files_added + self.files_modified + self.files_renamed + self.files_deleted
        return {
            "RefreshRuns": 1,
            "RefreshDuration": self.duration_s,
            "RefreshFailed": 1 if self.status == "error" else 0,
            "Published": 1 if self.status == "ok" and self.index_version != self.previous_version else 0,
            "FilesChanged": changed,
            "FilesSkipped": self.files_skipped,
            "ChunksEmbedded": self.chunks_embedded,
            "EmbeddingsPerSecond": self.embeddings_per_s,
        }

    def skip(self, item: Skipped) -> None:
        self.skipped.append({"path": item.path, "reason": item.reason})
        self.files_skipped = len(self.skipped)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append({"path": path, "warning": message})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One human line: what happened and where."""
        head = f"{self.source}: {self.status}"
        if self.status in ("ok", "unchanged", "partial"):
            head += (
                f" — version {self.index_version or '-'} at {(self.commit or 'no commit')[:12]}; "
                f"files +{self.files_added} ~{self.files_modified} >{self.files_renamed} "
                f"-{self.files_deleted} "
                f"skipped {self.files_skipped}; "
                + (f"warnings {len(self.warnings)}; " if self.warnings else "")
                + f"chunks {self.chunks_total} "
                f"(embedded {self.chunks_embedded}, reused {self.chunks_reused}); {self.duration_s:.1f}s"
            )
        if self.error:
            head += f" — {self.error}"
        return head


@dataclass(frozen=True)
class Progress:
    """A progress snapshot for long runs."""

    stage: str
    files_done: int
    files_total: int
    chunks: int
    embedded: int
    to_embed: int
    rate: float  # embeddings per second
    eta_s: float | None


ProgressFn = Callable[[Progress], None]


class Meter:
    """Tracks embedding throughput for progress lines and the report."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.seconds = 0.0
        self.count = 0

    def add(self, count: int, seconds: float) -> None:
        self.count += count
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def eta(self, remaining: int) -> float | None:
        return remaining / self.rate if self.rate > 0 else None
