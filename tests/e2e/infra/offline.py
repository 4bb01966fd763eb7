"""Terraform run offline on one module: `init` from the provider mirror, `plan` without reading any
account (nothing is refreshed), `show -json` of the plan, `console` for module outputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parents[3] / "infra"
PROVIDER = """
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
}
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
"""


def terraform(work: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(INFRA / "terraform.rc"), TF_IN_AUTOMATION="1",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")  # fmt: skip
    done = subprocess.run(
        ["terraform", *args, "-no-color"], cwd=work, env=env, input=stdin, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def initialised(work: Path, module_call: str) -> Path:
    """`work` holding the provider and `module_call` (a `module "…" { source = … }` block), initialised."""
    (work / "main.tf").write_text(PROVIDER + module_call)
    terraform(work, "init", "-input=false")
    return work


def planned(work: Path) -> dict[str, Any]:
    """The plan of an initialised `work`, as `terraform show -json` prints it."""
    terraform(work, "plan", "-input=false", "-lock=false", "-refresh=false", "-out=plan.bin")
    document: dict[str, Any] = json.loads(terraform(work, "show", "-json", "plan.bin").stdout)
    return document


def after(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The planned values of every resource of type `kind`."""
    return [c["change"]["after"] for c in document["resource_changes"] if c["type"] == kind]
