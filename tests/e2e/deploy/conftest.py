"""An in-process moto server the AWS CLI subprocesses reach, and a minimal provisioned `local` environment."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import deploy_artifacts
from tools import runtimes
from tools.aws.awscli import AwsCli
from tools.aws.envs import resolve
from tools.aws.session import Session
from tools.deploy.bootstrap import bootstrap_zip
from tools.embedded_aws import moto_server

BUCKET = "thoth-local-artifacts"
ROLE_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'  # noqa: E501


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deploy-artifacts")
    deploy_artifacts.build_function_zip(out)
    deploy_artifacts.build_small_layer(out / "thoth-mcp-layer.zip")
    (out / "broken").mkdir()
    deploy_artifacts.broken_function_zip(
        out / "thoth-mcp-server.zip", out / "broken" / "thoth-mcp-server.zip"
    )
    return out


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


@pytest.fixture
def provisioned(moto_url: str) -> Session:
    """A fresh `local` environment holding what `infra local apply` creates for the MCP server."""
    urllib.request.urlopen(urllib.request.Request(moto_url + "/moto-api/reset", method="POST")).read()
    env = resolve("local")
    role = client(moto_url, "iam").create_role(
        RoleName="thoth-local-mcp-server", AssumeRolePolicyDocument=ROLE_POLICY
    )
    client(moto_url, "s3").create_bucket(Bucket=BUCKET)
    lam = client(moto_url, "lambda")
    lam.create_function(
        FunctionName=env.mcp_function, Runtime=runtimes.DEFAULT, Role=role["Role"]["Arn"],
        Handler="thoth.mcp_server.lambda_handler.handler", Code={"ZipFile": bootstrap_zip().read_bytes()},
        Publish=True, MemorySize=512, Timeout=29,
        Environment={"Variables": {"ENVIRONMENT": "local", "S3_BUCKET_NAME": BUCKET,
                                   "DYNAMODB_TABLE_NAME": env.table, "LOG_LEVEL": "INFO"}},
    )  # fmt: skip
    lam.create_alias(FunctionName=env.mcp_function, Name="live", FunctionVersion="1")
    cli_env = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    return Session(env, AwsCli(env=cli_env, region="us-east-1"))
