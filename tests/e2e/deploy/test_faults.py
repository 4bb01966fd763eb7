"""Faults an operator can hit stop with the cause and the fix; `live` never moves to an untested version."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.deploy.conftest import client
from tests.support.deploy_artifacts import variant_zip
from tools import runtimes
from tools.aws.awscli import AwsCli
from tools.aws.errors import DeployError, SmokeTestFailed
from tools.aws.session import Session
from tools.deploy import build_outputs, deploy, image_registry, lambda_ops
from tools.embedded_aws import LocalAws, create_state_table
from tools.ops import doctor, rollback

REPO = Path(__file__).resolve().parents[3]


class _Unauthorized(BaseHTTPRequestHandler):
    """A registry whose login has expired: every request is 401."""

    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="ecr"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def expired_registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.skipif(shutil.which("buildah") is None, reason="needs buildah")
def test_expired_ecr_login_is_named(provisioned: Session, moto_url: str, expired_registry: str) -> None:
    local = LocalAws(moto_url, expired_registry, 0, 0, "", "")
    session = Session(provisioned.env, provisioned.cli, local)
    with pytest.raises(DeployError, match=r"refused the ECR login.*get-login-password.*rerun the deploy"):
        image_registry.login(session, "buildah", expired_registry)


@pytest.mark.skipif(shutil.which("buildah") is None, reason="needs buildah")
def test_image_missing_from_local_storage() -> None:
    with pytest.raises(
        DeployError, match=r"not in local container storage; rebuild it \(`nox -s build_container`\)"
    ):
        image_registry.storage("buildah", "localhost/thoth-never-built:0")


def test_missing_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), THOTH_HOME=str(tmp_path))  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "tools.deploy", "doctor", "dev"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 1
    assert "no AWS credentials found; set AWS_PROFILE" in proc.stderr


def test_embedded_aws_not_running() -> None:
    cli = AwsCli(env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "t",
                      "AWS_SECRET_ACCESS_KEY": "t", "AWS_MAX_ATTEMPTS": "1"}, region="us-east-1")  # fmt: skip
    with pytest.raises(DeployError, match=r"not running; `nox -s infra -- local apply` starts it"):
        cli.run("lambda", "list-functions")


def test_layer_over_budget_publishes_nothing(
    provisioned: Session, artifacts_dir: Path, moto_url: str
) -> None:
    from tests.support.deploy_artifacts import oversized_layer

    big = oversized_layer(artifacts_dir / "big-layer.zip", build_outputs.UNZIPPED_BUDGET)
    args = ["deploy", "local", "--no-build", "--skip-image", "--layer", str(big),
            "--function", str(artifacts_dir / "thoth-mcp-server.zip")]  # fmt: skip
    from tools.deploy.cli import _parser

    with pytest.raises(DeployError, match="over Lambda's 262,144,000-byte budget"):
        deploy.run(provisioned, _parser().parse_args(args))
    assert client(moto_url, "lambda").list_layers()["Layers"] == []
    assert lambda_ops.alias_version(provisioned, provisioned.env.mcp_function) == "1"


def test_rollback_only_to_versions_that_pass(provisioned: Session, artifacts_dir: Path) -> None:
    name = provisioned.env.mcp_function
    with pytest.raises(DeployError, match="no older version"):
        rollback.rollback(provisioned)
    layers = [build_outputs.load_zip(artifacts_dir / "thoth-mcp-layer.zip")]
    good = build_outputs.load_zip(artifacts_dir / "thoth-mcp-server.zip")
    _, first, _ = deploy.deploy_mcp(provisioned, good, layers)
    # Version 1 is Terraform's bootstrap ("not deployed"): never a rollback target.
    with pytest.raises(DeployError, match=r"no older version passes its smoke test \(1\)"):
        rollback.rollback(provisioned)
    assert lambda_ops.alias_version(provisioned, name) == first["version"]
    broken = build_outputs.load_zip(artifacts_dir / "broken" / "thoth-mcp-server.zip")
    with pytest.raises(
        SmokeTestFailed, match=rf"deliberately broken.*moved back to version {first['version']}"
    ):
        deploy.deploy_mcp(provisioned, broken, layers)
    assert lambda_ops.alias_version(provisioned, name) == first["version"]
    variant = build_outputs.load_zip(variant_zip(good.path, artifacts_dir / "variant" / "f.zip", "v2"))
    _, third, _ = deploy.deploy_mcp(provisioned, variant, layers)
    broken_version = str(int(first["version"]) + 1)
    assert third["version"] == str(int(broken_version) + 1)
    with pytest.raises(DeployError, match=r"--to 'latest' is not a version number"):
        rollback.rollback(provisioned, to="latest")
    with pytest.raises(DeployError, match=r"has no version 99; published versions: 1, "):
        rollback.rollback(provisioned, to="99")
    with pytest.raises(DeployError, match="no older version passes"):
        rollback.rollback(provisioned, to=broken_version)
    assert lambda_ops.alias_version(provisioned, name) == third["version"]
    assert rollback.rollback(provisioned) == 0  # skips the broken version
    assert lambda_ops.alias_version(provisioned, name) == first["version"]


def test_doctor_names_what_to_fix(
    provisioned: Session, artifacts_dir: Path, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    function_zip = build_outputs.load_zip(artifacts_dir / "thoth-mcp-server.zip")
    deploy.deploy_mcp(
        provisioned, function_zip, [build_outputs.load_zip(artifacts_dir / "thoth-mcp-layer.zip")]
    )
    capsys.readouterr()
    lam = client(moto_url, "lambda")
    variables = lam.get_function_configuration(FunctionName=provisioned.env.mcp_function)["Environment"][
        "Variables"
    ]
    variables.pop("LOG_LEVEL")
    lam.update_function_configuration(FunctionName=provisioned.env.mcp_function,
                                      Environment={"Variables": variables})  # fmt: skip
    assert doctor.run(provisioned) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"OK  runtime: {runtimes.DEFAULT} x86_64") for line in lines)
    assert any(line.startswith("OK  unzipped size:") for line in lines)
    assert any(line.startswith("OK  handler importable") for line in lines)
    assert "FIX environment: missing LOG_LEVEL; run `nox -s infra -- local apply`" in lines
    assert any(line.startswith("FIX refresh service: not provisioned") for line in lines)


def test_doctor_fails_on_a_degraded_health_with_the_fix(
    provisioned: Session, artifacts_dir: Path, moto_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_state_table(client(moto_url, "dynamodb"), provisioned.env.table)
    function_zip = build_outputs.load_zip(artifacts_dir / "thoth-mcp-server.zip")
    deploy.deploy_mcp(
        provisioned, function_zip, [build_outputs.load_zip(artifacts_dir / "thoth-mcp-layer.zip")]
    )
    capsys.readouterr()
    # Alive but serving no index: /health answers 503 "degraded", which a deploy accepts and doctor must not.
    checks = doctor.serving_checks(
        provisioned, lambda_ops.alias_version(provisioned, provisioned.env.mcp_function)
    )
    assert [(c.ok, c.what) for c in checks] == [
        (True, "handler importable (deployed artifacts, run here)"), (False, "health"),
    ]  # fmt: skip
    assert "503 degraded" in checks[1].detail and "no live index" in checks[1].detail
    assert checks[1].detail.endswith("publish an index with `nox -s refresh_remote -- local`")
    assert doctor.run(provisioned) == 1
    assert checks[1].line() in capsys.readouterr().out.splitlines()


@pytest.mark.skipif(shutil.which("buildah") is None, reason="needs buildah")
def test_missing_image_stops_before_anything_changes(
    provisioned: Session, artifacts_dir: Path, moto_url: str, tmp_path: Path
) -> None:
    client(moto_url, "ecr").create_repository(repositoryName=provisioned.env.repository)
    container = tmp_path / "container.json"
    container.write_text('{"reference": "localhost/thoth-never-built:abc", "tag": "abc"}')
    args = ["deploy", "local", "--no-build", "--container", str(container),
            "--layer", str(artifacts_dir / "thoth-mcp-layer.zip"),
            "--function", str(artifacts_dir / "thoth-mcp-server.zip")]  # fmt: skip
    from tools.deploy.cli import _parser

    with pytest.raises(DeployError, match="not in local container storage"):
        deploy.run(provisioned, _parser().parse_args(args))
    assert client(moto_url, "lambda").list_layers()["Layers"] == []
    assert lambda_ops.alias_version(provisioned, provisioned.env.mcp_function) == "1"


def test_artifacts_built_for_another_runtime_are_refused_before_anything_changes(
    provisioned: Session, artifacts_dir: Path, moto_url: str
) -> None:
    other = next(identifier for identifier in runtimes.RUNTIMES if identifier != runtimes.DEFAULT)
    lam = client(moto_url, "lambda")
    lam.update_function_configuration(FunctionName=provisioned.env.mcp_function, Runtime=other)
    function_zip = build_outputs.load_zip(artifacts_dir / "thoth-mcp-server.zip")
    layers = [build_outputs.load_zip(artifacts_dir / "thoth-mcp-layer.zip")]
    expected = f"runs {other} x86_64 but the artifacts are built for {runtimes.DEFAULT} x86_64"
    with pytest.raises(DeployError, match=expected) as info:
        deploy.deploy_mcp(provisioned, function_zip, layers)
    assert f"nox -s build_layer -- --runtime {other} --arch x86_64" in str(info.value)
    assert lam.list_layers()["Layers"] == []
