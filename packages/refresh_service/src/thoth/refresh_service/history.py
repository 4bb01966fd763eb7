"""What changed between two published versions, page by page and section by section (pure, no I/O).

Input: the previous version's chunks and the new one's, by path, and the file-level Changes the run
detected (renames included). Output: a bounded change record, the unit the refresh will store beside
each version (`history/<source>/<version>.json`) and the recent_changes tool will read. A section is
the text under one heading path; its anchor comes from the chunk URL. A file changed and changed back,
or re-indexed only for an include that did not alter its text, yields no entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from thoth.refresh_service.changes import Changes
from thoth.shared.index import Chunk

MAX_PAGES: Final = 2000  # per version; a larger change is recorded as truncated
MAX_SECTIONS: Final = 50  # per page
MAX_DIFF_SENTENCES: Final = 6  # removed and added sentences kept per modified section, each
MAX_SENTENCE_CHARS: Final = 300
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def sentences(text: str) -> list[str]:
    """`text` as sentences (and lines: list items, table rows), whitespace folded, empties dropped."""
    return [" ".join(s.split()) for s in _SENTENCE_END.split(text) if s.strip()]


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_SENTENCE_CHARS else sentence[: MAX_SENTENCE_CHARS - 1] + "\u2026"


def sentence_diff(old: str, new: str) -> dict[str, list[str]]:
    """The sentences only `old` has (removed) and only `new` has (added), in order, bounded."""
    before, after = sentences(old), sentences(new)
    kept_before, kept_after = set(before), set(after)
    removed = [_clip(s) for s in before if s not in kept_after][:MAX_DIFF_SENTENCES]
    added = [_clip(s) for s in after if s not in kept_before][:MAX_DIFF_SENTENCES]
    return {"removed_text": removed, "added_text": added}


def page_sections(chunks: Sequence[Chunk]) -> dict[tuple[str, ...], tuple[str, str]]:
    """(heading path) -> (anchor, the section's text) for one page's chunks, in page order."""
    found: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for chunk in chunks:
        key = tuple(chunk.heading_path)
        anchor = chunk.url.partition("#")[2]
        found.setdefault(key, (anchor, []))[1].append(chunk.text)
    return {key: (anchor, "\n".join(texts)) for key, (anchor, texts) in found.items()}


def section_changes(old: Sequence[Chunk], new: Sequence[Chunk]) -> list[dict[str, Any]]:
    """Sections added, modified, removed, or renamed (same text under a new heading) from `old` to `new`."""
    before, after = page_sections(old), page_sections(new)
    removed = {k: v for k, v in before.items() if k not in after}
    added = {k: v for k, v in after.items() if k not in before}
    out: list[dict[str, Any]] = []
    by_text = {text: key for key, (_, text) in removed.items()}
    for key, (anchor, text) in after.items():
        if key in added:
            old_key = by_text.pop(text, None)
            if old_key is not None:  # a heading-only edit, or a section moved under another heading
                removed.pop(old_key, None)
                out.append(_entry("renamed", key, anchor) | {"old_heading_path": list(old_key)})
            else:
                out.append(_entry("added", key, anchor))
        elif before[key][1] != text:
            out.append(_entry("modified", key, anchor) | sentence_diff(before[key][1], text))
    out += [_entry("removed", key, anchor) for key, (anchor, _) in removed.items()]
    return out


def _entry(change: str, key: tuple[str, ...], anchor: str) -> dict[str, Any]:
    return {"change": change, "heading_path": list(key), "anchor": anchor}


def _page(kind: str, path: str, chunks: Sequence[Chunk], sections: list[dict[str, Any]]) -> dict[str, Any]:
    first = chunks[0] if chunks else None
    return {
        "kind": kind,
        "path": path,
        "title": first.title if first else None,
        "url": first.url.partition("#")[0] if first else None,
        "sections": sections[:MAX_SECTIONS],
        "sections_truncated": len(sections) > MAX_SECTIONS,
    }


def change_record(
    changes: Changes,
    previous: Mapping[str, Sequence[Chunk]],
    current: Mapping[str, Sequence[Chunk]],
) -> dict[str, Any]:
    """{"pages": [...], "truncated": bool}: what a new version changed against the previous one."""
    pages: list[dict[str, Any]] = []
    renamed_to = set(changes.renames.values())
    for old_path, new_path in sorted(changes.renames.items()):
        old, new = previous.get(old_path, ()), current.get(new_path, ())
        page = _page("renamed", new_path, new, section_changes(old, new))
        pages.append(page | {"old_path": old_path})
    for path in changes.added:
        if path not in renamed_to and current.get(path):
            pages.append(_page("added", path, current[path], section_changes((), current[path])))
    for path in changes.modified:
        sections = section_changes(previous.get(path, ()), current.get(path, ()))
        if sections:  # changed and changed back, or an include that altered nothing: no entry
            pages.append(_page("modified", path, current.get(path, ()), sections))
    for path in changes.deleted:
        if path not in changes.renames and previous.get(path):
            pages.append(_page("deleted", path, previous[path], []))
    pages.sort(key=lambda p: p["path"])
    return {"pages": pages[:MAX_PAGES], "truncated": len(pages) > MAX_PAGES}
