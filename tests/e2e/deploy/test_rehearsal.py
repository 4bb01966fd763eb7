"""`refresh_remote -- local`: the refresh handler, run in-process on the embedded AWS with the schedule's
event, publishes an index that the deployed MCP server's artifacts then search (real layers, real index).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.deploy.conftest import ROLE_POLICY, client
from thoth.shared.config import load_settings
from thoth.shared.live import read_live
from thoth.shared.state import state_store
from tools.aws.session import Session
from tools.deploy import build_outputs, deploy, lambda_ops
from tools.embedded_aws import create_state_table
from tools.ops import doctor, refresh_remote

REPO = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real function zip, dependency layer and encoder layer, from the packaging tool (its caches)."""
    out = tmp_path_factory.mktemp("packaged")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.build.cli", "layer", "--out", str(out), "--functions", str(out),
         "--no-smoke"],
        cwd=REPO, capture_output=True, text=True, timeout=1200, check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture
def rehearsal(provisioned: Session, moto_url: str) -> Session:
    """`provisioned` plus what `infra local apply` creates for the refresh side: the state table, the
    api-key secret (no value), the refresh function with its `live` alias and the daily schedule."""
    env = provisioned.env
    create_state_table(client(moto_url, "dynamodb"), env.table)
    client(moto_url, "secretsmanager").create_secret(Name=env.secret("api-key"))
    role = client(moto_url, "iam").create_role(
        RoleName="thoth-local-refresh", AssumeRolePolicyDocument=ROLE_POLICY
    )
    lam = client(moto_url, "lambda")
    lam.create_function(
        FunctionName=env.refresh_function, Role=role["Role"]["Arn"], PackageType="Image",
        Code={"ImageUri": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{env.repository}:not-yet-pushed"},
        Publish=True, MemorySize=2048, Timeout=900,
        Environment={"Variables": {"ENVIRONMENT": "local", "S3_BUCKET_NAME": "thoth-local-artifacts",
                                   "DYNAMODB_TABLE_NAME": env.table, "LOG_LEVEL": "INFO"}},
    )  # fmt: skip
    alias = lam.create_alias(FunctionName=env.refresh_function, Name="live", FunctionVersion="1")
    events = client(moto_url, "events")
    events.put_rule(Name=f"{env.refresh_function}-schedule", ScheduleExpression="rate(1 day)")
    events.put_targets(
        Rule=f"{env.refresh_function}-schedule", Targets=[{"Id": "live", "Arn": alias["AliasArn"]}]
    )
    return provisioned


def test_refresh_remote_local_publishes_an_index_the_function_then_finds(
    rehearsal: Session, packaged: Path, moto_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = rehearsal.env
    layers = [
        build_outputs.load_zip(packaged / name) for name in ("thoth-mcp-layer.zip", "thoth-encoder-layer.zip")
    ]
    deploy.deploy_mcp(rehearsal, build_outputs.load_zip(packaged / "thoth-mcp-server.zip"), layers)
    deployed = capsys.readouterr().out
    # Before any refresh the function is alive but serves nothing, and the deploy says what comes next.
    assert "publish an index with `nox -s refresh_remote -- local`" in deployed

    assert refresh_remote.refresh_remote(rehearsal, "all") == 0
    out = capsys.readouterr().out
    event = json.loads(
        next(line for line in out.splitlines() if line.startswith("event: "))[len("event: ") :]
    )
    rule = client(moto_url, "events").describe_rule(Name=f"{env.refresh_function}-schedule")
    assert event["detail-type"] == "Scheduled Event" and event["resources"] == [rule["Arn"]]
    assert "the rehearsal put samples/handbook there as source `handbook`" in out
    assert f"{env.secret('api-key')} had no value; the rehearsal put a generated one there" in out

    on_moto = {"AWS_ENDPOINT_URL": moto_url, "S3_BUCKET_NAME": "thoth-local-artifacts",
               "DYNAMODB_TABLE_NAME": env.table, "THOTH_HOME": str(tmp_path)}  # fmt: skip
    pointer = read_live(state_store(load_settings(on_moto)), "handbook")
    assert pointer is not None and pointer.chunk_count > 0
    listed = client(moto_url, "s3").list_objects_v2(
        Bucket="thoth-local-artifacts", Prefix="indexes/handbook/"
    )
    assert f"indexes/handbook/{pointer.version}/manifest.json" in [o["Key"] for o in listed["Contents"]]
    smoke = next(line for line in out.splitlines() if line.startswith("search smoke: "))
    assert "/health 200 ok" in smoke and "first people/time-off.md" in smoke

    # The same index a second time: unchanged, and the function still answers from it.
    assert refresh_remote.refresh_remote(rehearsal, "all") == 0
    again = capsys.readouterr().out
    assert "sources: s3://thoth-local-artifacts/config/sources.yaml (as it is)" in again
    assert "first people/time-off.md" in again

    checks = doctor.serving_checks(rehearsal, lambda_ops.alias_version(rehearsal, env.mcp_function))
    assert [(c.ok, c.what) for c in checks] == [
        (True, "handler importable (deployed artifacts, run here)"), (True, "health"), (True, "search"),
    ]  # fmt: skip
    assert "people/time-off.md" in checks[2].detail
