"""When files changed in git: their last change (for git sources, and for a folder source inside a git
checkout, whose file times are when it was checked out), and the commits between two revisions."""

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


def subject(message: bytes) -> str:
    """A commit message's first line, at most 200 characters."""
    line = message.decode("utf-8", errors="replace").strip().split("\n", 1)[0].strip()
    return line if len(line) <= 200 else line[:199] + "\u2026"


def commits_since(repo: Any, commit: bytes, since: str) -> dict[str, list[dict[str, str]]] | None:
    """Per path, the commits after `since` up to `commit` that touched it, newest first: sha, author
    date and subject only (names and e-mails are personal data). None when `since` is not in the
    available history (a shallow fetch, a force push)."""
    if since.encode() not in repo.object_store:
        return None
    found: dict[str, list[dict[str, str]]] = {}
    try:
        walker = repo.get_walker(include=[commit], exclude=[since.encode()], max_entries=HISTORY_LIMIT)
        for entry in walker:
            item = entry.commit
            info = {
                "sha": item.id.decode(),
                "date": datetime.fromtimestamp(item.author_time, UTC).isoformat(timespec="seconds"),
                "subject": subject(item.message),
            }
            for change in entry.changes():
                for one in change if isinstance(change, list) else [change]:
                    for side in (one.new, one.old):
                        if side is not None and side.path is not None:
                            path = side.path.decode("utf-8", errors="surrogateescape")
                            listed = found.setdefault(path, [])
                            if not listed or listed[-1]["sha"] != info["sha"]:
                                listed.append(info)
    except KeyError:
        pass  # history ends (shallow): what was walked stands
    return found
