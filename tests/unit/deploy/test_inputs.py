"""Bad input to the deploy tooling stops early with the cause and the fix (no AWS involved)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.support.deploy_artifacts import oversized_layer
from tools.aws.envs import ENVIRONMENTS, resolve
from tools.aws.errors import DeployError
from tools.deploy import build_outputs, cli, terraform
from tools.deploy.version_smoke import degraded_fix, is_serving, judge_health, judge_search
from tools.ops import logs


@pytest.mark.parametrize("name", ["", "Prod", "production", "dev ", "../prod", "local;rm"])
def test_unknown_environment_names_the_valid_ones(name: str) -> None:
    with pytest.raises(DeployError, match=r"unknown environment .*choose one of dev, staging, prod, local"):
        resolve(name)


def test_every_environment_has_tfvars_and_derived_names() -> None:
    for name in ENVIRONMENTS:
        env = resolve(name)
        assert env.tfvars.is_file()
        assert env.mcp_function == f"thoth-{name}-mcp-server"
        assert env.table == f"thoth-{name}-mcp-state"
        assert (
            f'environment                 = "{name}"' in env.tfvars.read_text()
            or f'"{name}"' in env.tfvars.read_text()
        )


def test_cli_unknown_environment_exits_1_with_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["deploy", "qa"]) == 1
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_workspace_mismatch_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TF_WORKSPACE", "staging")
    assert cli.main(["infra", "prod", "plan"]) == 1
    err = capsys.readouterr().err
    assert "TF_WORKSPACE='staging' does not match environment 'prod'" in err and "unset TF_WORKSPACE" in err
    monkeypatch.delenv("TF_WORKSPACE")
    with pytest.raises(DeployError, match=r"workspace 'default' is selected but the environment is 'dev'"):
        terraform.check_workspace(resolve("dev"), "default")
    terraform.check_workspace(resolve("dev"), "dev")


def test_prod_needs_confirmation_unless_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(DeployError, match=r"needs confirmation.*rerun with --yes"):
        terraform.confirm(resolve("prod"), "apply", yes=False)
    terraform.confirm(resolve("prod"), "apply", yes=True)
    terraform.confirm(resolve("staging"), "apply", yes=False)  # only prod asks


def test_prod_confirmation_must_match(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "staging")
    with pytest.raises(DeployError, match="cancelled"):
        terraform.confirm(resolve("prod"), "destroy", yes=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "prod")
    terraform.confirm(resolve("prod"), "destroy", yes=False)


def test_missing_and_corrupt_zips(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="does not exist; build it"):
        build_outputs.load_zip(tmp_path / "absent.zip")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DeployError, match="not a valid zip; delete it and rebuild"):
        build_outputs.load_zip(bad)


def test_zip_digest_matches_what_lambda_reports(tmp_path: Path) -> None:
    path = tmp_path / "f.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.py", "x = 1\n")
    art = build_outputs.load_zip(path)
    import base64
    import hashlib

    assert art.code_sha256 == base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    assert art.unzipped_bytes == 6 and not art.via_s3


def test_layer_over_budget_is_refused(tmp_path: Path) -> None:
    function = tmp_path / "f.zip"
    with zipfile.ZipFile(function, "w") as archive:
        archive.writestr("a.py", "x = 1\n")
    layer = oversized_layer(tmp_path / "layer.zip", build_outputs.UNZIPPED_BUDGET)
    with pytest.raises(
        DeployError, match=r"unzip to 262,144,006 bytes, over Lambda's 262,144,000-byte budget"
    ):
        build_outputs.check_budget(build_outputs.load_zip(function), [build_outputs.load_zip(layer)])
    small = build_outputs.load_zip(function)
    with pytest.raises(DeployError, match="at most 5"):
        build_outputs.check_budget(small, [small] * 6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        (json.dumps({"tag": "x"}), "names no image"),
        (json.dumps({"reference": "localhost/img"}), "has no content `tag`"),
    ],
)
def test_malformed_container_metadata(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "container.json"
    path.write_text(content)
    with pytest.raises(DeployError, match=message):
        build_outputs.load_container(path)


def test_container_tag_from_reference(tmp_path: Path) -> None:
    path = tmp_path / "container.json"
    path.write_text(json.dumps({"reference": "localhost:5000/thoth/refresh:abc123"}))
    assert build_outputs.load_container(path).tag == "abc123"
    with pytest.raises(DeployError, match="run `nox -s build_container`"):
        build_outputs.load_container(tmp_path / "absent.json")


@pytest.mark.parametrize("since", ["", "h", "0h", "-1h", "5x", "1.5h"])
def test_bad_since(since: str) -> None:
    with pytest.raises(DeployError, match="not a duration"):
        logs.parse_since(since)


def test_since_units() -> None:
    assert logs.parse_since("30s") == 30_000
    assert logs.parse_since("2d") == 172_800_000


@pytest.mark.parametrize(
    ("status", "body", "passed"),
    [
        (200, '{"status": "ok", "service": "thoth", "version": "1"}', True),
        (503, '{"status": "degraded", "service": "thoth", "reason": "no index"}', True),
        (503, '{"status": "not-deployed", "fix": "run nox -s deploy"}', False),  # the bootstrap zip
        (500, '{"message": "Internal Server Error"}', False),
        (200, "<html>", False),
        (200, "[1, 2]", False),
        (0, "", False),
    ],
)
def test_health_judgement(status: int, body: str, passed: bool) -> None:
    assert judge_health(status, body)[0] is passed


def _search_response(status: int, result: object) -> dict[str, object]:
    return {"statusCode": status, "body": json.dumps({"jsonrpc": "2.0", "id": 3, "result": result})}


def test_only_an_ok_health_counts_as_serving_and_a_degraded_one_names_its_fix() -> None:
    assert is_serving(200, '{"status": "ok", "service": "thoth"}')
    assert not is_serving(503, '{"status": "degraded", "service": "thoth", "indexes": {}}')
    assert not is_serving(200, "<html>")
    assert degraded_fix("local", '{"status": "degraded", "indexes": {}}') == (
        "publish an index with `nox -s refresh_remote -- local`"
    )
    refused = degraded_fix("dev", '{"status": "degraded", "indexes": {"handbook": {"status": "error"}}}')
    assert "`nox -s logs -- dev`" in refused and "`nox -s refresh_remote -- dev`" in refused


def test_a_search_passes_only_with_results() -> None:
    hit = {"path": "people/time-off.md", "url": "https://handbook.example/people/time-off/"}
    found = judge_search(_search_response(200, {"content": [], "structuredContent": {"results": [hit]}}))
    assert found == (True, f"search answered 1 result(s), first people/time-off.md ({hit['url']})")
    assert judge_search(_search_response(200, {"content": [], "structuredContent": {"results": []}})) == (
        False,
        "search returned no results",
    )
    error = {"isError": True, "content": [{"type": "text", "text": "the index is being built"}]}
    assert (
        judge_search(_search_response(200, error))[1] == "search reported an error: the index is being built"
    )
    assert not judge_search({"statusCode": 401, "body": '{"error": "unauthorized"}'})[0]
    assert not judge_search({"statusCode": 200, "body": "not json"})[0]


def _zip_with_manifest(path: Path, meta: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("python/x.py", "")
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def test_artifacts_say_which_runtime_they_were_built_for_and_a_mix_is_refused(tmp_path: Path) -> None:
    layer = _zip_with_manifest(tmp_path / "a" / "layer.zip", {"runtime": "python3.13", "arch": "x86_64"})
    function = _zip_with_manifest(tmp_path / "b" / "function.zip", {"runtime": "python3.13"})
    encoder = _zip_with_manifest(tmp_path / "c" / "encoder.zip", {"layer": "thoth-encoder-layer"})
    assert build_outputs.built_for([function, layer, encoder]) == ("python3.13", "x86_64")
    assert build_outputs.built_for([encoder]) is None
    old = _zip_with_manifest(tmp_path / "d" / "layer.zip", {"runtime": "python3.11", "arch": "x86_64"})
    with pytest.raises(DeployError, match=r"different runtimes \(python3\.11 x86_64, python3\.13 x86_64\)"):
        build_outputs.built_for([function, old])


def test_terraform_gets_the_runtime_table_and_defaults_the_tfvars_may_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tools import runtimes
    from tools.aws.awscli import AwsCli
    from tools.aws.session import Session

    monkeypatch.delenv("TF_VAR_mcp_runtime", raising=False)
    env = terraform.terraform_env(Session(resolve("dev"), AwsCli(env={}, region="us-east-1")))
    assert json.loads(env["TF_VAR_mcp_runtimes"]) == json.loads(runtimes.terraform_table())
    assert env["TF_VAR_mcp_runtime"] == runtimes.DEFAULT and env["TF_VAR_mcp_architecture"] == "x86_64"
    monkeypatch.setenv("TF_VAR_mcp_runtime", "python3.11")  # an operator's choice stays theirs
    env = terraform.terraform_env(Session(resolve("dev"), AwsCli(env={}, region="us-east-1")))
    assert env["TF_VAR_mcp_runtime"] == "python3.11"
