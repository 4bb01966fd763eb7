"""The command line: Ctrl-C and usage errors end clearly; stale embedded-AWS records are ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import embedded_aws
from tools.deploy import cli


def test_ctrl_c_exits_130_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_dispatch", interrupted)
    assert cli.main(["deploy", "local"]) == 130
    assert "interrupted (Ctrl-C)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["infra", "dev", "bootstrap"], ["infra", "dev"], ["logs", "dev", "api"], ["rollback"], ["deploy"], []],
)
def test_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_stale_endpoint_record_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_HOME", str(tmp_path))
    assert embedded_aws.current() is None
    directory = tmp_path / "local-aws"
    directory.mkdir()
    (directory / "endpoints.json").write_text("{not json")
    assert embedded_aws.current() is None
    record = {"aws_endpoint": "http://127.0.0.1:9", "registry": "127.0.0.1:9", "moto_pid": 2**22 + 7,
              "registry_pid": 2**22 + 9, "recording": "", "registry_log": ""}  # fmt: skip
    (directory / "endpoints.json").write_text(json.dumps(record))
    assert embedded_aws.current() is None  # dead pids, nothing listening
    assert embedded_aws.stop() is False and not (directory / "endpoints.json").exists()


def test_local_cli_env_points_at_moto() -> None:
    local = embedded_aws.LocalAws("http://127.0.0.1:5000", "127.0.0.1:5001", 1, 2, "r", "l")
    env = local.cli_env("eu-west-1")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000" and env["AWS_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
