"""Two runs at once: exactly one publishes, the other reports `locked` (who, until when); a crashed
run's lock frees when its lease ends, or at once when its process on this machine is gone."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.support.refresh import PAGES, CountingEmbedder, make_services, run, write_tree
from thoth.refresh_service.lock import LEASE_S, host_id
from thoth.refresh_service.report import RunReport
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.state import SourceState, partition
from thoth.shared.live import read_live
from thoth.shared.state import SqliteStateStore


def test_concurrent_runs_one_publishes_the_other_is_locked(
    tmp_path: Path, services: Services, embedder: CountingEmbedder
) -> None:
    write_tree(tmp_path / "docs", PAGES)
    config = SourceConfig("docs", "dir", str(tmp_path / "docs"))
    embedder.gate = threading.Event()
    results: list[RunReport] = []
    first = threading.Thread(target=lambda: results.append(run(config, services)))
    first.start()
    try:
        # The poll opens the state file while the first run does: two processes starting at once.
        deadline = time.monotonic() + 30
        while services.state.get(partition("docs"), "lock") is None:
            # A first run that ended without its lock must say why now, not as a wrong status later.
            assert first.is_alive(), f"the first run ended early: {[(r.status, r.error) for r in results]}"
            assert time.monotonic() < deadline, "the first run took no lock within 30 s"
            time.sleep(0.01)
        # A second process with its own store objects (same files), as two CLI runs would be.
        other = make_services(tmp_path / "home", embedder)
        second = run(config, other)
    finally:
        embedder.gate.set()  # never leave the first run blocked on the gate, even after a failure
        first.join(60)
    assert second.status == "locked"
    assert "another refresh" in (second.error or "")
    assert [r.status for r in results] == ["ok"]
    pointer = read_live(services.state, "docs")
    assert pointer is not None and pointer.version == results[0].index_version
    statuses = sorted(r["status"] for r in SourceState(services.state, "docs").runs())
    assert statuses == ["locked", "ok"]


def test_lock_of_a_crashed_run_elsewhere_frees_the_source_when_its_lease_ends(
    tmp_path: Path, services: Services
) -> None:
    write_tree(tmp_path / "docs", PAGES)
    now = [float(int(time.time()))]
    services.state = SqliteStateStore(tmp_path / "state.sqlite3", clock=lambda: now[0])
    crashed = {"run_id": "crashed", "host": "sandbox-2/0badb007", "pid": 8, "started_at": now[0] - 300}
    lock = services.state.create(partition("docs"), "lock", crashed, ttl_s=LEASE_S)
    assert lock is not None and lock.expires_at == now[0] + LEASE_S
    config = SourceConfig("docs", "dir", str(tmp_path / "docs"))
    locked = run(config, services)
    assert locked.status == "locked"
    assert locked.error is not None and "run crashed, pid 8 on sandbox-2" in locked.error
    assert re.search(r"has held the lock of 'docs' for 30\d s", locked.error), locked.error
    end = datetime.fromtimestamp(lock.expires_at, UTC).isoformat(timespec="seconds")
    assert re.search(rf"its lease ends at {re.escape(end)} \(in 1[012]\d s\)", locked.error), locked.error
    assert "retry after that" in locked.error
    now[0] += LEASE_S + 1
    assert run(config, services).status == "ok"


def test_lock_of_a_dead_process_on_this_machine_is_taken_over_at_once(
    tmp_path: Path, services: Services
) -> None:
    write_tree(tmp_path / "docs", PAGES)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # gone and reaped: its pid names no process now
    services.state.create(
        partition("docs"), "lock", {"run_id": "dead", "host": host_id(), "pid": dead.pid}, ttl_s=LEASE_S
    )
    report = run(SourceConfig("docs", "dir", str(tmp_path / "docs")), services)
    assert report.status == "ok", report.error
    assert services.state.get(partition("docs"), "lock") is None  # released after the run
