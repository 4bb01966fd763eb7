"""Deploy steps against a moto server through the real AWS CLI: idempotence, rollback on every fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.deploy.conftest import BUCKET, client
from tools.aws.callcount import CHANGING
from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import build_outputs, deploy, lambda_ops
from tools.deploy.release import release


def _zips(
    directory: Path, function: str = "thoth-mcp-server.zip"
) -> tuple[build_outputs.ZipArtifact, list[build_outputs.ZipArtifact]]:
    return build_outputs.load_zip(directory / function), [
        build_outputs.load_zip(directory / "thoth-mcp-layer.zip")
    ]


def _changing(calls: list[str]) -> list[str]:
    names = {
        "lambda:publish-layer-version": "lambda:PublishLayerVersion",
        "lambda:publish-version": "lambda:PublishVersion",
        "lambda:update-function-code": "lambda:UpdateFunctionCode",
        "lambda:update-function-configuration": "lambda:UpdateFunctionConfiguration",
        "lambda:update-alias": "lambda:UpdateAlias",
        "s3api:put-object": "s3:PUT",
        "ecr:put-image": "ecr:PutImage",
    }
    return [c for c in calls if names.get(c) in CHANGING]


def test_first_deploy_publishes_then_redeploy_changes_nothing(
    provisioned: Session, artifacts_dir: Path, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the function zip counts as "over 50 MB"
    monkeypatch.setattr(build_outputs, "DIRECT_UPLOAD_LIMIT", 150_000)
    function_zip, layers = _zips(artifacts_dir)
    assert function_zip.via_s3 and not layers[0].via_s3
    layer, mcp, done = deploy.deploy_mcp(provisioned, function_zip, layers)
    assert layer["action"] == "published" and mcp["action"] == "updated"
    assert done.smoke is not None and done.smoke.passed, done.smoke
    assert done.smoke.mode == "local-artifacts"
    live = lambda_ops.alias_version(provisioned, provisioned.env.mcp_function)
    assert live == done.version != "1"
    config = lambda_ops.function_config(provisioned, provisioned.env.mcp_function, live)
    assert config["CodeSha256"] == function_zip.code_sha256
    assert lambda_ops.layer_arns(config) == [layer["arn"]]
    # The code went through S3; the layer (under the limit) was uploaded directly.
    key = f"artifacts/functions/thoth-local-mcp-server/{function_zip.sha256}.zip"
    assert (
        client(moto_url, "s3").head_object(Bucket=BUCKET, Key=key)["ContentLength"] == function_zip.zip_bytes
    )
    published = client(moto_url, "lambda").get_layer_version(
        LayerName="thoth-local-mcp-layer", VersionNumber=layer["version"]
    )
    assert published["Content"]["CodeSha256"] == layers[0].code_sha256
    # Attaching the layer left every other setting alone.
    assert config["MemorySize"] == 512 and config["Timeout"] == 29
    assert config["Environment"]["Variables"]["S3_BUCKET_NAME"] == BUCKET

    provisioned.cli.calls.clear()
    layer2, mcp2, done2 = deploy.deploy_mcp(provisioned, function_zip, layers)
    assert (layer2["action"], mcp2["action"], done2.action) == ("unchanged", "unchanged", "unchanged")
    assert _changing(provisioned.cli.calls) == []
    assert lambda_ops.alias_version(provisioned, provisioned.env.mcp_function) == live

    # Terraform changes a setting on $LATEST: the next deploy releases it (smoke-tested), then rests.
    lam = client(moto_url, "lambda")
    variables = dict(config["Environment"]["Variables"], LOG_LEVEL="DEBUG")
    lam.update_function_configuration(
        FunctionName=provisioned.env.mcp_function, Environment={"Variables": variables}
    )
    _, mcp3, done3 = deploy.deploy_mcp(provisioned, function_zip, layers)
    assert done3.action == "released" and mcp3["action"] == "updated" and done3.smoke and done3.smoke.passed
    released = lambda_ops.function_config(provisioned, provisioned.env.mcp_function, done3.version)
    assert released["Environment"]["Variables"]["LOG_LEVEL"] == "DEBUG"
    provisioned.cli.calls.clear()
    assert deploy.deploy_mcp(provisioned, function_zip, layers)[2].action == "unchanged"
    assert _changing(provisioned.cli.calls) == []


def test_ctrl_c_during_smoke_test_restores_live(provisioned: Session, artifacts_dir: Path) -> None:
    function_zip, _ = _zips(artifacts_dir)
    name = provisioned.env.mcp_function
    lambda_ops.update_code_zip(provisioned, name, function_zip, BUCKET)

    def interrupted(version: str) -> object:
        assert lambda_ops.alias_version(provisioned, name) == version  # the alias had moved
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        release(provisioned, name, interrupted)  # type: ignore[arg-type]
    assert lambda_ops.alias_version(provisioned, name) == "1"


def test_update_of_a_missing_function_names_the_fix(
    provisioned: Session, artifacts_dir: Path, moto_url: str
) -> None:
    client(moto_url, "lambda").delete_function(FunctionName=provisioned.env.mcp_function)
    function_zip, layers = _zips(artifacts_dir)
    with pytest.raises(
        DeployError, match=r"does not exist in local; run `nox -s infra -- local apply` first"
    ):
        deploy.deploy_mcp(provisioned, function_zip, layers)
