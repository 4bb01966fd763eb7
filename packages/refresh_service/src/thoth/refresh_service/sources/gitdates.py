"""When files last changed in git: for git sources, and for a folder source inside a git checkout
(a checkout's file times are when it was checked out, not when the text changed)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HISTORY_LIMIT = 500  # commits walked to date files; older files get the oldest walked commit's time


def commit_dates(repo: Any, commit: bytes, paths: set[str]) -> dict[str, str]:
    """When each path last changed, walking at most HISTORY_LIMIT commits of the available history."""
    dates: dict[str, str] = {}
    oldest = None
    try:
        for entry in repo.get_walker(include=[commit], max_entries=HISTORY_LIMIT):
            when = datetime.fromtimestamp(entry.commit.commit_time, UTC).isoformat(timespec="seconds")
            oldest = when
            for change in entry.changes():
                for item in change if isinstance(change, list) else [change]:
                    if item.new is not None and item.new.path is not None:
                        path = item.new.path.decode("utf-8", errors="surrogateescape")
                        if path in paths and path not in dates:
                            dates[path] = when
            if len(dates) == len(paths):
                break
    except KeyError:
        pass  # a shallow clone: history ends here
    return {path: dates.get(path) or oldest or "" for path in paths}


def _work_tree(folder: Path) -> Path | None:
    """The root of the git checkout `folder` lies in (a `.git` folder or file above it), or None."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _blob_sha(path: Path) -> bytes:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest().encode()


def checkout_dates(folder: Path, paths: dict[str, Path]) -> dict[str, str]:
    """Last-commit times of the files (source path → file) of a folder inside a git checkout, for
    those committed as they are now; a file changed since its last commit, or new, keeps its mtime
    (not listed). Empty when the folder is in no checkout or its repository cannot be read."""
    root = _work_tree(folder.resolve())
    if root is None:
        return {}
    from dulwich.errors import NotGitRepository
    from dulwich.object_store import tree_lookup_path
    from dulwich.objects import Commit
    from dulwich.repo import Repo

    try:
        repo = Repo(str(root))
    except (NotGitRepository, OSError, ValueError):
        return {}
    try:
        head = repo.head()
        commit = repo[head]
        if not isinstance(commit, Commit):
            return {}
        tree = commit.tree
        unchanged: dict[str, str] = {}  # repository path → source path
        for source_path, file in paths.items():
            try:
                rel = file.resolve().relative_to(root).as_posix()
                _, sha = tree_lookup_path(repo.object_store.__getitem__, tree, rel.encode())
            except (KeyError, ValueError, OSError):
                continue  # not committed, or outside the checkout
            if sha == _blob_sha(file):
                unchanged[rel] = source_path
        dates = commit_dates(repo, head, set(unchanged))
        return {unchanged[rel]: when for rel, when in dates.items() if when}
    except (KeyError, ValueError, OSError):
        return {}  # no commit yet, a broken repository: file times stay
    finally:
        repo.close()
