"""The Lambda handler: scheduled, manual and malformed events; deadline → partial, then resume."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

import thoth.refresh_service.handler as handler_module
from tests.support.refresh import PAGES, write_tree
from thoth.refresh_service.embed import Embedder
from thoth.refresh_service.handler import handler
from thoth.refresh_service.runs import RunOptions
from thoth.shared.config import get_settings
from thoth.shared.live import read_live
from thoth.shared.metrics import parse
from thoth.shared.state import state_store

SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/thoth-dev-refresh"],
    "detail": {},
}


class Context:
    """A Lambda context whose remaining time follows a script (one value per call, then the last)."""

    aws_request_id = "req-1"

    def __init__(self, *millis: int) -> None:
        self.millis = list(millis) or [900_000]

    def get_remaining_time_in_millis(self) -> int:
        return self.millis.pop(0) if len(self.millis) > 1 else self.millis[0]


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_embedder: Embedder) -> Path:
    write_tree(tmp_path / "a", PAGES)
    write_tree(tmp_path / "b", {f"page-{i:03d}.md": f"# Page {i}\n\nFact number {i}.\n" for i in range(20)})
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: alpha, kind: dir, location: a, base_url: 'https://a.example/'}\n"
        "  - {name: bravo, kind: dir, location: b}\n"
    )
    monkeypatch.setenv("THOTH_SOURCES_CONFIG", str(config))
    return tmp_path


def test_scheduled_event_refreshes_every_source(configured: Path) -> None:
    result = handler(SCHEDULED, Context())
    assert result["status"] == "ok"
    assert [r["source"] for r in result["sources"]] == ["alpha", "bravo"]
    assert all(r["status"] == "ok" and r["index_version"] for r in result["sources"])
    again = handler(SCHEDULED, Context())
    assert again["status"] == "unchanged"
    assert all(r["chunks_embedded"] == 0 for r in again["sources"])


def test_manual_event_runs_one_source(configured: Path) -> None:
    result = handler({"source": "alpha", "mode": "full"}, Context())
    assert result["status"] == "ok" and result["source"] == "alpha" and result["mode"] == "full"
    pointer = read_live(state_store(get_settings()), "alpha")
    assert pointer is not None and pointer.version == result["index_version"]
    assert read_live(state_store(get_settings()), "bravo") is None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("refresh please", "must be a JSON object"),
        ({"source": 7}, "'source' must name a configured source"),
        ({"source": "alpha", "mode": "sideways"}, "'mode' is 'sideways'"),
        ({"source": "alpha", "ref": ""}, "'ref' must be"),
        ({"source": "alpha", "colour": "blue"}, "unknown event field(s) colour"),
        ({"source": "zulu"}, "source 'zulu' is not configured; configured sources: alpha, bravo"),
        ({"source": "alpha", "fanout": True}, "fan-out needs THOTH_QUEUE_URL"),
        ({"source": "alpha", "batch_files": 0}, "'batch_files' must be"),
    ],
)
def test_malformed_events_get_a_clear_error(configured: Path, event: Any, message: str) -> None:
    result = handler(event, Context())
    assert result["status"] == "error"
    assert message in result["error"]


def test_no_sources_configured_says_how_to_configure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THOTH_SOURCES_CONFIG", raising=False)
    result = handler(SCHEDULED, Context())
    assert result["status"] == "error"
    assert "config/sources.yaml" in result["error"] and "THOTH_SOURCES_CONFIG" in result["error"]


def test_deadline_returns_partial_and_the_next_invocation_resumes(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20 one-line pages in encode() calls of 16 chunks (a small batch keeps the test fast); time
    # runs out after the first call (the parse pass reads the clock before each of the 20 files).
    monkeypatch.setattr(handler_module, "RunOptions", functools.partial(RunOptions, embed_batch=16))
    partial = handler({"source": "bravo"}, Context(*[900_000] * 21, 1_000))
    assert partial["status"] == "partial"
    assert partial["chunks_embedded"] == 16
    assert read_live(state_store(get_settings()), "bravo") is None
    # Another source publishing meanwhile must not throw away bravo's finished work.
    assert handler({"source": "alpha"}, Context())["status"] == "ok"
    resumed = handler({"source": "bravo"}, Context())
    assert resumed["status"] == "ok", resumed["error"]
    assert resumed["resumed"] is True
    assert resumed["chunks_embedded"] == 4 and resumed["chunks_reused"] == 16
    assert resumed["chunks_total"] == 20


def test_a_scheduled_tick_writes_each_index_age_before_any_run(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handler(SCHEDULED, Context())["status"] == "ok"
    written = get_settings().home / "metrics.jsonl"
    written.unlink()

    def killed(self: Any, options: RunOptions) -> None:
        raise SystemExit("killed mid-run, as the Lambda time limit does: no report, no finally")

    # The next tick's runs die at once; the stale-index alarm must still get its data points.
    monkeypatch.setattr(handler_module.Refresher, "run", killed)
    with pytest.raises(SystemExit):
        handler(SCHEDULED, Context())
    ages = {d["Source"]: d["IndexAgeSeconds"] for d in map(parse, written.read_text().splitlines())
            if d is not None and "IndexAgeSeconds" in d}  # fmt: skip
    assert set(ages) == {"alpha", "bravo"} and all(0 <= age < 600 for age in ages.values())
