"""State store in one SQLite file (WAL); safe across threads and processes."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from thoth.shared.errors import StateError
from thoth.shared.state.base import Clock, Item, check_key, decode_value, encode_value, expiry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL, v TEXT NOT NULL,
    rev INTEGER NOT NULL, expires_at INTEGER,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO items (pk, sk, v, rev, expires_at) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (pk, sk) DO UPDATE SET v = excluded.v, rev = items.rev + 1, expires_at = excluded.expires_at
"""
BUSY_TIMEOUT_S = 30.0


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised without an error code: only the message says so
        return "locked" in str(exc) or "busy" in str(exc)
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class SqliteStateStore:
    """Items in `path`; conditional writes run inside BEGIN IMMEDIATE transactions."""

    def __init__(self, path: Path, clock: Clock = time.time, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # The timeout is SQLite's busy handler: a locked file is waited for, not an error.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open state file {self.path}: {exc}; check THOTH_HOME") from None
        try:
            self._prepare(conn)
        except sqlite3.OperationalError as exc:
            conn.close()
            raise self._unavailable(exc) from None
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._corrupt(exc) from None
        self._local.conn = conn
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """WAL mode and the schema, retried while another connection holds the file.

        SQLite answers SQLITE_BUSY at once, without its busy handler, where waiting could deadlock:
        two connections switching a new file to WAL at the same moment is such a case. Both
        statements are idempotent, so the loser retries until the busy timeout.
        """
        deadline = time.monotonic() + self._busy_timeout_s
        pause = 0.002
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def _unavailable(self, exc: Exception) -> StateError:
        return StateError(f"state file {self.path}: {exc}; check that it is writable and not locked")

    def _corrupt(self, exc: Exception) -> StateError:
        return StateError(
            f"state file {self.path} is unreadable ({exc}); move it aside and re-run "
            "(a refresh rebuilds it; published indexes are kept in the object store)"
        )

    def _run(self, write: bool, body: Any) -> Any:
        conn = self._connect()
        try:
            if not write:
                return body(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT: a transaction left open would keep this thread's
                # connection holding the write lock and reading a stale snapshot from then on.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(exc) from None

    def _row(self, conn: sqlite3.Connection, pk: str, sk: str) -> Item | None:
        row = conn.execute("SELECT v, rev, expires_at FROM items WHERE pk=? AND sk=?", (pk, sk)).fetchone()
        if row is None or (row[2] is not None and row[2] <= self._clock()):
            return None
        return Item(pk, sk, decode_value(row[0], pk, sk), row[1], row[2])

    def _write(self, conn: sqlite3.Connection, pk: str, sk: str, text: str, exp: int | None) -> Item:
        conn.execute(_UPSERT, (pk, sk, text, exp))
        item = self._row(conn, pk, sk)
        assert item is not None
        return item

    def get(self, pk: str, sk: str) -> Item | None:
        check_key(pk, sk)
        result: Item | None = self._run(False, lambda c: self._row(c, pk, sk))
        return result

    def put(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item:
        check_key(pk, sk)
        text, exp = encode_value(value), expiry(self._clock(), ttl_s)
        result: Item = self._run(True, lambda c: self._write(c, pk, sk, text, exp))
        return result

    def create(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item | None:
        check_key(pk, sk)
        text, exp = encode_value(value), expiry(self._clock(), ttl_s)

        def body(conn: sqlite3.Connection) -> Item | None:
            if self._row(conn, pk, sk) is not None:
                return None
            return self._write(conn, pk, sk, text, exp)

        result: Item | None = self._run(True, body)
        return result

    def swap(
        self, pk: str, sk: str, value: dict[str, Any], *, expected_rev: int, ttl_s: float | None = None
    ) -> Item | None:
        check_key(pk, sk)
        text, exp = encode_value(value), expiry(self._clock(), ttl_s)

        def body(conn: sqlite3.Connection) -> Item | None:
            current = self._row(conn, pk, sk)
            if current is None or current.rev != expected_rev:
                return None
            return self._write(conn, pk, sk, text, exp)

        result: Item | None = self._run(True, body)
        return result

    def delete(self, pk: str, sk: str, *, expected_rev: int | None = None) -> bool:
        check_key(pk, sk)

        def body(conn: sqlite3.Connection) -> bool:
            current = self._row(conn, pk, sk)
            if expected_rev is not None and (current is None or current.rev != expected_rev):
                return False
            cursor = conn.execute("DELETE FROM items WHERE pk=? AND sk=?", (pk, sk))
            return current is not None and cursor.rowcount > 0

        result: bool = self._run(True, body)
        return result

    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        check_key(pk, sk_prefix or "x")

        def body(conn: sqlite3.Connection) -> list[Item]:
            rows = conn.execute(
                "SELECT sk, v, rev, expires_at FROM items WHERE pk=? AND substr(sk, 1, ?)=? ORDER BY sk",
                (pk, len(sk_prefix), sk_prefix),
            ).fetchall()
            now = self._clock()
            return [
                Item(pk, sk, decode_value(v, pk, sk), rev, exp)
                for sk, v, rev, exp in rows
                if exp is None or exp > now
            ]

        result: list[Item] = self._run(False, body)
        return result
