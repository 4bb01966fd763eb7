"""The four tools over the sample handbook, published to the local store with real ONNX vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.mcp_search import SECTION_CHANGED, call_tool, index_health, publish
from thoth.mcp_server.protocol.tools import ToolArgumentError, ToolOutput
from thoth.shared.index import Chunk, LivePointer

Corpus = tuple[list[Chunk], npt.NDArray[np.float32]]


def tokens(output: ToolOutput) -> float:
    """The response's size in tokens, at about 4 characters per token (text + structuredContent)."""
    return (len(output.text) + len(json.dumps(output.structured, ensure_ascii=False))) / 4


@pytest.mark.parametrize(
    ("question", "page"),
    [
        ("how many days of vacation do I get", "people/time-off.md"),
        ("on-call compensation allowance", "engineering/on-call.md"),
        ("how do I file an expense claim", "finance/expense-policy.md"),
        ("terraform state locking", "engineering/infrastructure/terraform.md"),
        ("what to do in a P1 incident", "engineering/incident-management.md"),
        ("salary bands for engineers", "people/hiring/offers.md"),
        ("who can approve production access", "security/access-control.md"),
        ("rollback a bad release", "engineering/release-process.md"),
    ],
)
def test_search_finds_the_right_page(published: LivePointer, question: str, page: str) -> None:
    output = call_tool("search_handbook", {"query": question, "limit": 3})
    assert not output.is_error, output.text
    assert output.structured is not None
    assert output.structured["results"][0]["path"] == page
    assert page in output.text


