"""recent_changes through the real dispatch: change records beside live versions, read and ranked."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.changes import publish_change, write_pages
from tests.support.mcp_search import call_tool
from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search.catalog import CATALOG

NOW = datetime.now(UTC)
V1 = {
    "people/time-off.md": "# Time off\n\nTake 25 days of vacation per year. Plan ahead.\n\n"
    "## Sick leave\n\nRest and tell your manager.\n",
    "security/keys.md": "# Keys\n\nRotate keys every year.\n",
    "finance/expenses.md": "# Expenses\n\nMeals up to 60 EUR.\n",
}
V2 = V1 | {"people/time-off.md": V1["people/time-off.md"].replace("25 days", "30 days")}
V3 = V2 | {
    "security/keys.md": "# Keys\n\nRotate keys every 90 days.\n\n## Hardware keys\n\nUse a YubiKey for SSH.\n"
}
V3.pop("finance/expenses.md")
SUBJECT = {
    "sha": "a" * 40,
    "date": (NOW - timedelta(days=1)).isoformat(timespec="seconds"),
    "subject": "Keys",
}


@pytest.fixture
def history(
    tmp_path: Path, encoder_env: Path, encoder_fingerprint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hb: v1 20 days ago, v2 (time off edited) 10 days ago, v3 (keys edited, expenses deleted) 1 day ago."""
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    roots = [write_pages(tmp_path / f"v{i}", pages) for i, pages in enumerate((V1, V2, V3), start=1)]
    publish_change("hb", None, roots[0], NOW - timedelta(days=20), encoder_fingerprint)
    publish_change("hb", roots[0], roots[1], NOW - timedelta(days=10), encoder_fingerprint)
    commits = {"security/keys.md": [SUBJECT]}
    publish_change("hb", roots[1], roots[2], NOW - timedelta(days=1), encoder_fingerprint, commits)
    shutil.rmtree(tmp_path / "v1")


def changes(arguments: dict[str, Any]) -> dict[str, Any]:
    output = call_tool("recent_changes", arguments)
    assert not output.is_error, output.text
    assert output.structured is not None
    return output.structured


def test_the_last_days_show_exactly_the_sections_changed(history: None) -> None:
    found = changes({"since": "3d"})
    seen = {(r["path"], r["change"], r["url"].partition("#")[2]) for r in found["results"]}
    assert seen == {
        ("security/keys.md", "modified", "keys"),
        ("security/keys.md", "added", "hardware-keys"),
        ("finance/expenses.md", "deleted", ""),
    }
    keys = next(r for r in found["results"] if r["change"] == "modified")
    assert keys["subject"] == "Keys" and keys["commit"] == "a" * 40 and keys["date"] == SUBJECT["date"]
    assert keys["removed_text"] == ["Rotate keys every year."]
    assert keys["added_text"] == ["Rotate keys every 90 days."]
    assert "90 days" in keys["excerpt"]
    deleted = next(r for r in found["results"] if r["change"] == "deleted")
    assert deleted["excerpt"] is None
    text = call_tool("recent_changes", {"since": "3d"}).text
    assert '"Keys"' in text and "Added: Rotate keys every 90 days." in text


def test_answers_match_the_output_schema(history: None) -> None:
    from jsonschema import Draft202012Validator

    spec = next(s for s in CATALOG.tool_specs() if s.name == "recent_changes")
    for arguments in ({"since": "15d"}, {"since": "15d", "query": "keys", "limit": 1}):
        Draft202012Validator(spec.output_schema or {}).validate(changes(arguments))


def test_a_longer_window_reaches_older_records_newest_first(history: None) -> None:
    found = changes({"since": (NOW - timedelta(days=15)).date().isoformat()})
    paths = [r["path"] for r in found["results"]]
    assert "people/time-off.md" in paths and paths[-1] == "people/time-off.md"
    assert found["total"] == 4
    assert changes({"since": "15d", "path_prefix": "people/"})["total"] == 1


def test_a_query_ranks_the_changes_by_relevance(history: None) -> None:
    found = changes({"since": "2w", "query": "vacation days per year"})
    assert found["results"][0]["path"] == "people/time-off.md"
    assert found["results"][0]["score"] >= found["results"][1]["score"]
    found = changes({"since": "2w", "query": "YubiKey hardware SSH"})
    assert found["results"][0]["url"].endswith("#hardware-keys")


def test_pages_follow_through_the_cursor(history: None) -> None:
    first = changes({"since": "15d", "limit": 2})
    assert len(first["results"]) == 2 and first["next_cursor"]
    rest = changes({"since": "15d", "limit": 2, "cursor": first["next_cursor"]})
    assert rest["next_cursor"] is None
    every = [r["url"] for r in first["results"] + rest["results"]]
    assert len(every) == len(set(every)) == first["total"] == 4
    with pytest.raises(ToolArgumentError, match="different arguments"):
        call_tool("recent_changes", {"since": "14d", "limit": 2, "cursor": first["next_cursor"]})


@pytest.mark.parametrize(
    ("since", "message"),
    [("yesterday", "not a date or a duration"), ("2999-01-01", "in the future"), ("400d", "90 days")],
)
def test_bad_since_is_refused_with_the_fix(history: None, since: str, message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        call_tool("recent_changes", {"since": since})


def test_an_unknown_source_is_the_usual_error(history: None) -> None:
    output = call_tool("recent_changes", {"since": "7d", "source": "nosuch"})
    assert output.is_error and "no source named 'nosuch'" in output.text


def test_the_spec_says_when_to_call_it() -> None:
    spec = next(s for s in CATALOG.tool_specs() if s.name == "recent_changes")
    assert "search_handbook" in spec.description and "what changed" in spec.description.lower()
