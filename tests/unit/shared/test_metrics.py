"""EMF records parse back with the names, units and dimensions CloudWatch needs; bad ones never fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thoth.shared import metrics
from thoth.shared.metrics import METRICS, NAMESPACE, Sink, emit, parse, record

LAMBDA = Sink("dev", on_lambda=True, local_file=None)


def test_record_is_valid_emf() -> None:
    doc = record(LAMBDA, {"Tool": "search_handbook"}, {"ToolLatency": 5.25, "Results": 3}, {"source": "*"})
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE == "Thoth"
    assert directive["Dimensions"] == [["Environment", "Tool"]]
    assert directive["Metrics"] == [
        {"Name": "ToolLatency", "Unit": "Milliseconds"},
        {"Name": "Results", "Unit": "Count"},
    ]
    assert doc["Environment"] == "dev" and doc["Tool"] == "search_handbook"
    assert doc["ToolLatency"] == 5.25 and doc["Results"] == 3.0 and doc["source"] == "*"
    assert isinstance(doc["_aws"]["Timestamp"], int) and doc["_aws"]["Timestamp"] > 1_700_000_000_000
    for name in ("Environment", "Tool"):  # every dimension is a top-level string member, as EMF requires
        assert isinstance(doc[name], str)


def test_every_metric_has_a_cloudwatch_unit_and_environment_dimension() -> None:
    units = {"Milliseconds", "Seconds", "Count", "Count/Second", "None"}
    for metric in METRICS.values():
        assert metric.unit in units and metric.dimensions[0] == "Environment" and len(metric.dimensions) <= 30


@pytest.mark.parametrize(
    ("dims", "values", "error"),
    [
        ({"Tool": "x"}, {"NoSuchMetric": 1}, KeyError),
        ({"Source": "handbook"}, {"ToolLatency": 1}, ValueError),  # wrong dimension set
        ({"Tool": "x"}, {}, ValueError),
    ],
)
def test_record_refuses_what_cloudwatch_would_drop(
    dims: dict[str, str], values: dict[str, float], error: type
) -> None:
    with pytest.raises(error):
        record(LAMBDA, dims, values, {})


def test_properties_cannot_overwrite_the_directive_or_values() -> None:
    doc = record(LAMBDA, {"Tool": "t"}, {"ToolCalls": 1}, {"_aws": "x", "ToolCalls": 99})
    assert doc["ToolCalls"] == 1.0 and isinstance(doc["_aws"], dict)


def test_on_lambda_one_json_line_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    emit({"Tool": "search_handbook"}, {"ToolCalls": 1}, where=LAMBDA)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    doc = parse(out[0])
    assert doc is not None and doc["ToolCalls"] == 1.0


def test_locally_a_readable_log_line_and_a_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink = Sink("local", on_lambda=False, local_file=tmp_path / "m" / "metrics.jsonl")
    with caplog.at_level("INFO", logger="thoth.metrics"):
        emit({"Source": "handbook"}, {"RefreshRuns": 1, "RefreshDuration": 2.5}, where=sink)
        emit({"Source": "handbook"}, {"RefreshRuns": 1}, where=sink)
    assert "Source=handbook RefreshRuns=1 RefreshDuration=2.5" in caplog.text
    lines = (tmp_path / "m" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["RefreshRuns"] for line in lines] == [1.0, 1.0]


def test_emit_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    emit({"Tool": "t"}, {"NoSuchMetric": 1}, where=LAMBDA)
    emit({"Source": "s"}, {"RefreshRuns": 1}, where=Sink("local", False, blocked / "metrics.jsonl"))
    assert caplog.text.count("could not write a metrics record") == 2


@pytest.mark.parametrize(
    "line", ["", "plain text", "{not json", '{"_aws": 3}', '["_aws"]', "START RequestId: x"]
)
def test_parse_tolerates_any_log_line(line: str) -> None:
    assert parse(line) is None


def test_parse_finds_emf_after_a_lambda_prefix() -> None:
    doc = json.dumps(record(LAMBDA, {"Tool": "t"}, {"ToolCalls": 1}, {}))
    assert parse(f"2026-12-01T00:00:00Z\tabc\t{doc}") is not None


def test_sink_follows_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from thoth.shared.config import load_settings

    local = metrics.sink(load_settings({"THOTH_HOME": str(tmp_path)}))
    assert local is not None and local.local_file == tmp_path / "metrics.jsonl" and not local.on_lambda
    remote = metrics.sink(load_settings({"AWS_LAMBDA_FUNCTION_NAME": "f", "ENVIRONMENT": "dev"}))
    assert (
        remote is not None and remote.on_lambda and remote.local_file is None and remote.environment == "dev"
    )
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    from thoth.shared.config import get_settings

    get_settings.cache_clear()
    assert metrics.sink() is None


def test_readme_lists_every_metric() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    for metric in METRICS.values():
        assert f"| `{metric.name}` | {metric.unit} | {', '.join(metric.dimensions)} |" in readme, metric.name
