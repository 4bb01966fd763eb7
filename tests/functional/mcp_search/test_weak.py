"""search_handbook says plainly when nothing in the handbook matches well (sample handbook, real ONNX)."""

from __future__ import annotations

import pytest

from tests.support.mcp_search import call_tool
from thoth.shared.index import LivePointer

OFF_TOPIC = [
    "xyzzy plugh qwertyuiop",
    "how do I feed a sourdough starter",
    "best snorkeling beaches in Thailand",
    "how many moons does Jupiter have",
]
REAL = [
    "how many days of vacation do I get",
    "can I fly business class to a conference",
    "which python formatter do we use",
    "terraform state locking",
]


@pytest.mark.parametrize("query", OFF_TOPIC)
def test_an_off_topic_query_is_answered_as_a_weak_match(published: LivePointer, query: str) -> None:
    output = call_tool("search_handbook", {"query": query})
    assert not output.is_error and output.structured is not None
    answer = output.structured
    assert answer["weak"] is True and answer["match_floor"] == 0.27
    assert output.text.startswith(f"Nothing in the handbook matches {query!r} well")
    assert "weak match" in output.text.split("\n\n", 1)[1]  # every result is labelled, not scored
    assert 1 <= len(answer["results"]) <= 3  # the closest few, not a confident-looking five
    assert all(0 <= r["match"] < answer["match_floor"] for r in answer["results"])
    assert output.metrics is not None and output.metrics["WeakMatch"] == 1


@pytest.mark.parametrize("query", REAL)
def test_a_real_question_is_answered_as_usual(published: LivePointer, query: str) -> None:
    output = call_tool("search_handbook", {"query": query})
    assert output.structured is not None and output.structured["weak"] is False
    assert output.text.startswith("5 result(s) for") and "Nothing in the handbook" not in output.text
    results = output.structured["results"]
    assert len(results) == 5 and all(0 <= r["match"] <= 1 for r in results)
    assert max(r["match"] for r in results) >= output.structured["match_floor"]
    assert output.metrics is not None and output.metrics["WeakMatch"] == 0


def test_the_floor_is_a_setting(published: LivePointer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_WEAK_MATCH_FLOOR", "0")  # never weak: every answer as before
    output = call_tool("search_handbook", {"query": OFF_TOPIC[0]})
    assert output.structured is not None and output.structured["weak"] is False
    assert len(output.structured["results"]) == 5
    monkeypatch.setenv("THOTH_WEAK_MATCH_FLOOR", "1")  # nothing is ever a perfect match
    output = call_tool("search_handbook", {"query": REAL[0]})
    assert output.structured is not None and output.structured["weak"] is True
    monkeypatch.setenv("THOTH_WEAK_MATCH_FLOOR", "high")
    output = call_tool("search_handbook", {"query": REAL[0]})
    assert output.is_error and "THOTH_WEAK_MATCH_FLOOR='high' is not a number" in output.text
