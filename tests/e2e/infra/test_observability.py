"""The dashboard charts only metrics the code emits, under the dimensions it emits them with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from thoth.shared.metrics import METRICS, NAMESPACE

INFRA = Path(__file__).resolve().parents[3] / "infra"
AWS_METRICS = {("AWS/Lambda", "Errors"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
               ("AWS/SQS", "ApproximateAgeOfOldestMessage")}  # fmt: skip

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

ROOT = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
}
module "o" {
  source                = "%s"
  prefix                = "thoth-t"
  environment           = "t"
  region                = "us-east-1"
  mcp_function_name     = "thoth-t-mcp-server"
  refresh_function_name = ""
  queue_name            = "thoth-t-refresh-service-fanout"
  sources               = ["handbook", "docs"]
  max_index_age_s       = 172800
  refresh_interval_s    = 86400
}
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
"""


@pytest.fixture(scope="module")
def widgets(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    work = tmp_path_factory.mktemp("observability")
    (work / "main.tf").write_text(ROOT % (INFRA / "modules" / "observability"))
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(INFRA / "terraform.rc"), TF_IN_AUTOMATION="1")
    run = {"cwd": work, "env": env, "capture_output": True, "text": True, "timeout": 300, "check": False}
    init = subprocess.run(["terraform", "init", "-input=false", "-no-color"], **run)  # type: ignore[call-overload]
    assert init.returncode == 0, init.stderr
    shown = subprocess.run(  # type: ignore[call-overload]
        ["terraform", "console", "-no-color"], input="jsonencode(module.o.dashboard_body)\n", **run
    )
    assert shown.returncode == 0, shown.stderr
    body: list[dict[str, Any]] = json.loads(json.loads(shown.stdout.strip()))
    return body


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