def test_hits_carry_citations(published: LivePointer) -> None:
    output = call_tool("search_handbook", {"query": "on-call compensation"})
    assert output.structured is not None
    results = output.structured["results"]
    assert len(results) == 5 and [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    top = results[0]
    assert top["url"] == "https://handbook.example.com/engineering/on-call#compensation"
    assert top["heading_path"] == ["On-call", "Compensation"] and top["title"] == "On-call"
    assert top["source"] == "handbook" and top["commit"] == "c0ffee" and top["last_modified"]
    assert top["changed_at"] == SECTION_CHANGED  # the section's own date, beside the page's
    assert f"section changed {SECTION_CHANGED[:10]} · updated 2026-11-01" in output.text
    assert top["line_start"] <= top["line_end"] and "allowance" in top["snippet"]
    assert not any(r["snippet"].startswith("#") for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert output.structured["truncated"] is False


def test_filters(published: LivePointer) -> None:
    output = call_tool("search_handbook", {"query": "policy", "limit": 20, "path_prefix": "finance/"})
    assert output.structured is not None
    assert output.structured["results"] and all(
        r["path"].startswith("finance/") for r in output.structured["results"]
    )
    nothing = call_tool("search_handbook", {"query": "policy", "path_prefix": "nowhere/"})
    assert not nothing.is_error and nothing.structured == {
        "query": "policy",
        "results": [],
        "truncated": False,
        "weak": True,  # nothing matches: the text says "No results"
        "match_floor": 0.27,
    }
    assert "No results" in nothing.text
    unknown = call_tool("search_handbook", {"query": "policy", "source": "wiki"})
    assert unknown.is_error and "no source named 'wiki' is live; live sources: handbook" in unknown.text
    same = call_tool("search_handbook", {"query": "policy", "source": "handbook"})
    assert not same.is_error and same.structured is not None and same.structured["results"]


def test_response_budgets(published: LivePointer) -> None:
    assert tokens(call_tool("search_handbook", {"query": "how do we work"})) <= 2000
    assert tokens(call_tool("search_handbook", {"query": "how do we work", "limit": 20})) <= 8000


def test_hard_cap_holds_on_a_pathological_corpus(
    encoder_env: Path, encoder_fingerprint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    rng = np.random.default_rng(1)
    chunks = [
        Chunk(
            id=f"c{i}",
            source="huge",
            path=f"{'deep/' * 80}page-{i}.md",
            title="T" * 5000,
            heading_path=["H" * 3000] * 40,
            url="https://x/" + "u" * 5000,
            line_start=1,
            line_end=2,
            text="word " * 20000,
            content_hash=str(i),
        )
        for i in range(30)
    ]
    vectors = rng.normal(size=(30, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    publish("huge", "v1", chunks, vectors, encoder_fingerprint)
    output = call_tool("search_handbook", {"query": "word", "limit": 20})
    assert not output.is_error and output.structured is not None
    assert tokens(output) <= 8000
    assert output.structured["results"]


def test_section_full_page_and_one_heading(published: LivePointer) -> None:
    page = call_tool("get_handbook_section", {"path": "engineering/on-call.md"})
    assert not page.is_error and page.structured is not None
    content = page.structured["content"]
    for heading in ("# On-call", "## Rotation", "## Compensation", "## Handover"):
        assert heading in content
    assert page.structured["next_cursor"] is None and page.structured["total_chars"] == len(content)
    assert page.structured["url"] == "https://handbook.example.com/engineering/on-call"
    section = call_tool("get_handbook_section", {"path": "engineering/on-call.md", "heading": "compensation"})
    assert section.structured is not None
    assert section.structured["heading"] == "Compensation"
    assert "allowance" in section.structured["content"] and "## Rotation" not in section.structured["content"]
    assert section.structured["url"].endswith("#compensation")


def test_section_by_url_or_rooted_path(published: LivePointer) -> None:
    by_url = call_tool(
        "get_handbook_section", {"path": "https://handbook.example.com/engineering/on-call#compensation"}
    )
    assert not by_url.is_error and by_url.structured is not None
    assert by_url.structured["path"] == "engineering/on-call.md"
    assert by_url.structured["heading"] == "Compensation"  # the url's #anchor selects its section
    assert "allowance" in by_url.structured["content"] and "## Rotation" not in by_url.structured["content"]
    page = call_tool("get_handbook_section", {"path": "https://handbook.example.com/engineering/on-call"})
    assert page.structured is not None and "## Rotation" in page.structured["content"]
    rooted = call_tool("get_handbook_section", {"path": "/engineering/on-call.md", "heading": "Rotation"})
    assert rooted.structured is not None and rooted.structured["path"] == "engineering/on-call.md"
    prefixed = call_tool("search_handbook", {"query": "policy", "path_prefix": "/finance/"})
    assert prefixed.structured is not None and prefixed.structured["results"]
    assert all(r["path"].startswith("finance/") for r in prefixed.structured["results"])
    unknown = call_tool("get_handbook_section", {"path": "https://handbook.example.com/nowhere"})
    assert unknown.is_error and "no page with path" in unknown.text


def test_section_errors_help_the_caller(published: LivePointer) -> None:
    missing = call_tool("get_handbook_section", {"path": "engineering/on-cal.md"})
    assert missing.is_error and "Did you mean engineering/on-call.md" in missing.text
    heading = call_tool("get_handbook_section", {"path": "engineering/on-call.md", "heading": "Pizza"})
    assert heading.is_error and "no heading 'Pizza'" in heading.text and "Compensation" in heading.text


def _pages(tool: str, args: dict[str, Any], key: str) -> list[ToolOutput]:
    outputs = [call_tool(tool, args)]
    while outputs[-1].structured and outputs[-1].structured["next_cursor"]:
        outputs.append(call_tool(tool, {**args, "cursor": outputs[-1].structured["next_cursor"]}))
        assert len(outputs) < 100
    return outputs


def test_section_pagination_reassembles_the_page(published: LivePointer) -> None:
    whole = call_tool("get_handbook_section", {"path": "engineering/on-call.md"}).structured
    assert whole is not None
    pages = _pages("get_handbook_section", {"path": "engineering/on-call.md", "max_chars": 500}, "content")
    assert len(pages) >= 3
    parts = [p.structured["content"] for p in pages if p.structured]
    assert all(len(part) <= 500 for part in parts)
    assert "".join(parts) == whole["content"]
    assert "cursor=" in pages[0].text
    cursor = pages[0].structured["next_cursor"] if pages[0].structured else None
    with pytest.raises(ToolArgumentError, match="different arguments"):
        call_tool(
            "get_handbook_section", {"path": "engineering/testing.md", "max_chars": 500, "cursor": cursor}
        )
    with pytest.raises(ToolArgumentError, match="issued by get_handbook_section"):
        call_tool("list_topics", {"cursor": cursor})


def test_cursor_from_an_older_version_is_refused(
    published: LivePointer, sample_corpus: Corpus, encoder_fingerprint: str
) -> None:
    args = {"path": "engineering/on-call.md", "max_chars": 500}
    first = call_tool("get_handbook_section", args).structured
    assert first is not None
    chunks, vectors = sample_corpus
    publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
    with pytest.raises(ToolArgumentError, match="no longer live"):
        call_tool("get_handbook_section", {**args, "cursor": first["next_cursor"]})


def test_list_topics_levels(published: LivePointer) -> None:
    top = call_tool("list_topics", {})
    assert top.structured is not None
    paths = {t["path"]: t for t in top.structured["topics"]}
    assert paths["engineering/"]["kind"] == "directory" and paths["engineering/"]["pages"] == 12
    assert paths["README.md"]["kind"] == "page" and paths["README.md"]["title"] == "Papyrus Labs Handbook"
    total = sum(t["chunks"] for t in top.structured["topics"])
    assert total == published.chunk_count
    deeper = call_tool("list_topics", {"prefix": "/engineering"})
    assert deeper.structured is not None and deeper.structured["prefix"] == "engineering/"
    assert "engineering/infrastructure/" in {t["path"] for t in deeper.structured["topics"]}
    empty = call_tool("list_topics", {"prefix": "nothing-here/"})
    assert not empty.is_error and empty.structured is not None and empty.structured["topics"] == []


def test_list_topics_paginates(
    encoder_env: Path, encoder_fingerprint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    chunks = [
        Chunk(
            id=f"c{i}",
            source="wide",
            path=f"docs/page-{i:03d}.md",
            title=f"Page {i}",
            heading_path=[],
            url=f"https://x/{i}",
            line_start=1,
            line_end=1,
            text=f"text {i}",
            content_hash=str(i),
        )
        for i in range(120)
    ]
    vectors = np.zeros((120, 384), dtype=np.float32)
    vectors[:, 0] = 1.0
    publish("wide", "v1", chunks, vectors, encoder_fingerprint)
    pages = _pages("list_topics", {"prefix": "docs/"}, "topics")
    assert len(pages) == 3
    seen = [t["path"] for p in pages if p.structured for t in p.structured["topics"]]
    assert seen == sorted(c.path for c in chunks)
    assert all(p.structured and p.structured["total"] == 120 for p in pages)


def test_index_status_and_health(published: LivePointer, encoder_fingerprint: str) -> None:
    status = call_tool("index_status", {})
    assert status.structured is not None and status.structured["status"] == "ok"
    (entry,) = status.structured["sources"]
    assert entry["source"] == "handbook" and entry["version"] == "v1" and entry["commit"] == "c0ffee"
    assert entry["chunk_count"] == published.chunk_count and entry["age_s"] >= 0
    assert status.structured["encoder_fingerprint"] == encoder_fingerprint
    assert "handbook: version v1" in status.text
    health = index_health()
    assert health["status"] == "ok" and "reason" not in health
    assert health["indexes"]["handbook"]["version"] == "v1"
    assert set(health["indexes"]["handbook"]) == {"version", "commit", "built_at", "age_s"}


def test_no_index_yet(encoder_env: Path) -> None:
    output = call_tool("search_handbook", {"query": "anything"})
    assert output.is_error and "no index is live yet" in output.text and output.structured is None
    health = index_health()
    assert health == {"status": "degraded", "reason": health["reason"], "indexes": {}}
    assert "no index is live yet" in health["reason"]


def test_missing_encoder_is_an_operational_error(
    published: LivePointer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(tmp_path / "nowhere"))
    output = call_tool("search_handbook", {"query": "on-call"})
    assert output.is_error and "nox -s build_encoder" in output.text
    health = index_health()
    assert health["status"] == "degraded" and "nox -s build_encoder" in health["reason"]


def test_expired_deadline_is_an_error_result(published: LivePointer) -> None:
    output = call_tool("search_handbook", {"query": "on-call"}, deadline=0.0)
    assert output.is_error and "time budget" in output.text


def test_structured_results_match_the_output_schemas(published: LivePointer) -> None:
    from jsonschema import Draft202012Validator

    from tests.support.mcp_search import tool_specs

    calls = {
        "search_handbook": {"query": "on-call", "limit": 20},
        "get_handbook_section": {"path": "engineering/on-call.md", "heading": "Rotation"},
        "list_topics": {"prefix": "engineering/"},
        "index_status": {},
        "recent_changes": {"since": "7d"},  # no records here; test_recent_changes checks full ones
    }
    with_schema = [spec for spec in tool_specs() if spec.output_schema is not None]
    assert [spec.name for spec in with_schema] == list(calls)  # search and fetch answer text only
    for spec in with_schema:
        output = call_tool(spec.name, calls[spec.name])
        assert not output.is_error, output.text
        Draft202012Validator(spec.output_schema).validate(output.structured)


def test_section_with_its_parent_for_context(published: LivePointer) -> None:
    args = {"path": "engineering/on-call.md", "heading": "Compensation", "with_parent": True}
    output = call_tool("get_handbook_section", args)
    assert not output.is_error and output.structured is not None
    content = output.structured["content"]
    # The parent's own lead-in, then the section; the siblings stay out.
    assert content.index("weekly rotation") < content.index("## Compensation") < content.index("allowance")
    assert "## Rotation" not in content and "## Expectations" not in content
    assert output.structured["parent"] == "On-call" and output.structured["heading"] == "Compensation"
    assert output.structured["url"].endswith("#compensation")
    plain = call_tool("get_handbook_section", {"path": "engineering/on-call.md", "heading": "Compensation"})
    assert plain.structured is not None and plain.structured["parent"] is None
    assert "weekly rotation" not in plain.structured["content"]


def test_with_parent_needs_a_heading(published: LivePointer) -> None:
    with pytest.raises(ToolArgumentError, match="'with_parent' needs 'heading'"):
        call_tool("get_handbook_section", {"path": "engineering/on-call.md", "with_parent": True})
    with pytest.raises(ToolArgumentError, match="with_parent"):
        call_tool("get_handbook_section", {"path": "engineering/on-call.md", "with_parent": "yes"})


def test_results_spread_over_pages_unless_turned_off(published: LivePointer) -> None:
    query = {"query": "on-call rotation shifts compensation handover expectations", "limit": 10}
    spread = call_tool("search_handbook", query)
    scored = call_tool("search_handbook", {**query, "spread_pages": False})
    assert spread.structured is not None and scored.structured is not None
    first = [r["path"] for r in spread.structured["results"][:5]]
    assert max(first.count(p) for p in first) <= 2
    by_score = [r["path"] for r in scored.structured["results"][:5]]
    assert by_score.count("engineering/on-call.md") > 2  # the case the default spreads out
    # Nothing is lost, only moved down: the same chunks, and each page's best chunk first.
    keys = lambda out: {(r["path"], r["line_start"]) for r in out.structured["results"]}  # noqa: E731
    assert keys(spread) == keys(scored)
    on_call = [r for r in spread.structured["results"] if r["path"] == "engineering/on-call.md"]
    assert on_call[0]["score"] == max(r["score"] for r in on_call)
    with pytest.raises(ToolArgumentError, match="spread_pages"):
        call_tool("search_handbook", {"query": "x", "spread_pages": 1})


def test_every_result_links_to_its_heading(published: LivePointer) -> None:
    output = call_tool("search_handbook", {"query": "expense receipts approval", "limit": 10})
    assert output.structured is not None
    for result in output.structured["results"]:
        if len(result["heading_path"]) > 1:  # under a heading below the page title: an anchor
            assert "#" in result["url"], result
