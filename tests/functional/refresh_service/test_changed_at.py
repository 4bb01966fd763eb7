"""Every published chunk says when its section last changed, carried across refreshes while it stays."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tests.support.refresh import PAGES, commit_all, git_init, live_index, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.history import version_time

DAY = 86400
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC).timestamp()


def iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


def section_times(services: Services, tmp: Path) -> dict[tuple[str, str], set[str | None]]:
    index = live_index(services, "hb", tmp)
    out: dict[tuple[str, str], set[str | None]] = {}
    for chunk in index.chunks:
        out.setdefault((chunk.path, (chunk.heading_path or [""])[-1]), set()).add(chunk.changed_at)
    return out


def test_a_git_source_dates_sections_by_the_commit_that_changed_them(
    tmp_path: Path, services: Services
) -> None:
    root = tmp_path / "repo"
    repo = git_init(root)
    write_tree(root, PAGES)
    commit_all(repo, "initial", when=T0)
    config = SourceConfig("hb", "git", str(root), include=("**/*.md",), base_url="https://hb.example/")
    assert run(config, services).status == "ok"
    first = section_times(services, tmp_path)
    assert first[("people/time-off.md", "Sick leave")] == {iso(T0)}  # a first build: the file's last commit

    write_tree(root, {"people/time-off.md": PAGES["people/time-off.md"].replace("25 days", "30 days")})
    commit_all(repo, "More vacation", when=T0 + DAY)
    os.rename(root / "guide/setup.md", root / "guide/install.md")
    commit_all(repo, "Rename the setup page", when=T0 + 2 * DAY)
    report = run(config, services)
    assert report.status == "ok", report.error
    second = section_times(services, tmp_path)
    assert second[("people/time-off.md", "Time off")] == {iso(T0 + DAY)}  # edited
    assert second[("people/time-off.md", "Sick leave")] == {iso(T0)}  # same file, same text
    assert second[("guide/intro.md", "Intro")] == {iso(T0)}  # untouched file
    assert second[("guide/install.md", "Configure")] == {iso(T0)}  # renamed page, same text

    write_tree(root, {"finance/expenses.md": PAGES["finance/expenses.md"].replace("60 EUR", "70 EUR")})
    commit_all(repo, "Meals to 70 EUR", when=T0 + 3 * DAY)
    assert run(config, services).status == "ok"
    third = section_times(services, tmp_path)
    assert third[("finance/expenses.md", "Expenses")] == {iso(T0 + 3 * DAY)}
    assert third[("people/time-off.md", "Time off")] == {iso(T0 + DAY)}  # carried over a second refresh
    assert third[("people/time-off.md", "Sick leave")] == {iso(T0)}


def test_a_folder_source_dates_an_edit_by_the_version_that_published_it(
    tmp_path: Path, services: Services
) -> None:
    root = tmp_path / "docs"
    write_tree(root, {"a.md": "# A\n\n## One\n\nFirst text.\n\n## Two\n\nSecond text.\n"})
    os.utime(root / "a.md", (T0, T0))
    config = SourceConfig("hb", "dir", str(root), include=("**/*.md",))
    assert run(config, services).status == "ok"
    assert section_times(services, tmp_path)[("a.md", "Two")] == {iso(T0)}  # first build: the file's time

    write_tree(root, {"a.md": "# A\n\n## One\n\nFirst text.\n\n## Two\n\nSecond text, edited.\n"})
    report = run(config, services)
    assert report.status == "ok", report.error
    published = version_time(str(report.index_version))
    assert published is not None
    times = section_times(services, tmp_path)
    assert times[("a.md", "Two")] == {published.isoformat(timespec="seconds")}
    assert times[("a.md", "One")] == {iso(T0)}
