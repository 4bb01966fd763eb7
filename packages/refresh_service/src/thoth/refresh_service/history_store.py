"""Store a version's change record beside the versions, trimmed to its size bound; expire old records.

Neither step may fail a refresh: the version is already live when they run. A failure is logged and
reported as a warning, and the next publish writes its own record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from thoth.refresh_service.changes import Changes
from thoth.refresh_service.history import change_record
from thoth.refresh_service.report import RunReport
from thoth.shared.errors import ThothError
from thoth.shared.history import MAX_RECORD_BYTES, RECORD_FORMAT, record_key, record_versions
from thoth.shared.index import Chunk
from thoth.shared.logging import get_logger
from thoth.shared.storage import ObjectStore

log = get_logger(__name__)
Commits = Mapping[str, Sequence[Mapping[str, str]]]
MAX_COMMITS_PER_PAGE = 5


def encoded(record: dict[str, Any]) -> bytes:
    """`record` as JSON within MAX_RECORD_BYTES: sentence diffs go first, then pages from the end."""
    data = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) <= MAX_RECORD_BYTES:
        return data
    for page in record["pages"]:
        for section in page["sections"]:
            section.pop("removed_text", None)
            section.pop("added_text", None)
    pages = record["pages"]
    while True:
        data = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) <= MAX_RECORD_BYTES or not pages:
            return data
        # Drop pages in proportion to the excess, at least one.
        excess = len(data) / MAX_RECORD_BYTES
        keep = min(len(pages) - 1, int(len(pages) / excess))
        record["pages"] = pages = pages[:keep]
        record["truncated"] = True


def build_record(
    source: str,
    version: str,
    report: RunReport,
    changes: Changes,
    previous: Mapping[str, Sequence[Chunk]],
    current: Mapping[str, Sequence[Chunk]],
    commits: Commits | None,
) -> dict[str, Any]:
    """The record of `version`: what it changed, when, and (git) which commits did it."""
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "source": source,
        "version": version,
        "previous_version": report.previous_version,
        "commit": report.commit,
        "previous_commit": report.previous_commit,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "detection": changes.detection,
    }
    record |= change_record(changes, previous, current)
    for page in record["pages"]:
        found = (commits or {}).get(page["path"]) or []
        page["commits"] = [dict(c) for c in found[:MAX_COMMITS_PER_PAGE]]
    return record


def write_history(store: ObjectStore, record: dict[str, Any], report: RunReport) -> bool:
    """Put the record; False (logged, warned in the report) when the store refuses it."""
    key = record_key(record["source"], record["version"])
    try:
        store.put(key, encoded(record))
    except (ThothError, OSError, ValueError) as exc:  # ValueError: a path that is not valid UTF-8
        log.warning("could not write the change record", extra={"key": key, "error": str(exc)})
        report.warn(
            "", f"change record {key} not written ({type(exc).__name__}); recent_changes will miss it"
        )
        return False
    report.extra["history_pages"] = len(record["pages"])
    return True


def expire_history(
    store: ObjectStore, source: str, days: int, report: RunReport, now: datetime | None = None
) -> list[str]:
    """Delete records older than `days`; the versions removed (never raises)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    removed: list[str] = []
    try:
        for version, when in sorted(record_versions(store, source)):
            if when < cutoff:
                store.delete(record_key(source, version))
                removed.append(version)
    except (ThothError, OSError) as exc:
        log.warning("could not expire change records", extra={"source": source, "error": str(exc)})
        report.warn("", f"old change records not expired ({type(exc).__name__}); the next run retries")
    if removed:
        report.extra["history_expired"] = len(removed)
    return removed
