"""Test helpers for the refresh service: git histories, services, fault-injecting wrappers, a git server."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from dulwich import porcelain
from dulwich.repo import Repo

from thoth.refresh_service.embed import Embedder, Vectors
from thoth.refresh_service.pipeline import Refresher
from thoth.refresh_service.report import RunReport
from thoth.refresh_service.runs import RunOptions, Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.config import get_settings
from thoth.shared.errors import StateError, StorageError
from thoth.shared.index import LoadedIndex, download_version, load_version
from thoth.shared.live import read_live
from thoth.shared.state import Item, SqliteStateStore, StateStore
from thoth.shared.storage import LocalObjectStore, ObjectStore

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = REPO_ROOT / "samples" / "handbook"
AUTHOR = b"Test <test@example.com>"

PAGES = {
    "guide/intro.md": "---\ntitle: Intro\n---\n\n# Intro\n\nWelcome to the handbook. Read this first.\n",
    "guide/setup.md": (
        "# Setup\n\n## Install\n\n```bash\npip install thoth\n```\n\n"
        "## Configure\n\nSet THOTH_HOME to a folder.\n"
    ),
    "people/time-off.md": (
        "# Time off\n\nTake 25 days of vacation per year.\n\n## Sick leave\n\nRest and tell your manager.\n"
    ),
    "finance/expenses.md": (
        "# Expenses\n\n| Item | Limit |\n| --- | --- |\n| Meals | 60 EUR |\n| Books | 1000 EUR |\n"
    ),
    "notes.txt": "Plain text notes.\n\nSecond paragraph of notes.\n",
}


class CountingEmbedder:
    """Wraps the real embedder; counts texts and can fail on the n-th call or block until released."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []
        self.calls = 0
        self.fail_on_call: int | None = None
        self.gate: threading.Event | None = None

    @property
    def info(self) -> Any:
        return self.inner.info

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(60)
        if self.fail_on_call is not None and self.calls >= self.fail_on_call:
            raise RuntimeError("injected embedding failure")
        self.texts.extend(texts)
        return self.inner.encode(texts)


class FaultyStore:
    """An ObjectStore that fails (or corrupts) puts of keys ending with `suffix`."""

    def __init__(self, inner: ObjectStore, suffix: str, corrupt: bool = False) -> None:
        self.inner = inner
        self.suffix = suffix
        self.corrupt = corrupt

    def put(self, key: str, data: bytes) -> None:
        if key.startswith("indexes/") and key.endswith(self.suffix):
            if not self.corrupt:
                raise StorageError(f"injected write failure for {key}")
            data = bytes(data[:-1]) + bytes([data[-1] ^ 0xFF])
        self.inner.put(key, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FaultyState:
    """A StateStore whose writes to partition `pk` fail."""

    def __init__(self, inner: StateStore, pk: str) -> None:
        self.inner = inner
        self.pk = pk

    def _check(self, pk: str) -> None:
        if pk == self.pk:
            raise StateError(f"injected state failure on {pk}")

    def create(self, pk: str, sk: str, value: dict[str, Any], *, ttl_s: float | None = None) -> Item | None:
        self._check(pk)
        return self.inner.create(pk, sk, value, ttl_s=ttl_s)

    def swap(
        self, pk: str, sk: str, value: dict[str, Any], *, expected_rev: int, ttl_s: float | None = None
    ) -> Item | None:
        self._check(pk)
        return self.inner.swap(pk, sk, value, expected_rev=expected_rev, ttl_s=ttl_s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def make_services(home: Path, embedder: Embedder, **overrides: Any) -> Services:
    """Local object store + SQLite state under `home`."""
    services = Services(
        store=LocalObjectStore(home / "objects"),
        state=SqliteStateStore(home / "state.sqlite3"),
        embedder=embedder,
        settings=dataclasses.replace(get_settings(), cache_dir=home / "cache"),
    )
    for key, value in overrides.items():
        setattr(services, key, value)
    return services


def run(config: SourceConfig, services: Services, **options: Any) -> RunReport:
    return Refresher(config, services).run(RunOptions(**options))


def live_index(services: Services, source: str, tmp: Path) -> LoadedIndex:
    """Download and load the live version exactly as the MCP server does."""
    pointer = read_live(services.state, source)
    assert pointer is not None, "nothing published"
    directory = download_version(services.store, source, pointer.version, tmp / f"dl-{time.monotonic_ns()}")
    return load_version(directory, services.embedder.info.fingerprint)


def versions(store: ObjectStore, source: str) -> set[str]:
    return {key.split("/")[2] for key in store.list(f"indexes/{source}/")}


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def git_init(root: Path, files: dict[str, str | bytes] | None = None) -> Repo:
    root.mkdir(parents=True, exist_ok=True)
    repo = porcelain.init(str(root))
    if files:
        write_tree(root, files)
        commit_all(repo, "initial")
    return repo


def commit_all(repo: Repo, message: str, when: float | None = None) -> str:
    """Stage every change in the work tree (adds, edits, deletions) and commit (at `when`, a Unix time,
    default now); returns the sha."""
    root = Path(repo.path)
    files = [p for p in root.rglob("*") if ".git" not in p.parts and (p.is_file() or p.is_symlink())]
    on_disk = {p.relative_to(root).as_posix() for p in files}
    tracked = {p.decode() for p in repo.open_index()}
    repo.get_worktree().stage(sorted(on_disk | tracked))
    sha = repo.get_worktree().commit(
        message=message.encode(),
        author=AUTHOR,
        committer=AUTHOR,
        commit_timestamp=when,
        author_timestamp=when,
    )
    return sha.decode()


def copy_handbook(target: Path, limit: int | None = None) -> list[str]:
    """Copy (part of) the sample handbook; returns the relative paths copied."""
    paths = sorted(p.relative_to(HANDBOOK).as_posix() for p in HANDBOOK.rglob("*") if p.is_file())[:limit]
    for rel in paths:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HANDBOOK / rel, target / rel)
    return paths


def vectors_by_id(index: LoadedIndex) -> dict[str, np.ndarray]:
    return {c.id: np.asarray(index.vectors[i]) for i, c in enumerate(index.chunks)}


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}
