"""End to end on the embedded AWS: moto server + local registry, Terraform, the AWS CLI, buildah.

moto server up -> `infra local apply` -> `deploy local` (everything published) -> `deploy local` again
(all unchanged, zero publish/update/push calls as the server recorded them) -> MCP server code changed
in a temp copy of the repo -> deploy (only the function) -> `rollback local` -> the image pulled back
from the registry by digest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import deploy_artifacts
from tools.aws.callcount import ServerLog, changing_calls
from tools.aws.errors import DeployError
from tools.build import scratch_image
from tools.deploy import build_outputs, image_registry

REPO = Path(__file__).resolve().parents[3]
TOOLS = ("terraform", "buildah", "docker-registry")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason=f"needs {', '.join(TOOLS)}"),
]


def run(home: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, THOTH_HOME=str(home), TF_CLI_CONFIG_FILE=str(REPO / "infra" / "terraform.rc"))
    argv = [sys.executable, "-m", "tools.deploy", *args]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=400, check=False)
    assert proc.returncode == expect, (
        f"{args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


def summary(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("thoth-home")
    yield path
    env = dict(os.environ, THOTH_HOME=str(path))
    subprocess.run(
        [sys.executable, "-m", "tools.deploy", "local-aws", "stop"], cwd=REPO, env=env, check=False
    )


def _built(record: Path) -> bool:
    """build/container.json's image is still in local storage (a rebuild may have replaced it)."""
    try:
        image_registry.storage("buildah", build_outputs.load_container(record).reference)
    except DeployError:
        return False
    return True


def artifact_set(tmp: Path) -> tuple[list[Path], Path, Path, str]:
    """The packaging engineer's real builds when present (copied: they may be rebuilt meanwhile), else
    small real zips from this repository's code; the refresh image likewise (or a buildah scratch image)."""
    layers = [REPO / "lambda-layers" / n for n in ("thoth-mcp-layer.zip", "thoth-encoder-layer.zip")]
    function = REPO / "lambda-functions" / "thoth-mcp-server.zip"
    if all(p.is_file() for p in [*layers, function]):
        copies = []
        for path in [*layers, function]:
            copies.append(tmp / path.name)
            shutil.copyfile(path, copies[-1])
        kind = "packaged layers"
        layer_paths, function_path = copies[:2], copies[2]
    else:
        layer_paths = [deploy_artifacts.build_small_layer(tmp / "thoth-mcp-layer.zip")]
        function_path = deploy_artifacts.build_function_zip(tmp)
        kind = "small layer built here"
    container = REPO / "build" / "container.json"
    if container.is_file() and _built(container):
        shutil.copyfile(container, tmp / "container.json")
        container = tmp / "container.json"
        kind += ", real refresh image"
    else:
        container = scratch_image.build(tmp / "container.json", marker=f"e2e {tmp.name}")
        kind += ", buildah scratch image"
    return layer_paths, function_path, container, kind


@pytest.mark.timeout(900)
def check_observability(aws: dict[str, str]) -> None:
    """The dashboard, the alarms and the SNS topic they notify exist on the embedded AWS."""
    from thoth.shared.metrics import METRICS, NAMESPACE

    cloudwatch = boto3.client("cloudwatch", **aws)
    body = json.loads(cloudwatch.get_dashboard(DashboardName="thoth-local-overview")["DashboardBody"])
    charted = {row[1] for w in body["widgets"] for row in w["properties"].get("metrics", [])
               if isinstance(row[0], str) and row[0] == NAMESPACE}  # fmt: skip
    assert charted and charted <= set(METRICS)
    (topic,) = [t["TopicArn"] for t in boto3.client("sns", **aws).list_topics()["Topics"]
                if t["TopicArn"].endswith(":thoth-local-alarms")]  # fmt: skip
    alarms = {
        a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix="thoth-local-")["MetricAlarms"]
    }
    for name in ("index-stale", "refresh-failed", "refresh-stopped"):
        alarm = alarms[f"thoth-local-{name}-handbook"]
        assert alarm["Namespace"] == NAMESPACE and alarm["AlarmActions"] == [topic]
        assert alarm["MetricName"] in METRICS
    assert alarms["thoth-local-index-stale-handbook"]["Threshold"] == 2 * 86400  # 2x rate(1 day)
    assert alarms["thoth-local-refresh-stopped-handbook"]["TreatMissingData"] == "breaching"


