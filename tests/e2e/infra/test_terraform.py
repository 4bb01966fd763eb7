"""infra/ is valid, formatted Terraform that installs its provider from the local mirror only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

INFRA = Path(__file__).resolve().parents[3] / "infra"
SKIP_RE = re.compile(r"#checkov:skip=(?P<id>[A-Z0-9_]+)(?::(?P<reason>.*))?")

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


def _terraform(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(INFRA / "terraform.rc"), TF_DATA_DIR=str(data_dir),
               TF_IN_AUTOMATION="1")  # fmt: skip
    return subprocess.run(["terraform", f"-chdir={INFRA}", *args], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip


@needs_terraform
def test_init_from_mirror_and_validate(tmp_path: Path) -> None:
    init = _terraform("init", "-backend=false", "-input=false", data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "registry.terraform.io/hashicorp/aws" in (INFRA / ".terraform.lock.hcl").read_text()
    validate = _terraform("validate", "-no-color", data_dir=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    fmt = _terraform("fmt", "-check", "-recursive", data_dir=tmp_path)
    assert fmt.returncode == 0, f"run `terraform fmt -recursive infra`: {fmt.stdout}"


def test_every_checkov_skip_has_a_reason() -> None:
    skips = []
    for path in INFRA.rglob("*.tf"):
        for match in SKIP_RE.finditer(path.read_text()):
            reason = (match.group("reason") or "").strip()
            assert len(reason) >= 30, f"{path.name}: {match.group('id')} is skipped without a real reason"
            skips.append(match.group("id"))
    assert skips, "the skip scan found nothing; did the comment syntax change?"


def test_code_artifacts_are_owned_by_the_deploy() -> None:
    mcp = (INFRA / "modules" / "mcp_server" / "main.tf").read_text()
    refresh = (INFRA / "modules" / "refresh_service" / "main.tf").read_text()
    assert re.search(r"ignore_changes = \[filename, source_code_hash, [^\]]*layers\]", mcp)
    assert "ignore_changes = [image_uri]" in refresh
    assert mcp.count("ignore_changes = [function_version, routing_config]") == 1
