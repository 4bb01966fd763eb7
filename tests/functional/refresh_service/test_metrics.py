"""Every refresh run writes one metrics record: what it did and how old the live index is after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.refresh import PAGES, run, write_tree
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.shared.config import get_settings
from thoth.shared.metrics import METRICS, parse


def _records() -> list[dict[str, Any]]:
    path = get_settings().home / "metrics.jsonl"
    docs = [parse(line) for line in path.read_text().splitlines()]
    return [d for d in docs if d is not None and d.get("Source") == "docs"]


def test_a_run_records_its_metrics(tmp_path: Path, services: Services) -> None:
    root = tmp_path / "docs"
    write_tree(root, {**PAGES, "broken.md": b"\xff\xfe\x00 not text"})
    config = SourceConfig("docs", "dir", str(root))
    first = run(config, services)
    assert first.status == "ok", first.error
    again = run(config, services)
    assert again.status == "unchanged"
    (published, unchanged) = _records()
    assert published["RefreshRuns"] == 1 and published["Published"] == 1 and published["RefreshFailed"] == 0
    assert published["FilesChanged"] == first.files_added and published["FilesChanged"] >= len(PAGES)
    assert published["FilesSkipped"] == first.files_skipped
    assert published["ChunksEmbedded"] == first.chunks_embedded > 0
    assert 0 <= published["IndexAgeSeconds"] < 120 and published["status"] == "ok"
    assert unchanged["Published"] == 0 and unchanged["ChunksEmbedded"] == 0 and unchanged["FilesChanged"] == 0
    for doc in (published, unchanged):
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["Environment", "Source"]]
        assert all(m["Unit"] == METRICS[m["Name"]].unit for m in directive["Metrics"])
        assert json.dumps(doc).count(str(root)) == 0  # no local paths in metrics


def test_a_failed_run_counts_as_failed(tmp_path: Path, services: Services) -> None:
    config = SourceConfig("docs", "dir", str(tmp_path / "missing"))
    report = run(config, services)
    assert report.status == "error"
    (doc,) = _records()
    assert doc["RefreshFailed"] == 1 and doc["Published"] == 0 and "IndexAgeSeconds" not in doc
