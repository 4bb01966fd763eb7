"""Two runs at once: exactly one publishes, the other reports `locked`; a crashed run's lock expires."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.support.refresh import PAGES, CountingEmbedder, make_services, run, write_tree
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


def test_lock_of_a_crashed_run_expires(tmp_path: Path, services: Services) -> None:
    write_tree(tmp_path / "docs", PAGES)
    now = [1_000_000.0]
    services.state = SqliteStateStore(tmp_path / "state.sqlite3", clock=lambda: now[0])
    services.state.create(partition("docs"), "lock", {"run_id": "crashed"}, ttl_s=1200)
    config = SourceConfig("docs", "dir", str(tmp_path / "docs"))
    assert run(config, services).status == "locked"
    now[0] += 1201
    assert run(config, services).status == "ok"
