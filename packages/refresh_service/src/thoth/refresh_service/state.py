"""Per-source refresh state in the shared state store (partition `source#<name>`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from thoth.shared.state import StateStore

RUN_HISTORY = 50
MAX_SKIPPED_IN_HISTORY = 50


def partition(source: str) -> str:
    return f"source#{source}"


@dataclass(frozen=True)
class FileState:
    """What the last published version holds for one file."""

    digest: str
    chunk_ids: list[str]
    skipped: str | None = None
    includes: dict[str, str] = field(default_factory=dict)  # Hugo includes read: path → digest ("": missing)


@dataclass(frozen=True)
class Strike:
    """A file that ran over its parse budget: with which content, how many times, and why."""

    digest: str
    count: int
    reason: str


class SourceState:
    """Meta (last commit, version, chunker), files, parse strikes, checkpoint and run history of a source."""

    def __init__(self, state: StateStore, source: str) -> None:
        self.state = state
        self.source = source
        self.pk = partition(source)

    def meta(self) -> dict[str, Any]:
        item = self.state.get(self.pk, "meta")
        return item.value if item else {}

    def set_meta(self, value: dict[str, Any]) -> None:
        self.state.put(self.pk, "meta", value)

    def files(self) -> dict[str, FileState]:
        out = {}
        for item in self.state.query(self.pk, "file#"):
            value = item.value
            includes = value.get("includes")
            out[item.sk[len("file#") :]] = FileState(
                str(value.get("digest", "")),
                list(value.get("chunks", [])),
                value.get("skipped"),
                {str(k): str(v) for k, v in includes.items()} if isinstance(includes, dict) else {},
            )
        return out

    def put_file(self, path: str, file: FileState) -> None:
        value: dict[str, Any] = {"digest": file.digest, "chunks": file.chunk_ids}
        if file.skipped:
            value["skipped"] = file.skipped
        if file.includes:
            value["includes"] = file.includes
        self.state.put(self.pk, f"file#{path}", value)

    def delete_file(self, path: str) -> None:
        self.state.delete(self.pk, f"file#{path}")

    def strikes(self) -> dict[str, Strike]:
        out = {}
        for item in self.state.query(self.pk, "strike#"):
            value = item.value
            count = value.get("count")
            out[item.sk[len("strike#") :]] = Strike(
                str(value.get("digest", "")),
                count if isinstance(count, int) and not isinstance(count, bool) else 1,
                str(value.get("reason", "")),
            )
        return out

    def put_strike(self, path: str, strike: Strike) -> None:
        value = {"digest": strike.digest, "count": strike.count, "reason": strike.reason[:500]}
        self.state.put(self.pk, f"strike#{path}", value)

    def delete_strike(self, path: str) -> None:
        self.state.delete(self.pk, f"strike#{path}")

    def checkpoint(self) -> dict[str, Any] | None:
        item = self.state.get(self.pk, "checkpoint")
        return item.value if item else None

    def set_checkpoint(self, value: dict[str, Any] | None) -> None:
        if value is None:
            self.state.delete(self.pk, "checkpoint")
        else:
            self.state.put(self.pk, "checkpoint", value)

    def record_run(self, report: dict[str, Any]) -> None:
        """Append a run report (skipped list trimmed) and drop history beyond RUN_HISTORY runs."""
        entry = dict(report)
        entry["skipped"] = list(entry.get("skipped", []))[:MAX_SKIPPED_IN_HISTORY]
        entry["warnings"] = list(entry.get("warnings", []))[:MAX_SKIPPED_IN_HISTORY]
        # Nanoseconds in the key: runs finishing within one second still sort in order.
        self.state.put(self.pk, f"run#{time.time_ns():020d}#{report['run_id']}", entry)
        runs = self.state.query(self.pk, "run#")
        for item in runs[: max(0, len(runs) - RUN_HISTORY)]:
            self.state.delete(self.pk, item.sk)

    def runs(self) -> list[dict[str, Any]]:
        """Run reports, oldest first."""
        return [item.value for item in self.state.query(self.pk, "run#")]
