"""The SQLite state file under concurrent first use: opening it never fails because another opens it.

SQLite answers SQLITE_BUSY without calling the busy handler when waiting could deadlock, as two
connections switching a new file to WAL at once can; the store must wait that out, not report a
"corrupt" file (the refresh lock test saw exactly that: one run failed before taking its lock).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from thoth.shared.errors import StateError
from thoth.shared.state import SqliteStateStore

ROUNDS = 40
WORKERS = 4


def test_a_new_state_file_used_by_several_connections_at_once(tmp_path: Path) -> None:
    errors: list[str] = []
    winners: list[int] = []
    for round_ in range(ROUNDS):
        path = tmp_path / f"state-{round_}.sqlite3"
        # One store per worker, as separate processes (two CLI runs) would have.
        stores = [SqliteStateStore(path) for _ in range(WORKERS)]
        barrier = threading.Barrier(WORKERS)

        def use(
            worker: int, stores: list[SqliteStateStore] = stores, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            try:
                if worker % 2:
                    stores[worker].get("source#docs", "lock")
                elif stores[worker].create("source#docs", "lock", {"run": worker}, ttl_s=60) is not None:
                    winners.append(worker)
            except StateError as exc:
                errors.append(str(exc))

        threads = [threading.Thread(target=use, args=(i,)) for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert len(winners) == ROUNDS  # exactly one creator per file took the lock


def test_a_locked_file_is_not_called_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteStateStore(path)
    store.put("p", "s", {"n": 1})
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        other = SqliteStateStore(path, busy_timeout_s=0.2)
        try:
            other.put("p", "s", {"n": 2})
        except StateError as exc:
            message = str(exc)
        else:
            raise AssertionError("a write under an exclusive lock succeeded")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in message and "move it aside" not in message
    assert store.get("p", "s") is not None
