"""Environments and the AWS names derived from them (one table, no per-env code)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tools.aws.errors import DeployError
from tools.paths import ROOT

INFRA = ROOT / "infra"
ENVIRONMENTS = ("dev", "staging", "prod", "local")
# Environments whose changes a human confirms unless --yes is given.
CONFIRM = frozenset({"prod"})
REGION_DEFAULT = "us-east-1"
FUNCTIONS = ("mcp-server", "refresh-service")


@dataclass(frozen=True)
class Env:
    """One deployment environment."""

    name: str
    region: str

    @property
    def embedded(self) -> bool:
        """True for `local`: the moto server and local registry stand in for AWS."""
        return self.name == "local"

    @property
    def prefix(self) -> str:
        return f"thoth-{self.name}"

    @property
    def mcp_function(self) -> str:
        return f"{self.prefix}-mcp-server"

    @property
    def refresh_function(self) -> str:
        return f"{self.prefix}-refresh-service"

    def function(self, which: str) -> str:
        """The Lambda function called `which` (mcp-server | refresh-service) in this environment."""
        if which not in FUNCTIONS:
            raise DeployError(f"unknown function {which!r}; use one of {', '.join(FUNCTIONS)}")
        return self.mcp_function if which == "mcp-server" else self.refresh_function

    def secret(self, name: str) -> str:
        """The Secrets Manager id of a Thoth secret here (as Settings.secret_name), e.g. thoth/dev/api-key."""
        return f"thoth/{self.name}/{name}"

    @property
    def layer_name(self) -> str:
        return f"{self.prefix}-mcp-deps"

    @property
    def table(self) -> str:
        return f"{self.prefix}-mcp-state"

    @property
    def repository(self) -> str:
        return self.refresh_function

    @property
    def tfvars(self) -> Path:
        return INFRA / "environments" / f"{self.name}.tfvars"

    @property
    def backend_file(self) -> Path:
        return INFRA / "environments" / f"{self.name}.backend.hcl"


def thoth_home() -> Path:
    """THOTH_HOME (default .thoth/ in the repository), where local state and caches live."""
    return Path(os.environ.get("THOTH_HOME") or ROOT / ".thoth").resolve()


def resolve(name: str) -> Env:
    """The environment called `name`, or a DeployError naming the valid ones."""
    if name not in ENVIRONMENTS:
        raise DeployError(
            f"unknown environment {name!r}; choose one of {', '.join(ENVIRONMENTS)} "
            f"(each has infra/environments/<env>.tfvars)"
        )
    tfvars = INFRA / "environments" / f"{name}.tfvars"
    if not tfvars.is_file():
        raise DeployError(f"{tfvars} is missing; restore it from git before deploying to {name}")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION_DEFAULT
    return Env(name=name, region=region)
