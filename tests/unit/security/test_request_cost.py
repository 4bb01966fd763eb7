"""Finding 10: one POST runs a bounded number of tool calls, and a missed path a bounded hint search."""

from __future__ import annotations

import difflib
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.mcp_app import FakeCatalog, call, make_app, post, request
from thoth.mcp_server.search import section
from thoth.mcp_server.search.registry import NoSuchPage
from thoth.mcp_server.transport.endpoint import MAX_BATCH, MAX_BATCH_TOOL_CALLS


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.mcp_app import KEY

    monkeypatch.setenv("THOTH_API_KEYS", KEY)
    for name in ("THOTH_AUTH", "THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)


def test_a_batch_runs_at_most_the_cap_of_tool_calls_and_says_so_for_the_rest() -> None:
    catalog = FakeCatalog()
    calls = [request("tools/call", {"name": "echo", "arguments": {"text": str(i)}}, rid=i) for i in range(12)]
    batch = [request("ping", rid="p"), *calls]
    assert len(batch) <= MAX_BATCH
    reply = call(make_app(catalog), post(batch, {"mcp-protocol-version": "2025-03-26"}))
    assert reply.status == 200
    by_id = {item["id"]: item for item in reply.json}
    assert by_id["p"]["result"] == {}  # other methods do not count
    ran = [i for i in range(12) if "result" in by_id[i]]
    refused = [i for i in range(12) if "error" in by_id[i]]
    assert ran == list(range(MAX_BATCH_TOOL_CALLS)) and len(catalog.calls) == MAX_BATCH_TOOL_CALLS
    assert refused == list(range(MAX_BATCH_TOOL_CALLS, 12))
    error = by_id[11]["error"]
    assert error["code"] == -32600 and f"at most {MAX_BATCH_TOOL_CALLS}" in error["message"]
    assert "another POST" in error["message"]


def _served(paths: list[str]) -> list[Any]:
    ordered = sorted(paths)
    prepared = SimpleNamespace(
        page=lambda path: [],
        page_paths=ordered,
        page_url=lambda i: "https://handbook.example.com/" + ordered[i].removesuffix(".md") + "/",
    )
    return [SimpleNamespace(prepared=prepared)]


def _pages(n: int) -> list[str]:
    return [f"handbook/team-{i % 50}/topic-{i}.md" for i in range(n)]


def test_did_you_mean_sees_a_capped_candidate_set(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = difflib.get_close_matches

    def counting(word: str, possibilities: Any, *args: Any, **kwargs: Any) -> list[str]:
        possibilities = list(possibilities)
        seen.append(len(possibilities))
        return real(word, possibilities, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    pages = _pages(5000)
    with pytest.raises(NoSuchPage, match=r"Did you mean handbook/team-7/topic-107\.md"):
        section.locate(_served(pages), "handbook/team-7/topic-107.mdx")
    with pytest.raises(NoSuchPage) as excinfo:
        section.locate(_served(pages), "x" * 1024)  # the longest path the schema allows
    assert "Did you mean" not in str(excinfo.value)
    assert seen and max(seen) <= section.MAX_HINT_CANDIDATES


def test_a_typo_in_the_directory_still_finds_the_page_by_its_name() -> None:
    pages = _pages(5000)
    with pytest.raises(NoSuchPage, match=r"Did you mean handbook/team-7/topic-107\.md"):
        section.locate(_served(pages), "handbok/team-7/topic-107.md")