def test_provision_deploy_redeploy_change_rollback(home: Path, tmp_path: Path) -> None:
    layers, function, container, kind = artifact_set(tmp_path)
    print(f"artifacts: {kind}")
    run(home, "local-aws", "start")
    endpoints = json.loads((home / "local-aws" / "endpoints.json").read_text())
    log = ServerLog(Path(endpoints["recording"]), Path(endpoints["registry_log"]))
    aws = {"endpoint_url": endpoints["aws_endpoint"], "region_name": "us-east-1",
           "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # fmt: skip
    lam = boto3.client("lambda", **aws)

    applied = run(home, "infra", "local", "apply")
    assert "embedded AWS reused" in applied.stdout and "apply of local complete" in applied.stdout
    assert lam.get_alias(FunctionName="thoth-local-mcp-server", Name="live")["FunctionVersion"] == "1"
    table = boto3.client("dynamodb", **aws).describe_table(TableName="thoth-local-mcp-state")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    check_observability(aws)

    args = ["deploy", "local", "--json", "--no-build", "--layer", ",".join(map(str, layers)),
            "--function", str(function), "--container", str(container)]  # fmt: skip
    first = summary(run(home, *args))
    assert first["environment"] == "local"
    assert first["layer"]["action"] == "published"
    assert first["mcp_server"]["action"] == "updated"
    assert first["refresh_service"]["action"] == "pushed"
    assert (
        first["smoke"]["mcp_server"]["passed"] and first["smoke"]["mcp_server"]["mode"] == "local-artifacts"
    )
    assert first["smoke"]["refresh_service"]["mode"] == "registry-pull"
    live = first["mcp_server"]["version"]
    assert lam.get_alias(FunctionName="thoth-local-mcp-server", Name="live")["FunctionVersion"] == live

    mark = log.mark()
    second = summary(run(home, *args))
    counts = log.since(mark)
    assert [second[k]["action"] for k in ("layer", "mcp_server", "refresh_service")] == ["unchanged"] * 3
    assert changing_calls(counts) == 0, counts
    assert sum(counts.values()) > 0  # the server did see the (read-only) calls
    # The tool counts from after its credential check, so it sees a subset of what the test saw.
    assert second["server_calls"]["changing"] == 0 and 0 < second["server_calls"]["total"] <= sum(
        counts.values()
    )

    copy = tmp_path / "repo"
    for part in ("packages", "tools"):
        shutil.copytree(REPO / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copyfile(REPO / "pyproject.toml", copy / "pyproject.toml")
    health = copy / "packages" / "mcp_server" / "src" / "thoth" / "mcp_server" / "health.py"
    health.write_text(health.read_text() + "\n# e2e: a code-only change\n")
    changed = deploy_artifacts.build_function_zip(tmp_path / "changed", repo=copy)
    mark = log.mark()
    third = summary(run(home, *args[:-4], "--function", str(changed), "--container", str(container)))
    counts = log.since(mark)
    assert third["layer"]["action"] == "unchanged" and third["refresh_service"]["action"] == "unchanged"
    assert third["mcp_server"]["action"] == "updated" and third["mcp_server"]["previous_version"] == live
    assert counts["lambda:UpdateFunctionCode"] == 1 and counts["lambda:PublishVersion"] == 1
    assert "lambda:PublishLayerVersion" not in counts and "registry:PushManifest" not in counts
    assert "lambda:UpdateFunctionConfiguration" not in counts

    rolled = run(home, "rollback", "local")
    assert f"-> {live}" in rolled.stdout
    assert lam.get_alias(FunctionName="thoth-local-mcp-server", Name="live")["FunctionVersion"] == live

    digest = first["refresh_service"]["digest"]
    ecr = boto3.client("ecr", **aws).describe_images(repositoryName="thoth-local-refresh-service")
    assert [d["imageDigest"] for d in ecr["imageDetails"]] == [digest]
    image_uri = lam.get_function(FunctionName="thoth-local-refresh-service", Qualifier="live")["Code"][
        "ImageUri"
    ]
    assert image_uri.endswith(f"@{digest}")
    ref = f"{endpoints['registry']}/thoth-local-refresh-service@{digest}"
    pushed = build_outputs.load_container(container).reference
    # The storage the pushed image lives in (the packaging build uses buildah's vfs), for both images.
    flags = image_registry.storage("buildah", pushed)
    pulled = subprocess.run(
        ["buildah", *flags, "pull", "--tls-verify=false", ref], capture_output=True, text=True, check=False
    )
    assert pulled.returncode == 0, pulled.stderr

    # Pulling by digest makes the registry client verify the manifest digest. The pulled image must be
    # the one that was pushed: same image ID. (Not FromImageDigest: storage dedupes identical images
    # across runs and keeps the digest it first recorded.)
    def image_id(reference: str) -> str:
        proc = subprocess.run(
            ["buildah", *flags, "inspect", "--type", "image", reference],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        found: str = json.loads(proc.stdout)["FromImageID"]
        return found

    assert image_id(ref) == image_id(pushed)

    # Everything is in place but an index (no refresh ran here): doctor names that one fix and fails.
    doctor = run(home, "doctor", "local", expect=1)
    fixes = [line for line in doctor.stdout.splitlines() if line.startswith("FIX")]
    assert len(fixes) == 1 and fixes[0].startswith("FIX health: /health 503 degraded"), doctor.stdout
    assert fixes[0].endswith("publish an index with `nox -s refresh_remote -- local`")
