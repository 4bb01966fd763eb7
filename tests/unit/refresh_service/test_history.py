"""Change records between two versions: added, modified, renamed, deleted pages and their sections."""

from __future__ import annotations

from thoth.refresh_service.changes import Changes
from thoth.refresh_service.history import MAX_SECTIONS, change_record, section_changes
from thoth.shared.index import Chunk


def chunk(path: str, heading: list[str], text: str, anchor: str | None = None) -> Chunk:
    slug = anchor if anchor is not None else (heading[-1].lower().replace(" ", "-") if heading else "")
    url = f"https://h.example/{path.removesuffix('.md')}" + (f"#{slug}" if slug else "")
    return Chunk(f"{path}{heading}", "hb", path, "Title " + path, heading, url, 1, 2, text, text)


def page(path: str, sections: dict[str, str]) -> list[Chunk]:
    return [chunk(path, ["Page", h], t) for h, t in sections.items()]


def changes(
    added: tuple[str, ...] = (),
    modified: tuple[str, ...] = (),
    deleted: tuple[str, ...] = (),
    renames: dict[str, str] | None = None,
) -> Changes:
    return Changes(list(added), list(modified), list(deleted), dict(renames or {}), 0, "git-diff")


def test_modified_added_and_removed_sections() -> None:
    old = page("a.md", {"Keep": "same", "Edit": "old words", "Drop": "gone soon"})
    new = page("a.md", {"Keep": "same", "Edit": "new words", "Fresh": "brand new"})
    found = {(s["change"], s["heading_path"][-1], s["anchor"]) for s in section_changes(old, new)}
    assert found == {("modified", "Edit", "edit"), ("added", "Fresh", "fresh"), ("removed", "Drop", "drop")}


def test_a_heading_only_edit_is_a_rename_of_the_section() -> None:
    old = page("a.md", {"Old name": "the text"})
    new = page("a.md", {"New name": "the text"})
    (entry,) = section_changes(old, new)
    assert entry["change"] == "renamed" and entry["anchor"] == "new-name"
    assert entry["old_heading_path"] == ["Page", "Old name"]


def test_a_file_changed_and_changed_back_has_no_entry() -> None:
    same = page("a.md", {"S": "text"})
    record = change_record(changes(modified=("a.md",)), {"a.md": same}, {"a.md": page("a.md", {"S": "text"})})
    assert record == {"pages": [], "truncated": False}


def test_pages_renamed_added_deleted() -> None:
    previous = {"old.md": page("old.md", {"S": "t"}), "bye.md": page("bye.md", {"S": "x"})}
    current = {"new.md": page("new.md", {"S": "t2"}), "hi.md": page("hi.md", {"S": "y"})}
    record = change_record(
        changes(added=("hi.md", "new.md"), deleted=("bye.md", "old.md"), renames={"old.md": "new.md"}),
        previous,
        current,
    )
    kinds = {(p["kind"], p["path"]) for p in record["pages"]}
    assert kinds == {("renamed", "new.md"), ("added", "hi.md"), ("deleted", "bye.md")}
    renamed = next(p for p in record["pages"] if p["kind"] == "renamed")
    assert renamed["old_path"] == "old.md" and renamed["sections"][0]["change"] == "modified"
    assert renamed["url"] == "https://h.example/new"


def test_sections_are_bounded() -> None:
    new = page("a.md", {f"H{i}": f"t{i}" for i in range(MAX_SECTIONS + 5)})
    record = change_record(changes(added=("a.md",)), {}, {"a.md": new})
    (entry,) = record["pages"]
    assert len(entry["sections"]) == MAX_SECTIONS and entry["sections_truncated"]
