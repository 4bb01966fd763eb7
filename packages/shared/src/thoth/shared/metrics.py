"""Thoth's own metrics as CloudWatch Embedded Metric Format (EMF) log lines: no API call, no client.

On Lambda a record is one JSON line on stdout, which CloudWatch Logs turns into metrics. Locally
the same record is logged as a readable line and appended to THOTH_HOME/metrics.jsonl, which
`nox -s report -- local` reads.

A small writer instead of a library, for the cold start (python -X importtime, this machine):
aws_lambda_powertools.metrics costs 80-95 ms and aws_embedded_metrics 340-380 ms to import,
against 27 ms for a whole cold /health; this module costs 0.15-0.35 ms with bytecode (json, sys, time).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from thoth.shared.config import Settings, get_settings
from thoth.shared.errors import ConfigError

NAMESPACE: Final = "Thoth"
LOCAL_FILE: Final = "metrics.jsonl"
# EMF allows 100 metrics and 30 dimensions per record; ours are far below, checked at emit.
MAX_METRICS: Final = 100


class Metric:
    """One metric Thoth emits: its name, CloudWatch unit and the dimension set it is recorded under."""

    # A plain class, not a dataclass: fewer import-time steps on the cold-start path.
    __slots__ = ("dimensions", "help", "name", "unit")

    def __init__(self, name: str, unit: str, dimensions: tuple[str, ...], help: str) -> None:
        self.name, self.unit, self.dimensions, self.help = name, unit, dimensions, help


_CALL = ("Environment", "Tool")
_SOURCE = ("Environment", "Source")
METRICS: Final[dict[str, Metric]] = {
    m.name: m
    for m in (
        Metric("ToolLatency", "Milliseconds", _CALL, "time inside one tools/call"),
        Metric("ToolCalls", "Count", _CALL, "tools/call requests"),
        Metric("ToolErrors", "Count", _CALL, "calls that ended in an isError result or a -32603"),
        Metric("Results", "Count", _CALL, "results a search returned"),
        Metric("ZeroResults", "Count", _CALL, "1 when a search returned nothing"),
        Metric("TopScore", "None", _CALL, "fused score of a search's first result, relative (0 without one)"),
        Metric("TopSimilarity", "None", _CALL, "query-to-first-result cosine, absolute (0 without one)"),
        Metric("TopMatch", "None", _CALL, "best match measure of a search's results, 0-1 (0 without one)"),
        Metric("WeakMatch", "Count", _CALL, "1 when a search answered that nothing matches well"),
        Metric("ColdStarts", "Count", ("Environment", "Function"), "first invocation of a process"),
        Metric("IndexAgeSeconds", "Seconds", _SOURCE, "age of the live index version of a source"),
        Metric("RefreshDuration", "Seconds", _SOURCE, "wall time of one refresh run"),
        Metric("RefreshRuns", "Count", _SOURCE, "refresh runs"),
        Metric("RefreshFailed", "Count", _SOURCE, "1 when a run ended in error (nothing published)"),
        Metric("FilesChanged", "Count", _SOURCE, "files added, modified, renamed or deleted"),
        Metric("FilesSkipped", "Count", _SOURCE, "files skipped (too large, unparsable, over budget)"),
        Metric("ChunksEmbedded", "Count", _SOURCE, "chunks embedded by the run (the rest were reused)"),
        Metric("EmbeddingsPerSecond", "Count/Second", _SOURCE, "embedding throughput of the run"),
        Metric("Published", "Count", _SOURCE, "1 when the run flipped the live pointer to a new version"),
    )
}

log = logging.getLogger("thoth.metrics")
_sinks: dict[Settings, Sink] = {}
_lock = threading.Lock()


class Sink:
    """Where records go: stdout as EMF on Lambda, else the log plus a JSON-lines file."""

    __slots__ = ("environment", "local_file", "on_lambda")

    def __init__(self, environment: str, on_lambda: bool, local_file: Path | None) -> None:
        self.environment, self.on_lambda, self.local_file = environment, on_lambda, local_file


def sink(settings: Settings | None = None) -> Sink | None:
    """Where this process's records go; None when the settings are unusable (the request reports that)."""
    try:
        settings = settings or get_settings()
    except ConfigError:
        return None
    found = _sinks.get(settings)
    if found is None:
        local = None if settings.on_lambda else settings.home / LOCAL_FILE
        found = _sinks[settings] = Sink(settings.environment, settings.on_lambda, local)
    return found


def record(
    target: Sink, dimensions: Mapping[str, str], values: Mapping[str, float], properties: Mapping[str, Any]
) -> dict[str, Any]:
    """The EMF document for one set of values under one dimension set (plus non-metric properties)."""
    if not values or len(values) > MAX_METRICS:
        raise ValueError(f"an EMF record holds 1 to {MAX_METRICS} metrics, got {len(values)}")
    names = [METRICS[name] for name in values]  # KeyError: an undeclared metric is a programming error
    wanted = {"Environment", *dimensions}
    for metric in names:
        if set(metric.dimensions) != wanted:
            raise ValueError(f"{metric.name} is recorded under {metric.dimensions}, not {sorted(wanted)}")
    doc: dict[str, Any] = {
        key: value for key, value in properties.items() if key not in values and key != "_aws"
    }
    doc.update({"Environment": target.environment, **dimensions})
    doc.update({name: float(value) for name, value in values.items()})
    doc["_aws"] = {
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [list(names[0].dimensions)],
                "Metrics": [{"Name": m.name, "Unit": m.unit} for m in names],
            }
        ],
    }
    return doc


def emit(
    dimensions: Mapping[str, str],
    values: Mapping[str, float],
    properties: Mapping[str, Any] | None = None,
    where: Sink | None = None,
) -> None:
    """Write one record to `where` (default: this process's sink); never raises (a metric must not fail a
    request)."""
    try:
        target = where or sink()
        if target is None:
            return
        doc = record(target, dimensions, values, properties or {})
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str)
        if target.on_lambda:
            with _lock:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            return
        shown = " ".join(f"{k}={v:g}" for k, v in values.items())
        log.info("metrics %s %s", " ".join(f"{k}={v}" for k, v in dimensions.items()), shown)
        if target.local_file is not None:
            with _lock:
                target.local_file.parent.mkdir(parents=True, exist_ok=True)
                with open(target.local_file, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
    except Exception:
        log.warning("could not write a metrics record", exc_info=True)


def parse(line: str) -> dict[str, Any] | None:
    """The EMF document in one log line (JSON object with `_aws`), else None; tolerant of any text."""
    start = line.find("{")
    if start < 0 or '"_aws"' not in line:
        return None
    try:
        doc = json.loads(line[start:])
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("_aws"), dict):
        return None
    return doc
