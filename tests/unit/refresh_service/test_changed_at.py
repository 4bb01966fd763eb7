"""When a section last changed: kept while its text stays, the change's time once it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from thoth.refresh_service.changed_at import stamp_changed_at
from thoth.shared.index import Chunk

DAY1, DAY2, DAY3 = "2026-11-01T09:00:00+00:00", "2026-11-02T09:00:00+00:00", "2026-11-03T09:00:00+00:00"
COMMIT1, COMMIT2 = "2026-10-30T08:00:00+00:00", "2026-11-02T08:30:00+00:00"


def page(path: str, sections: dict[str, str], last_modified: str | None = None) -> list[Chunk]:
    return [Chunk(**fields(path, h, t), last_modified=last_modified) for h, t in sections.items()]


def fields(path: str, heading: str, text: str) -> dict[str, Any]:
    return {
        "id": f"{path}#{heading}",
        "source": "hb",
        "path": path,
        "title": "Page",
        "heading_path": ["Page", heading],
        "url": f"https://h.example/{path}#{heading.lower()}",
        "line_start": 1,
        "line_end": 2,
        "text": text,
        "content_hash": text,
        "meta": {"description": "kept"},
    }


def times(chunks: Sequence[Chunk]) -> dict[tuple[str, str], str | None]:
    return {(c.path, c.heading_path[-1]): c.changed_at for c in chunks}


def by_path(chunks: Sequence[Chunk]) -> dict[str, list[Chunk]]:
    out: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        out.setdefault(chunk.path, []).append(chunk)
    return out


def test_a_first_build_dates_sections_by_their_file_else_the_publish_time() -> None:
    chunks = page("a.md", {"One": "x"}, last_modified=COMMIT1) + page("b.md", {"Two": "y"})
    stamped = stamp_changed_at(chunks, {}, {}, published=DAY1, git=True)
    assert times(stamped) == {("a.md", "One"): COMMIT1, ("b.md", "Two"): DAY1}
    assert [c.id for c in stamped] == [c.id for c in chunks]  # order and identity kept
    assert all(c.meta["description"] == "kept" for c in stamped)


def test_an_unchanged_section_keeps_its_time_across_refreshes_and_an_edited_one_gets_the_new() -> None:
    v1 = stamp_changed_at(page("a.md", {"Keep": "same", "Edit": "old"}), {}, {}, published=DAY1, git=False)
    v2 = stamp_changed_at(
        page("a.md", {"Keep": "same", "Edit": "new"}), by_path(v1), {}, published=DAY2, git=False
    )
    assert times(v2) == {("a.md", "Keep"): DAY1, ("a.md", "Edit"): DAY2}
    v3 = stamp_changed_at(
        page("a.md", {"Keep": "same", "Edit": "new", "Fresh": "added"}),
        by_path(v2),
        {},
        published=DAY3,
        git=False,
    )
    assert times(v3) == {("a.md", "Keep"): DAY1, ("a.md", "Edit"): DAY2, ("a.md", "Fresh"): DAY3}


def test_a_git_source_dates_an_edit_by_the_files_last_commit() -> None:
    v1 = stamp_changed_at(
        page("a.md", {"Keep": "same", "Edit": "old"}, COMMIT1), {}, {}, published=DAY1, git=True
    )
    v2 = stamp_changed_at(
        page("a.md", {"Keep": "same", "Edit": "new"}, COMMIT2), by_path(v1), {}, published=DAY2, git=True
    )
    assert times(v2) == {("a.md", "Keep"): COMMIT1, ("a.md", "Edit"): COMMIT2}


def test_a_renamed_page_keeps_its_sections_times() -> None:
    v1 = stamp_changed_at(page("old.md", {"S": "text", "T": "more"}), {}, {}, published=DAY1, git=False)
    v2 = stamp_changed_at(
        page("new.md", {"S": "text", "T": "edited"}),
        by_path(v1),
        {"old.md": "new.md"},
        published=DAY2,
        git=False,
    )
    assert times(v2) == {("new.md", "S"): DAY1, ("new.md", "T"): DAY2}


def test_a_section_moved_under_another_heading_with_the_same_text_keeps_its_time() -> None:
    v1 = stamp_changed_at(page("a.md", {"Old name": "the words"}), {}, {}, published=DAY1, git=False)
    v2 = stamp_changed_at(page("a.md", {"New name": "the words"}), by_path(v1), {}, published=DAY2, git=False)
    assert times(v2) == {("a.md", "New name"): DAY1}


def test_a_new_page_in_a_later_version_gets_the_change_time() -> None:
    v1 = stamp_changed_at(page("a.md", {"S": "x"}), {}, {}, published=DAY1, git=False)
    v2 = stamp_changed_at(
        page("a.md", {"S": "x"}) + page("b.md", {"S": "y"}, COMMIT1),
        by_path(v1),
        {},
        published=DAY2,
        git=False,
    )
    assert times(v2) == {("a.md", "S"): DAY1, ("b.md", "S"): DAY2}


def test_a_previous_version_without_times_dates_unchanged_sections_as_a_first_build() -> None:
    old = page("a.md", {"Keep": "same", "Edit": "old"})  # built before the refresh recorded changed_at
    new = page("a.md", {"Keep": "same", "Edit": "new"}, COMMIT1)
    stamped = stamp_changed_at(new, by_path(old), {}, published=DAY2, git=False)
    assert times(stamped) == {("a.md", "Keep"): COMMIT1, ("a.md", "Edit"): DAY2}


def test_every_chunk_of_a_long_section_shares_its_time() -> None:
    first = page("a.md", {"S": "part one"})
    second = [Chunk(**{**fields("a.md", "S", "part two"), "id": "2"}) for c in first]
    v1 = stamp_changed_at(first + second, {}, {}, published=DAY1, git=False)
    edited = [Chunk(**{**fields("a.md", "S", "part 2"), "id": "2"}) for c in first]
    v2 = stamp_changed_at(first + edited, by_path(v1), {}, published=DAY2, git=False)
    assert [c.changed_at for c in v2] == [DAY2, DAY2]


def test_changed_at_reads_only_a_string() -> None:
    chunk = page("a.md", {"S": "x"})[0]
    assert chunk.changed_at is None
    odd = Chunk(**{**fields("a.md", "S", "x"), "meta": {"changed_at": 5}})
    assert odd.changed_at is None
