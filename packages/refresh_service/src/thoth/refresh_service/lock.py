"""One refresh per source at a time: a state item created only if absent, with a TTL."""

from __future__ import annotations

import os
import socket
import time

from thoth.refresh_service.state import partition
from thoth.shared.state import Item, StateStore

DEFAULT_TTL_S = 20 * 60  # longer than a 15-minute Lambda invocation; a crashed run's lock expires


class SourceLock:
    """Acquire with `acquire()`; `refresh()` extends it during long runs; `release()` only if still ours."""

    def __init__(self, state: StateStore, source: str, run_id: str, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.state = state
        self.pk = partition(source)
        self.run_id = run_id
        self.ttl_s = ttl_s
        self._item: Item | None = None
        self._refreshed = 0.0

    def _value(self) -> dict[str, object]:
        return {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time()}

    def acquire(self) -> bool:
        self._item = self.state.create(self.pk, "lock", self._value(), ttl_s=self.ttl_s)
        self._refreshed = time.monotonic()
        return self._item is not None

    def holder(self) -> str | None:
        item = self.state.get(self.pk, "lock")
        return str(item.value.get("run_id")) if item else None

    def refresh(self, min_interval_s: float = 30.0) -> bool:
        """Extend the TTL (at most every `min_interval_s`); False if the lock was lost."""
        if self._item is None:
            return False
        if time.monotonic() - self._refreshed < min_interval_s:
            return True
        item = self.state.swap(self.pk, "lock", self._value(), expected_rev=self._item.rev, ttl_s=self.ttl_s)
        self._refreshed = time.monotonic()
        if item is None:
            self._item = None
            return False
        self._item = item
        return True

    def release(self) -> None:
        if self._item is not None:
            self.state.delete(self.pk, "lock", expected_rev=self._item.rev)
            self._item = None
