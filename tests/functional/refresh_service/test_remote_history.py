"""A remote git source is fetched with the change-record window's history, so its records carry commits.

git's own server (`git daemon`) answers deepen-since; dulwich's test host does not, and gets depth 1.
The depth is read back with git itself (`git rev-list --count`, which honours the clone's shallow file).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.git_hosts import git_daemon, git_host
from tests.support.refresh import PAGES, commit_all, git_init, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.gitdates import HISTORY_LIMIT
from thoth.shared.history import read_record

DAY = 86400
INCLUDE = ("**/*.md",)


def config(url: str) -> SourceConfig:
    return SourceConfig("hb", "git", url, include=INCLUDE, base_url="https://hb.example/")


def clone_depth(services: Services, commit: str | None) -> int:
    """Commits reachable from `commit` in the refresh's clone, as git counts them."""
    clone = services.settings.cache_dir / "refresh-git" / "hb"
    done = subprocess.run(
        ["git", "rev-list", "--count", str(commit)], cwd=clone, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def subjects(services: Services, version: str | None) -> dict[str, list[str]]:
    record = read_record(services.store, "hb", str(version))
    return {p["path"]: [c["subject"] for c in p["commits"]] for p in record["pages"]}


@pytest.fixture
def served(tmp_path: Path) -> Path:
    return tmp_path / "served"


def test_the_clone_holds_the_windows_commits_and_the_record_their_subjects(
    served: Path, services: Services
) -> None:
    now = time.time()
    repo = git_init(served / "repo")
    write_tree(served / "repo", PAGES)
    commit_all(repo, "Old history, outside the window", when=now - 200 * DAY)
    write_tree(served / "repo", {"guide/intro.md": PAGES["guide/intro.md"] + "\nA second line.\n"})
    commit_all(repo, "Inside the window", when=now - 30 * DAY)
    write_tree(served / "repo", {"guide/intro.md": PAGES["guide/intro.md"] + "\nA third line.\n"})
    commit_all(repo, "Inside the window too", when=now - 20 * DAY)
    with git_daemon(served) as url:
        first = run(config(url + "repo"), services)
        assert first.status == "ok", first.error
        assert clone_depth(services, first.commit) == 2  # the window's two commits, not the old one

        time_off = PAGES["people/time-off.md"].replace("25 days", "30 days")
        write_tree(served / "repo", {"people/time-off.md": time_off})
        commit_all(repo, "More vacation days", when=now - 2 * DAY)
        write_tree(
            served / "repo", {"finance/expenses.md": PAGES["finance/expenses.md"] + "| Taxi | 50 EUR |\n"}
        )
        commit_all(repo, "Taxi limit", when=now - DAY)
        second = run(config(url + "repo"), services)
    assert second.status == "ok", second.error
    assert clone_depth(services, second.commit) == 4  # the window's four commits
    assert subjects(services, second.index_version) == {
        "people/time-off.md": ["More vacation days"],
        "finance/expenses.md": ["Taxi limit"],
    }


def test_no_commit_in_the_window_falls_back_to_depth_1(served: Path, services: Services) -> None:
    repo = git_init(served / "repo")
    write_tree(served / "repo", PAGES)
    commit_all(repo, "first", when=time.time() - 300 * DAY)
    write_tree(served / "repo", {"guide/intro.md": PAGES["guide/intro.md"] + "\nMore.\n"})
    commit_all(repo, "second", when=time.time() - 200 * DAY)
    with git_daemon(served) as url:
        report = run(config(url + "repo"), services)
    assert report.status == "ok", report.error  # git: "no commits selected for shallow requests"
    assert clone_depth(services, report.commit) == 1


def test_a_cold_cache_deepens_to_reach_the_previous_commit(served: Path, services: Services) -> None:
    now = time.time()
    repo = git_init(served / "repo")
    write_tree(served / "repo", PAGES)
    commit_all(repo, "Published long ago", when=now - 200 * DAY)
    with git_daemon(served) as url:
        first = run(config(url + "repo"), services)
        assert first.status == "ok", first.error
        shutil.rmtree(services.settings.cache_dir / "refresh-git")  # a new Lambda sandbox: /tmp is empty
        write_tree(served / "repo", {"people/time-off.md": PAGES["people/time-off.md"] + "\nAsk first.\n"})
        commit_all(repo, "Ask before time off", when=now - DAY)
        second = run(config(url + "repo"), services)
    assert second.status == "ok", second.error
    assert second.change_detection == "git-diff"  # the previous commit was reached: a real diff
    assert clone_depth(services, second.commit) == 2 < HISTORY_LIMIT
    assert subjects(services, second.index_version) == {"people/time-off.md": ["Ask before time off"]}


def test_a_server_without_deepen_since_gets_depth_1(served: Path, services: Services) -> None:
    repo = git_init(served / "repo")
    write_tree(served / "repo", PAGES)
    commit_all(repo, "first")
    write_tree(served / "repo", {"guide/intro.md": PAGES["guide/intro.md"] + "\nMore.\n"})
    commit_all(repo, "second")
    with git_host(served / "repo") as host:  # dulwich's server: no deepen-since
        report = run(config(host.url + "/repo.git"), services)
    assert report.status == "ok", report.error
    assert clone_depth(services, report.commit) == 1
