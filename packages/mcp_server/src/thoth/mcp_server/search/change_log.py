"""The change records recent_changes reads: only those newer than `since`, each fetched once per process.

A record is immutable (one per published version), so it is cached by (source, version). The list of
records is cached per live version: a publish moves the pointer, and the next call lists again. A
record that is missing or unreadable is skipped and logged; the answer covers the others.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Final

from thoth.shared.errors import ThothError
from thoth.shared.history import read_record, record_versions
from thoth.shared.live import LivePointer
from thoth.shared.storage import ObjectStore

log = logging.getLogger(__name__)
CACHED_RECORDS: Final = 512
FETCH_THREADS: Final = 8

_lock = threading.Lock()
_records: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
_listings: dict[tuple[str, str], tuple[str, list[tuple[str, datetime]]]] = {}


def _listing(store: ObjectStore, pointer: LivePointer) -> list[tuple[str, datetime]]:
    """(version, publish time) of the source's records, newest first; cached while the live version holds."""
    key = (store.describe(), pointer.source)
    with _lock:
        cached = _listings.get(key)
    if cached is not None and cached[0] == pointer.version:
        return cached[1]
    found = sorted(record_versions(store, pointer.source), key=lambda item: item[1], reverse=True)
    # The live version's record is written just after the flip: cache only once it is there.
    if any(version == pointer.version for version, _ in found):
        with _lock:
            _listings[key] = (pointer.version, found)
    return found


def _fetch(store: ObjectStore, source: str, version: str) -> dict[str, Any] | None:
    key = (store.describe(), source, version)
    with _lock:
        if key in _records:
            _records.move_to_end(key)
            return _records[key]
    try:
        record = read_record(store, source, version)
    except ThothError as exc:  # missing (expired just now) or malformed: the other records still count
        log.warning("change record skipped", extra={"source": source, "version": version, "error": str(exc)})
        return None
    with _lock:
        _records[key] = record
        while len(_records) > CACHED_RECORDS:
            _records.popitem(last=False)
    return record


def records_since(store: ObjectStore, pointers: list[LivePointer], since: datetime) -> list[dict[str, Any]]:
    """The records of `pointers`' sources published at or after `since`, newest first."""
    wanted: list[tuple[datetime, str, str]] = []
    for pointer in pointers:
        wanted += [(when, pointer.source, v) for v, when in _listing(store, pointer) if when >= since]
    wanted.sort(reverse=True)
    if not wanted:
        return []
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(wanted))) as pool:
        fetched = list(pool.map(lambda item: _fetch(store, item[1], item[2]), wanted))
    return [record for record in fetched if record is not None]
