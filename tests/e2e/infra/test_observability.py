"""The dashboard charts only metrics the code emits, under the dimensions it emits them with; the
alarm topic's key lets this deployment's CloudWatch alarms publish (and no one else outside the account)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.infra.offline import INFRA, after, initialised, planned, terraform
from thoth.shared.metrics import METRICS, NAMESPACE

AWS_METRICS = {("AWS/Lambda", "Errors"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
               ("AWS/SQS", "ApproximateAgeOfOldestMessage")}  # fmt: skip

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

MODULE = """
module "o" {
  source                = "%s"
  prefix                = "thoth-t"
  environment           = "t"
  region                = "us-east-1"
  account_id            = "123456789012"
  mcp_function_name     = "thoth-t-mcp-server"
  refresh_function_name = ""
  queue_name            = "thoth-t-refresh-service-fanout"
  sources               = ["handbook", "docs"]
  max_index_age_s       = 172800
  refresh_interval_s    = 86400
}
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return initialised(
        tmp_path_factory.mktemp("observability"), MODULE % (INFRA / "modules" / "observability")
    )


@pytest.fixture(scope="module")
def widgets(workdir: Path) -> list[dict[str, Any]]:
    shown = terraform(workdir, "console", stdin="jsonencode(module.o.dashboard_body)\n")
    body: list[dict[str, Any]] = json.loads(json.loads(shown.stdout.strip()))
    return body


@pytest.fixture(scope="module")
def plan(workdir: Path) -> dict[str, Any]:
    return planned(workdir)


def _metric_rows(widgets: list[dict[str, Any]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for widget in widgets:
        previous: list[Any] | None = None
        for row in widget["properties"].get("metrics", []):
            fields = [part for part in row if not isinstance(part, dict)]
            if fields == ["..."]:  # repeats the previous row with other options
                assert previous is not None
                fields = previous
            if fields:
                rows.append(fields)
                previous = fields
    return rows


@needs_terraform
def test_dashboard_charts_only_emitted_metrics(widgets: list[dict[str, Any]]) -> None:
    rows = _metric_rows(widgets)
    assert len(rows) >= 10
    for namespace, name, *dims in rows:
        if namespace != NAMESPACE:
            assert (namespace, name) in AWS_METRICS
            continue
        assert name in METRICS, f"the dashboard charts {name}, which the code never emits"
        assert tuple(dims[0::2]) == METRICS[name].dimensions, f"{name} is charted under other dimensions"
        assert dict(zip(dims[0::2], dims[1::2], strict=True))["Environment"] == "t"


@needs_terraform
def test_dashboard_has_every_panel_an_operator_needs(widgets: list[dict[str, Any]]) -> None:
    charted = {row[1] for row in _metric_rows(widgets)}
    for needed in (
        "ToolLatency",
        "ToolCalls",
        "ZeroResults",
        "ToolErrors",
        "ColdStarts",
        "IndexAgeSeconds",
        "RefreshDuration",
        "RefreshFailed",
        "Published",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert needed in charted
    stats = {
        opt.get("stat")
        for w in widgets
        for row in w["properties"].get("metrics", [])
        for opt in row
        if isinstance(opt, dict)
    }
    assert {"p50", "p99"} <= stats
    sources = {row[5] for row in _metric_rows(widgets) if row[1] == "IndexAgeSeconds"}
    assert sources == {"handbook", "docs"}
    (log_widget,) = [w for w in widgets if w["type"] == "log"]
    assert "@initDuration" in log_widget["properties"]["query"]
    assert "/aws/lambda/thoth-t-mcp-server" in log_widget["properties"]["query"]


def _configured(document: dict[str, Any], address: str) -> dict[str, Any]:
    resources = document["configuration"]["root_module"]["module_calls"]["o"]["module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


@needs_terraform
def test_alarms_reach_the_topic_through_a_key_that_grants_cloudwatch(plan: dict[str, Any]) -> None:
    (key,) = after(plan, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    statements = json.loads(key["policy"])["Statement"]
    (cloudwatch,) = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch["Action"])
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:thoth-t-*"},
    }
    # Nobody else outside the account: the only other principal is the account itself.
    assert [s["Principal"] for s in statements if s is not cloudwatch] == [
        {"AWS": "arn:aws:iam::123456789012:root"}
    ]
    # The topic is encrypted with that key (not alias/aws/sns, whose policy CloudWatch cannot use) ...
    topic = _configured(plan, "aws_sns_topic.alarms")["expressions"]["kms_master_key_id"]
    assert "aws_kms_key.alarms" in topic.get("references", []), topic
    # ... and every alarm publishes to it under a name the grant's SourceArn matches.
    alarms = after(plan, "aws_cloudwatch_metric_alarm")
    assert len(alarms) == 6 and all(a["alarm_name"].startswith("thoth-t-") for a in alarms)
    for address in ("index_age", "refresh_failed", "refresh_stopped"):
        alarm = _configured(plan, f"aws_cloudwatch_metric_alarm.{address}")
        assert "aws_sns_topic.alarms.arn" in alarm["expressions"]["alarm_actions"]["references"]


@needs_terraform
def test_the_stale_index_alarm_sees_a_data_point_every_schedule_interval(plan: dict[str, Any]) -> None:
    stale = [a for a in after(plan, "aws_cloudwatch_metric_alarm") if "index-stale" in a["alarm_name"]]
    # The refresh writes IndexAgeSeconds when each scheduled run starts: one run per period.
    assert {(a["period"], a["evaluation_periods"], a["threshold"]) for a in stale} == {(86400, 1, 172800)}
