"""What changed, end to end: the refresh CLI over several git commits, then the official SDK client.

Three refreshes of a git repository (the second covering two commits) write change records beside the
versions; the real handler behind the local HTTP server answers recent_changes with exactly the
sections those commits changed and their subjects, and search_handbook dates each section by the
commit that last changed it. A key limited to another source sees none of it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support.change_history import BASE, CHANGES, LAST_CHANGED_BY, make_history
from tests.support.mcp_clients import KEY, build_index, offline_env, sdk_client
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.transport.local_server import LocalServer
from thoth.shared.config import get_settings

pytestmark = pytest.mark.e2e
LIMITED_KEY = "e2e-limited-0123456789abcdefghij"


def refresh(home: Path, repo: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "thoth.refresh_service",
            str(repo),
            "--name",
            "hb",
            "--json",
            "--base-url",
            BASE,
        ],
        env=offline_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok", report
    return report


class History(NamedTuple):
    home: Path
    times: list[str]  # each commit's time, as COMMITS lists them


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    home = tmp_path_factory.mktemp("changes-home")
    build_index(home)  # the sample handbook as source "handbook" (and the encoder)
    root = home.parent / "changes-repo"
    # Three refreshes: after the first commit, after the next two, after the last.
    times = make_history(root, lambda: refresh(home, root), refresh_after=(0, 2, 3))
    return History(home, times)


@pytest.fixture
def server(history: History, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("THOTH_AUTH", "THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_SOURCE_ACCESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THOTH_HOME", str(history.home))
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps([KEY, {"key": LIMITED_KEY, "sources": ["handbook"]}]))
    get_settings.cache_clear()
    local = LocalServer(App(), port=0).start()
    yield local
    local.stop()
    get_settings.cache_clear()


async def _call(url: str, key: str, tool: str, arguments: dict[str, Any]) -> Any:
    async with sdk_client(url, "auto", key) as client:
        return await client.call_tool(tool, arguments)


async def _changes(url: str, key: str, arguments: dict[str, Any]) -> Any:
    return await _call(url, key, "recent_changes", arguments)


def test_the_sdk_client_gets_exactly_the_changed_sections_with_their_commits(server: LocalServer) -> None:
    result = asyncio.run(_changes(server.url, KEY, {"since": "1d"}))
    assert not result.is_error
    found = {(r["url"], r["change"], r["subject"]) for r in result.structured_content["results"]}
    assert found == CHANGES
    expenses = next(r for r in result.structured_content["results"] if "expenses" in r["url"])
    assert expenses["removed_text"] == ["Meals: 60 EUR a day."] and expenses["added_text"] == [
        "Meals: 70 EUR a day."
    ]
    text = result.content[0].text
    assert "Meals allowance to 70 EUR" in text and "Body text" not in text
    ranked = asyncio.run(_changes(server.url, KEY, {"since": "1d", "query": "vacation days off"}))
    assert ranked.structured_content["results"][0]["url"].endswith("/time-off/#time-off")


def test_a_key_limited_to_another_source_sees_no_change(server: LocalServer) -> None:
    result = asyncio.run(_changes(server.url, LIMITED_KEY, {"since": "1d"}))
    assert not result.is_error and result.structured_content["total"] == 0
    assert "hb" not in json.dumps(result.structured_content) and "hb.example" not in result.content[0].text
    named = asyncio.run(_changes(server.url, LIMITED_KEY, {"since": "1d", "source": "hb"}))
    assert named.is_error and "no source named 'hb'" in named.content[0].text


def test_search_results_say_when_their_section_last_changed(server: LocalServer, history: History) -> None:
    for query, url in [
        ("how many vacation days", f"{BASE}handbook/people/time-off/#time-off"),  # edited
        ("on-call rotation shift length", f"{BASE}handbook/engineering/on-call/#rotation"),  # never edited
        ("when to page the secondary", f"{BASE}handbook/engineering/on-call/#escalation"),  # added
    ]:
        result = asyncio.run(_call(server.url, KEY, "search_handbook", {"query": query, "source": "hb"}))
        assert not result.is_error, result.content[0].text
        top = result.structured_content["results"][0]
        changed_at = history.times[LAST_CHANGED_BY[url]]
        assert (top["url"], top["changed_at"]) == (url, changed_at), query
        assert f"section changed {changed_at[:10]}" in result.content[0].text
