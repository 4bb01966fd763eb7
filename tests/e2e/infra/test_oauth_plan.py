"""The optional Cognito authorization server and the OAuth settings it hands the MCP function, as
`terraform plan` against an in-process moto server sees them (no real account, no state bucket)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools import runtimes
from tools.embedded_aws import moto_server

INFRA = Path(__file__).resolve().parents[3] / "infra"
pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of infra/ with a local backend, initialised from the provider mirror."""
    work = tmp_path_factory.mktemp("infra") / "infra"
    shutil.copytree(INFRA, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    (work / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (work / "bootstrap.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    done = _tf(work, "init", "-input=false")
    assert done.returncode == 0, done.stderr
    return work


def _env(work: Path) -> dict[str, str]:
    return dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(INFRA / "terraform.rc"),
        TF_DATA_DIR=str(work / ".terraform"),
        TF_IN_AUTOMATION="1",
        # what `nox -s infra` passes (tools/deploy/terraform.py): the runtime table and its defaults
        TF_VAR_mcp_runtimes=runtimes.terraform_table(),
        TF_VAR_mcp_runtime=runtimes.DEFAULT,
        TF_VAR_mcp_architecture=runtimes.DEFAULT_ARCH,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )


def _tf(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env(work)
    return subprocess.run(
        ["terraform", f"-chdir={work}", *args], env=env, capture_output=True, text=True, timeout=600
    )


def plan(work: Path, moto_url: str, *variables: str) -> dict[str, Any]:
    out = work / "plan.bin"
    done = _tf(
        work, "plan", "-input=false", "-lock=false", f"-out={out}", "-var-file=environments/local.tfvars",
        f"-var=aws_endpoint={moto_url}", f"-var=bootstrap_zip={work / 'bootstrap.zip'}", *variables,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shown = _tf(work, "show", "-json", str(out))
    assert shown.returncode == 0, shown.stderr
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def oauth_environment(work: Path, *variables: str) -> str:
    """`local.oauth_environment` (the THOTH_OAUTH_* map merged into the function's environment)."""
    done = subprocess.run(
        ["terraform", f"-chdir={work}", "console", "-var-file=environments/local.tfvars",
         "-var=aws_endpoint=http://127.0.0.1:9", "-var=bootstrap_zip=x", *variables],
        input="local.oauth_environment\n", capture_output=True, text=True, timeout=300,
        env=_env(work),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _types(document: dict[str, Any]) -> set[str]:
    return {change["type"] for change in document["resource_changes"]}


def test_oauth_is_off_by_default(workdir: Path, moto_url: str) -> None:
    document = plan(workdir, moto_url)
    assert not {t for t in _types(document) if t.startswith("aws_cognito")}
    assert "THOTH_OAUTH" not in oauth_environment(workdir)
    assert document["planned_values"]["outputs"]["oauth_issuer"]["value"] == ""
    function = (INFRA / "modules" / "mcp_server" / "main.tf").read_text()
    assert "}, var.oauth_environment)" in function  # the map reaches the function's environment


def _changes(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        c for c in document["resource_changes"] if c["type"] == kind and c["change"]["actions"] != ["delete"]
    ]


def test_cognito_signs_people_in_for_the_front_by_default(workdir: Path, moto_url: str) -> None:
    document = plan(workdir, moto_url, "-var=enable_cognito=true")
    assert {"aws_cognito_user_pool", "aws_cognito_resource_server", "aws_cognito_user_pool_domain",
            "aws_cognito_user_pool_client"} <= _types(document)  # fmt: skip
    (client,) = _changes(document, "aws_cognito_user_pool_client")  # the front's only: no public client
    after = client["address"], client["change"]["after"]
    assert after[0].endswith("aws_cognito_user_pool_client.front[0]")
    assert after[1]["generate_secret"] is True and after[1]["allowed_oauth_flows"] == ["code"]
    assert sorted(after[1]["allowed_oauth_scopes"]) == ["email", "openid"]
    pool = next(c for c in document["resource_changes"] if c["type"] == "aws_cognito_user_pool")
    assert pool["change"]["after"]["admin_create_user_config"][0]["allow_admin_create_user_only"] is True
    secrets = {c["change"]["after"]["name"] for c in _changes(document, "aws_secretsmanager_secret")}
    assert {"thoth/local/oauth-client-secret", "thoth/local/oauth-signing-key"} <= secrets
    versions = {
        c["address"]: c["change"]["after"] for c in _changes(document, "aws_secretsmanager_secret_version")
    }
    signing = versions["module.secrets.aws_secretsmanager_secret_version.oauth_signing_key[0]"]
    assert signing.get("secret_string") in (None, "")  # write-only: the seed is in neither plan nor state
    assert "module.cognito[0].aws_secretsmanager_secret_version.front_client[0]" in versions
    env = oauth_environment(workdir, "-var=enable_cognito=true")
    # Thoth is the issuer: the function names only its upstream (the pool, known after apply)
    assert '"THOTH_OAUTH_UPSTREAM" = (known after apply)' in env, env
    assert "THOTH_OAUTH_ISSUER" not in env and "THOTH_OAUTH_UPSTREAM_CLIENT_ID" not in env
    with_domain = oauth_environment(
        workdir, "-var=enable_cognito=true", "-var=oauth_resource=https://thoth.example.com/mcp"
    )
    assert '"THOTH_OAUTH_RESOURCE" = "https://thoth.example.com/mcp"' in with_domain


def test_cognito_direct_mode_wires_the_pool_tokens(workdir: Path, moto_url: str) -> None:
    variables = ("-var=enable_cognito=true", "-var=oauth_front=false")
    document = plan(workdir, moto_url, *variables)
    (client,) = _changes(document, "aws_cognito_user_pool_client")
    after = client["change"]["after"]
    assert (
        after["allowed_oauth_flows"] == ["code"] and after["generate_secret"] is False
    )  # public client + PKCE
    assert "thoth/search" in after["allowed_oauth_scopes"]
    env = oauth_environment(workdir, *variables)
    # issuer, app client and JWKS come from the pool (known after apply); the scope is known now
    for name in ("THOTH_OAUTH_ISSUER", "THOTH_OAUTH_AUDIENCE", "THOTH_OAUTH_JWKS_URL"):
        assert f'"{name}" = (known after apply)' in env, env
    assert '"THOTH_OAUTH_SCOPES" = "thoth/search"' in env


def test_an_external_issuer_is_passed_through(workdir: Path, moto_url: str) -> None:
    variables = (
        "-var=oauth_issuer=https://thoth.eu.auth0.com/",
        "-var=oauth_audience=https://thoth.example.com/mcp",
        "-var=oauth_scopes=search:handbook",
    )
    env = oauth_environment(workdir, *variables, "-var=enable_cognito=true")  # the external issuer wins
    assert env.split() == [
        "tomap({",
        *('"THOTH_OAUTH_AUDIENCE"', "=", '"https://thoth.example.com/mcp"'),
        *('"THOTH_OAUTH_ISSUER"', "=", '"https://thoth.eu.auth0.com/"'),
        *('"THOTH_OAUTH_SCOPES"', "=", '"search:handbook"'),
        "})",
    ]
    document = plan(workdir, moto_url, *variables)
    assert document["planned_values"]["outputs"]["oauth_issuer"]["value"] == "https://thoth.eu.auth0.com/"
    refused = _tf(
        workdir, "plan", "-input=false", "-lock=false", "-var-file=environments/local.tfvars",
        f"-var=aws_endpoint={moto_url}", "-var=bootstrap_zip=x", "-var=oauth_issuer=http://auth.example",
    )  # fmt: skip
    assert refused.returncode != 0 and "oauth_issuer must be an https URL" in refused.stderr


def test_an_issuer_without_scopes_or_audience_stops_the_plan(workdir: Path, moto_url: str) -> None:
    done = _tf(
        workdir, "plan", "-input=false", "-lock=false", "-no-color", "-var-file=environments/local.tfvars",
        f"-var=aws_endpoint={moto_url}", f"-var=bootstrap_zip={workdir / 'bootstrap.zip'}",
        "-var=oauth_issuer=https://thoth.eu.auth0.com/",
    )  # fmt: skip
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode != 0, said[-2000:]
    assert "oauth_issuer needs oauth_scopes" in said and "ID token issued for the /mcp URL" in said
