"""Finding 11: redact_url removes the whole user:password@ part, also when the password holds '@'."""

from __future__ import annotations

import pytest

from thoth.refresh_service.sources.definitions import redact_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://oauth2:p@ss@gitlab.example/x.git", "https://gitlab.example/x.git"),
        ("https://u:a@b@c@gitlab.example:8443/x.git?y=1", "https://gitlab.example:8443/x.git?y=1"),
        ("https://oauth2:tok@gitlab.example", "https://gitlab.example"),
        (
            "fetch https://u:p@w@h1/a failed, then https://v:q@h2/b",
            "fetch https://h1/a failed, then https://h2/b",
        ),
        ("https://gitlab.example/group/@scoped/x.git", "https://gitlab.example/group/@scoped/x.git"),
        ("git@gitlab.example:group/x.git", "git@gitlab.example:group/x.git"),
        ("/local/path", "/local/path"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    assert redact_url(text) == expected
