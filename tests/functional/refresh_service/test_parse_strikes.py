"""The parse stage cannot stall refreshes: a file over its budget twice (same content) is skipped
until it changes, recorded in the refresh state; and parsing stops before the run's deadline, the
run ending `partial` (checkpointed, with its report) instead of being killed mid-parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.refresh import live_index, run, write_tree
from thoth.refresh_service.chunk import ChunkSettings, chunk_document
from thoth.refresh_service.markup import budget as budget_module
from thoth.refresh_service.markup import parse_document
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.state import SourceState
from thoth.shared.live import read_live

SLOW = "## Same\n" * 60_000 + "\nThe last section has text.\n"  # seconds of parsing: over 0.5 s


@pytest.fixture
def slow_site(tmp_path: Path, services: Services, monkeypatch: pytest.MonkeyPatch) -> SourceConfig:
    write_tree(
        tmp_path / "docs",
        {"a.md": "# Fine\n\nCanaries.\n", "slow.md": SLOW, "z.md": "# Also fine\n\nRollbacks.\n"},
    )
    chunk_document(  # the parsers' one-time setup is not what the budget should time
        parse_document("warm.md", b"# w\n\n    x\n"), source="s", url="u", commit=None, last_modified=None,
        settings=ChunkSettings(),
    )  # fmt: skip
    services.parse_budget_s = 0.5
    monkeypatch.setattr(budget_module, "CHECK_EVERY", 1)
    return SourceConfig("docs", "dir", str(tmp_path / "docs"))


def test_a_file_over_its_budget_twice_is_skipped_until_it_changes(
    tmp_path: Path, services: Services, slow_site: SourceConfig
) -> None:
    first = run(slow_site, services)
    assert first.status == "ok" and first.files_skipped == 1
    assert first.skipped[0]["path"] == "slow.md" and "retried next run" in first.skipped[0]["reason"]
    assert SourceState(services.state, "docs").strikes()["slow.md"].count == 1
    second = run(slow_site, services, mode="full")  # a full run parses every file again
    assert [s["path"] for s in second.skipped] == ["slow.md"]
    assert "over budget 2 times: skipped until the file changes" in second.skipped[0]["reason"]
    # Remembered: however much time it would get now, the same content is not parsed again.
    services.parse_budget_s = 60.0
    third = run(slow_site, services, mode="full")
    assert third.status == "ok" and [s["path"] for s in third.skipped] == ["slow.md"]
    assert "skipped until the file changes" in third.skipped[0]["reason"]
    assert {c.path for c in live_index(services, "docs", tmp_path / "3").chunks} == {"a.md", "z.md"}
    # Changed, it gets its chances again (and is indexed now that it parses in time).
    write_tree(Path(slow_site.location), {"slow.md": "# Fixed\n\nShort now.\n"})
    fourth = run(slow_site, services)
    assert fourth.status == "ok" and fourth.skipped == []
    assert "slow.md" in {c.path for c in live_index(services, "docs", tmp_path / "4").chunks}
    assert "slow.md" not in SourceState(services.state, "docs").strikes()


def _seconds_left(*values: float) -> Iterator[float]:
    yield from values
    while True:
        yield values[-1]


def test_parsing_stops_before_the_deadline_and_the_next_run_resumes(
    tmp_path: Path, services: Services, slow_site: SourceConfig
) -> None:
    services.parse_budget_s = 60.0
    # Time for a.md, then less than the reserve and one file's budget: slow.md is never started.
    left = _seconds_left(900.0, 80.0)
    partial = run(slow_site, services, remaining_s=lambda: next(left), reserve_s=30.0)
    assert partial.status == "partial" and partial.extra["stopped_in"] == "parse"
    assert read_live(services.state, "docs") is None  # nothing half-built was published
    assert SourceState(services.state, "docs").checkpoint() is not None
    resumed = run(slow_site, services)
    assert resumed.status == "ok" and resumed.resumed is True
    assert {c.path for c in live_index(services, "docs", tmp_path).chunks} == {"a.md", "slow.md", "z.md"}
