"""One refresh per source at a time: a state item created only if absent, held by a short lease.

A heartbeat thread renews the lease while the run lives, through every stage (snapshot, parse,
embed, publish), so a run killed outright (SIGKILL: the Lambda time limit, an out-of-memory kill)
frees its source within LEASE_S. A lock whose holder is a dead process on this very machine
(same hostname and boot id) is taken over at once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from thoth.refresh_service.state import partition
from thoth.shared.errors import ThothError
from thoth.shared.logging import get_logger
from thoth.shared.state import Item, StateStore

LEASE_S = 120.0  # how long a dead run's lock outlives it, at most
RENEW_FRACTION = 0.25  # renewed every LEASE_S / 4: three renewals may fail before the lease runs out
log = get_logger(__name__)


@lru_cache(maxsize=1)
def host_id() -> str:
    """This machine: its hostname and, where Linux tells it, its boot id (two Lambda sandboxes or
    containers can share a hostname; they never share a boot)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        boot = "?"
    return f"{socket.gethostname()}/{boot}"


def process_alive(pid: int) -> bool:
    """Whether `pid` is a running (not zombie) process on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"  # a killed process its parent has not reaped


class Holder(NamedTuple):
    """Who holds a source's lock, from the lock item."""

    run_id: str
    host: str
    pid: int | None
    started_at: float | None
    lease_ends_at: float | None

    @classmethod
    def of(cls, item: Item) -> Holder:
        value = item.value
        pid, started = value.get("pid"), value.get("started_at", value.get("at"))
        return cls(
            run_id=str(value.get("run_id", "?")),
            host=str(value.get("host", "?")),
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
            started_at=float(started) if isinstance(started, int | float) else None,
            lease_ends_at=float(item.expires_at) if item.expires_at is not None else None,
        )

    def dead_here(self) -> bool:
        """True when the holder was a process on this machine that no longer runs."""
        return self.host == host_id() and self.pid is not None and not process_alive(self.pid)

    def describe(self, source: str, now: float) -> str:
        """What a `locked` report says: who, for how long, until when, and what to do."""
        who = f"run {self.run_id}" + (f", pid {self.pid} on {self.host.split('/')[0]}" if self.pid else "")
        held = f" for {now - self.started_at:.0f} s" if self.started_at is not None else ""
        if self.lease_ends_at is None:
            until = "; it holds no lease (delete the lock item to free the source)"
        else:
            end = datetime.fromtimestamp(self.lease_ends_at, UTC).isoformat(timespec="seconds")
            until = (
                f"; its lease ends at {end} (in {max(0.0, self.lease_ends_at - now):.0f} s) unless the run "
                "renews it: retry after that. A run that was killed frees the source by then"
            )
        return f"another refresh ({who}) has held the lock of {source!r}{held}{until}"


class SourceLock:
    """`acquire()` takes the lock and starts its heartbeat; `release()` stops it and frees the lock.

    `refresh()` answers whether the lock is still ours (False once a renewal found it taken).
    """

    def __init__(self, state: StateStore, source: str, run_id: str, lease_s: float = LEASE_S) -> None:
        self.state = state
        self.source = source
        self.pk = partition(source)
        self.run_id = run_id
        self.lease_s = lease_s
        self._item: Item | None = None
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = time.time()
        self.held_by: Holder | None = None  # after a failed acquire: who holds it

    def _value(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "host": host_id(), "pid": os.getpid(),
            "started_at": self._started_at, "at": time.time(),
        }  # fmt: skip

    def acquire(self) -> bool:
        """Take the lock (or a dead local holder's), start the heartbeat; False, with `held_by`, if held."""
        item = self.state.create(self.pk, "lock", self._value(), ttl_s=self.lease_s)
        if item is None:
            current = self.state.get(self.pk, "lock")
            holder = Holder.of(current) if current is not None else None
            if current is not None and holder is not None and holder.dead_here():
                item = self.state.swap(
                    self.pk, "lock", self._value(), expected_rev=current.rev, ttl_s=self.lease_s
                )
                if item is not None:
                    log.warning(
                        "took over the lock of a refresh that died on this machine",
                        extra={"source": self.source, "dead_run": holder.run_id, "dead_pid": holder.pid},
                    )
            elif current is None:  # freed between the two calls
                item = self.state.create(self.pk, "lock", self._value(), ttl_s=self.lease_s)
            if item is None:
                latest = self.state.get(self.pk, "lock")
                self.held_by = Holder.of(latest) if latest is not None else holder
                return False
        self._item = item
        self._thread = threading.Thread(target=self._beat, name=f"thoth-lock-{self.source}", daemon=True)
        self._thread.start()
        return True

    def holder(self) -> str | None:
        item = self.state.get(self.pk, "lock")
        return str(item.value.get("run_id")) if item else None

    def _renew(self) -> bool:
        with self._guard:
            if self._item is None:
                return False
            item = self.state.swap(
                self.pk, "lock", self._value(), expected_rev=self._item.rev, ttl_s=self.lease_s
            )
            self._item = item
            return item is not None

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_s * RENEW_FRACTION):
            try:
                if not self._renew():
                    log.error("lost the lock; the run stops at its next check", extra={"source": self.source})
                    return
            except ThothError as exc:  # the state store hiccuped: the next beat tries again
                log.warning("could not renew the lock", extra={"source": self.source, "error": str(exc)})

    def refresh(self) -> bool:
        """Whether the lock is still ours (the heartbeat renews it; this only reads that outcome)."""
        with self._guard:
            return self._item is not None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._guard:
            if self._item is not None:
                self.state.delete(self.pk, "lock", expected_rev=self._item.rev)
                self._item = None
