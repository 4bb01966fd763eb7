"""A search writes the documented metrics record; the query text only when THOTH_LOG_QUERIES=on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.mcp_search import call_tool
from thoth.shared.config import get_settings
from thoth.shared.live import LivePointer
from thoth.shared.metrics import METRICS, parse


def _records(key: str, value: str) -> list[dict[str, Any]]:
    path = get_settings().home / "metrics.jsonl"
    docs = [parse(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [d for d in docs if d is not None and d.get(key) == value]


def test_search_records_latency_results_and_index_age(published: LivePointer) -> None:
    hit = call_tool("search_handbook", {"query": "on-call rotation"})
    miss = call_tool("search_handbook", {"query": "policy", "path_prefix": "nowhere/"})
    assert not hit.is_error and not miss.is_error
    first, second = _records("Tool", "search_handbook")[-2:]
    assert first["ToolCalls"] == 1 and first["ToolErrors"] == 0 and first["ToolLatency"] > 0
    assert first["Results"] == 5 and first["ZeroResults"] == 0 and 0 < first["TopScore"] <= 1
    assert second["Results"] == 0 and second["ZeroResults"] == 1 and second["TopScore"] == 0
    assert "query" not in first and first["source"] == "*" and first["top_source"] == "handbook"
    (directive,) = first["_aws"]["CloudWatchMetrics"]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "ToolLatency", "ToolCalls", "ToolErrors", "Results", "ZeroResults", "TopScore", "TopSimilarity",
        "TopMatch", "WeakMatch",
    }  # fmt: skip
    assert 0.3 < first["TopSimilarity"] <= 1 and second["TopSimilarity"] == 0
    assert 0.3 < first["TopMatch"] <= 1 and first["WeakMatch"] == 0 and second["TopMatch"] == 0
    assert all(m["Unit"] == METRICS[m["Name"]].unit for m in directive["Metrics"])
    ages = _records("Source", "handbook")
    assert ages and all(a["IndexAgeSeconds"] >= 0 for a in ages)


def test_query_text_only_when_asked(published: LivePointer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_LOG_QUERIES", "on")
    call_tool("search_handbook", {"query": "expense claims deadline"})
    assert _records("Tool", "search_handbook")[-1]["query"] == "expense claims deadline"


def test_failed_and_other_tools_are_counted(published: LivePointer) -> None:
    call_tool("get_handbook_section", {"path": "no/such/page.md"})
    call_tool("index_status", {})
    (failed,) = _records("Tool", "get_handbook_section")
    assert failed["ToolErrors"] == 1 and "Results" not in failed
    assert _records("Tool", "index_status")[-1]["ToolErrors"] == 0


def test_report_local_reads_a_real_run(
    published: LivePointer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.deploy import cli

    monkeypatch.setenv("THOTH_LOG_QUERIES", "on")
    call_tool("search_handbook", {"query": "on-call rotation"})
    for _ in range(2):
        call_tool("search_handbook", {"query": "moon base airlock", "path_prefix": "nowhere/"})
    assert cli.main(["report", "local", "--since", "1h"]) == 0
    out = capsys.readouterr().out
    assert "3 searches: 2 with no result (66.7%)" in out
    table = out.split("Queries with no or low-scoring results", 1)[1].split("Slowest calls", 1)[0]
    assert "moon base airlock" in table and "on-call rotation" not in table
