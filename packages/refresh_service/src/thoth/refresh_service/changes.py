"""Change detection: which files a run must parse again, from the snapshot and the recorded state.

Pure functions over what the snapshot and the state already hold; no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

from thoth.refresh_service.markup.site import Site
from thoth.refresh_service.markup.sitefiles import stale_includes
from thoth.refresh_service.sources.snapshot import FileEntry
from thoth.refresh_service.state import FileState
from thoth.shared.index import Chunk


class Changes(NamedTuple):
    """The files of a snapshot against the recorded state (renamed files count in added and deleted)."""

    added: list[str]
    modified: list[str]  # content changed, or an include it read changed, appeared or went away
    deleted: list[str]
    renames: dict[str, str]  # old → new path
    for_includes: int  # of `modified`, pages re-indexed only for their includes
    detection: str  # "git-diff" | "content-hash" | "full"

    @property
    def any(self) -> bool:
        return bool(self.added or self.modified or self.deleted)


def detect_changes(
    files: Mapping[str, FileEntry],
    known: Mapping[str, FileState],
    site: Site | None,
    git_renames: Mapping[str, str] | None,
    incremental: bool,
) -> Changes:
    """What changed since the state `known` was recorded (`known` is empty for a full run)."""
    added = sorted(p for p in files if p not in known)
    modified = sorted(p for p, e in files.items() if p in known and known[p].digest != e.digest)
    # Includes: a page is re-indexed when a file it includes changed, appeared or went away.
    by_includes = [
        p for p in files if p in known and p not in modified and stale_includes(known[p].includes, site)
    ]
    if by_includes:
        modified = sorted([*modified, *by_includes])
    deleted = sorted(p for p in known if p not in files)
    if git_renames is not None:
        renames = {o: n for o, n in git_renames.items() if o in deleted and n in added}
    else:
        by_digest = {files[p].digest: p for p in added}
        renames = {o: by_digest[known[o].digest] for o in deleted if known[o].digest in by_digest}
    detection = ("git-diff" if git_renames is not None else "content-hash") if incremental else "full"
    return Changes(added, modified, deleted, renames, len(by_includes), detection)


def reuse_unchanged(
    files: Mapping[str, FileEntry],
    todo: list[str],
    known: Mapping[str, FileState],
    previous: Mapping[str, list[Chunk]],
    revision: str | None,
) -> tuple[dict[str, list[Chunk]], list[str]]:
    """The live version's chunks of each file not in `todo`, restamped with `revision`; and the files
    to rebuild after all, because the state and the live version disagree about them."""
    reused: dict[str, list[Chunk]] = {}
    rebuild: list[str] = []
    for path in sorted(set(files) - set(todo)):
        old = previous.get(path, [])
        if known[path].skipped is None and [c.id for c in old] == known[path].chunk_ids:
            entry = files[path]
            reused[path] = [
                dataclasses.replace(c, commit=revision, last_modified=entry.last_modified) for c in old
            ]
        elif known[path].skipped is None:
            rebuild.append(path)
    return reused, rebuild
