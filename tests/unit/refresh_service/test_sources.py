"""Source helpers: include/exclude globs and unsafe path detection."""

from __future__ import annotations

import pytest

from thoth.refresh_service.sources.snapshot import selected, unsafe_path


@pytest.mark.parametrize(
    ("path", "include", "exclude", "expected"),
    [
        ("README.md", ["**/*.md"], [], True),
        ("a/b/c.md", ["**/*.md"], [], True),
        ("a/b/c.txt", ["**/*.md"], [], False),
        ("content/handbook/x.md", ["content/handbook/**/*.md"], [], True),
        ("content/other/x.md", ["content/handbook/**/*.md"], [], False),
        ("a/_drafts/x.md", ["**/*.md"], ["**/_drafts/**"], False),
        ("a/b.md", ["*.md"], [], False),
        ("b.md", ["?.md"], [], True),
    ],
)
def test_globs(path: str, include: list[str], exclude: list[str], expected: bool) -> None:
    assert selected(path, include, exclude) is expected


@pytest.mark.parametrize(
    "path",
    [
        "../etc/passwd.md",
        "a/../../b.md",
        "/abs.md",
        "C:/x.md",
        "a//b.md",
        "a/./b.md",
        "a\\b.md",
        "a\x00.md",
        "",
    ],
)
def test_unsafe_paths_are_rejected(path: str) -> None:
    assert unsafe_path(path)


def test_normal_paths_are_fine() -> None:
    assert unsafe_path("handbook/engineering/on-call.md") is None
    assert unsafe_path("a/.hidden/b.md") is None
