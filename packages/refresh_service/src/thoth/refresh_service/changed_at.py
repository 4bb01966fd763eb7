"""When each section last changed: carried from the previous version, or this change's time (pure, no I/O).

A section is the text under one heading path of one page, as in the change record (history.py).
search_handbook shows the time from the chunk it already read, so the refresh stores it in every
chunk's meta (Chunk.changed_at reads it back):

- text identical to the previous version's section under the same heading path (of the same page,
  or of the page it was renamed from) keeps that section's time;
- text identical to a section the previous version had under another heading path of that page (a
  section moved or re-headed, which the change record calls renamed) keeps it too: its words did
  not change, and re-nesting a page's headings must not date every section as new;
- otherwise the section changed in this version: a git source dates it by the file's last commit
  (the chunk's last_modified), any other source by the version's publish time.

With no previous version to compare with (a first build; a rebuild for a new model), or a previous
section that carries no time (a version built before the refresh recorded it), a section is dated by
its file's last_modified when known, else the publish time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from thoth.refresh_service.history import page_sections
from thoth.shared.index import Chunk
from thoth.shared.index.format import CHANGED_AT

Key = tuple[str, ...]


def _times(chunks: Sequence[Chunk]) -> dict[Key, str]:
    """Heading path → the recorded time of each section of one page that has one (its newest chunk's)."""
    out: dict[Key, str] = {}
    for chunk in chunks:
        when = chunk.changed_at
        key = tuple(chunk.heading_path)
        if when is not None and when > out.get(key, ""):
            out[key] = when
    return out


def carried(old: Sequence[Chunk], new: Sequence[Chunk]) -> dict[Key, str | None]:
    """Heading path → for each section of `new` whose text `old` has unchanged, the time `old` recorded
    for it (None when it recorded none). Sections absent from the result changed."""
    before, after = page_sections(old), page_sections(new)
    times = _times(old)
    # Sections `new` no longer has under their heading path, by text: a moved or re-headed one is there.
    gone = {text: key for key, (_, text) in before.items() if key not in after}
    out: dict[Key, str | None] = {}
    for key, (_, text) in after.items():
        if key in before:
            if before[key][1] == text:
                out[key] = times.get(key)
        elif (old_key := gone.pop(text, None)) is not None:
            out[key] = times.get(old_key)
    return out


def stamp_changed_at(
    chunks: Sequence[Chunk],
    previous: Mapping[str, Sequence[Chunk]],
    renames: Mapping[str, str],
    *,
    published: str,
    git: bool,
) -> list[Chunk]:
    """`chunks`, in order, each with its section's changed_at in meta.

    `previous`: the previous version's chunks by path, empty when there is none to compare with;
    `renames`: old path → new path; `published`: this version's publish time (ISO 8601, UTC).
    """
    renamed_from = {new: old for old, new in renames.items()}
    current: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        current.setdefault(chunk.path, []).append(chunk)
    kept: dict[str, dict[Key, str | None]] = {}
    if previous:
        for path, new in current.items():
            old = previous.get(path) or previous.get(renamed_from.get(path, ""), ())
            kept[path] = carried(old, new) if old else {}
    out: list[Chunk] = []
    for chunk in chunks:
        key = tuple(chunk.heading_path)
        same = kept.get(chunk.path)
        if same is not None and key not in same:  # changed in this version
            when = (chunk.last_modified if git else None) or published
        else:  # unchanged, or nothing to compare with
            when = (same or {}).get(key) or chunk.last_modified or published
        out.append(dataclasses.replace(chunk, meta={**chunk.meta, CHANGED_AT: when}))
    return out
