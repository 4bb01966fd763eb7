"""The age of every source's live index, written when a scheduled invocation starts.

The stale-index alarm watches IndexAgeSeconds. The MCP server writes it only when it re-reads
pointers (that is, when someone searches), and a run writes it when it ends, which a run killed
by the Lambda time limit or an out-of-memory kill never does. Written here first, before any run,
every schedule tick yields a data point per source, so a refresh that keeps failing, stays locked
or is killed mid-run alarms whether or not anyone searches.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from thoth.shared import metrics
from thoth.shared.errors import ThothError
from thoth.shared.live import age_s, list_live
from thoth.shared.logging import get_logger
from thoth.shared.state import StateStore

log = get_logger(__name__)


def record_ages(state: StateStore, sources: Iterable[str]) -> dict[str, float]:
    """Emit IndexAgeSeconds for each of `sources` that has a live version (one state query);
    returns what was written. A failing state store is logged, never raised: the runs go on."""
    try:
        pointers = {pointer.source: pointer for pointer in list_live(state)}
    except ThothError as exc:
        log.warning("cannot read the live pointers for the index-age metric", extra={"error": str(exc)})
        return {}
    now = time.time()
    written: dict[str, float] = {}
    for source in sources:
        pointer = pointers.get(source)
        age = age_s(pointer.created_at, now) if pointer else None
        if pointer is not None and age is not None:
            metrics.emit({"Source": source}, {"IndexAgeSeconds": age}, {"version": pointer.version})
            written[source] = age
    return written
