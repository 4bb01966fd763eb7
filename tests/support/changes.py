"""Publish a new version of a markdown folder together with its change record, as the refresh does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests.support.mcp_search import embed, markdown_chunks, publish
from thoth.refresh_service.changes import Changes
from thoth.refresh_service.history import change_record
from thoth.refresh_service.history_store import encoded
from thoth.shared.history import RECORD_FORMAT, record_key
from thoth.shared.index import Chunk, LivePointer
from thoth.shared.storage import object_store


def version_at(when: datetime, tag: str = "ab12") -> str:
    """A version name published at `when` (UTC), as thoth.refresh_service.publish names them."""
    return "v" + when.strftime("%Y%m%d-%H%M%S-%f") + f"-{tag}"


def by_path(chunks: list[Chunk]) -> dict[str, list[Chunk]]:
    out: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        out.setdefault(chunk.path, []).append(chunk)
    return out


def publish_change(
    source: str,
    old_root: Path | None,
    new_root: Path,
    when: datetime,
    fingerprint: str,
    commits: dict[str, list[dict[str, str]]] | None = None,
) -> LivePointer:
    """Publish `new_root` as `source`'s version at `when`, and (when `old_root` is given) the record of
    what changed against it."""
    new = markdown_chunks(new_root, source)
    version = version_at(when)
    pointer = publish(source, version, new, embed([c.keyword_text for c in new]), fingerprint)
    if old_root is None:
        return pointer
    before, after = by_path(markdown_chunks(old_root, source)), by_path(new)
    same = sorted(set(before) & set(after))
    changes = Changes(sorted(set(after) - set(before)), same, sorted(set(before) - set(after)), {}, 0, "full")
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "source": source,
        "version": version,
        "created_at": when.isoformat(timespec="seconds"),
        "commit": None,
    } | change_record(changes, before, after)
    for page in record["pages"]:
        page["commits"] = (commits or {}).get(page["path"], [])
    object_store().put(record_key(source, version), encoded(record))
    return pointer


def write_pages(root: Path, pages: dict[str, str]) -> Path:
    for rel, text in pages.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
