"""The AWS CLI as a subprocess: JSON in, JSON out, failures turned into actionable errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.aws.errors import AwsCallError, DeployError

_ERROR_RE = re.compile(r"An error occurred \((?P<code>[^)]+)\)(?: when calling the (?P<op>\w+) operation)?")


def aws_executable() -> str:
    """The `aws` of the running interpreter's environment (the dev lock pins awscli), else PATH's."""
    beside = Path(sys.executable).parent / "aws"
    if beside.exists():
        return str(beside)
    found = shutil.which("aws")
    if not found:
        raise DeployError("the AWS CLI (`aws`) is not installed; run through nox (`nox -s deploy -- <env>`)")
    return found


@dataclass
class AwsCli:
    """Runs `aws <service> <command>` with a fixed environment and counts the calls it makes."""

    env: Mapping[str, str]
    region: str
    calls: list[str] = field(default_factory=list)
    executable: str = field(default_factory=aws_executable)

    def _environ(self) -> dict[str, str]:
        merged = dict(os.environ)
        merged.update(self.env)
        merged.setdefault("AWS_PAGER", "")
        merged["AWS_PAGER"] = ""
        return merged

    def run(
        self, service: str, command: str, *args: str, output: bool = True, stdin: bytes | None = None
    ) -> Any:
        """One CLI call; returns parsed JSON (or None when the command prints nothing)."""
        argv = [self.executable, service, command, *args, "--region", self.region]
        if output:
            argv += ["--output", "json"]
        self.calls.append(f"{service}:{command}")
        try:
            proc = subprocess.run(argv, input=stdin, capture_output=True, env=self._environ(), check=False)
        except FileNotFoundError as exc:
            raise DeployError(
                f"cannot run the AWS CLI ({exc}); run through nox so awscli is installed"
            ) from exc
        if proc.returncode != 0:
            raise self._error(service, command, proc.stderr.decode(errors="replace"))
        text = proc.stdout.decode()
        if not output:
            return text
        return json.loads(text) if text.strip() else None

    def _error(self, service: str, command: str, stderr: str) -> DeployError:
        what = f"aws {service} {command}"
        tail = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
        if "Unable to locate credentials" in stderr or "NoCredentialProviders" in stderr:
            return DeployError(
                f"{what}: no AWS credentials found; set AWS_PROFILE (and `aws sso login`) or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then check with `aws sts get-caller-identity`"
            )
        if "ExpiredToken" in stderr or "RequestExpired" in stderr:
            return DeployError(
                f"{what}: the AWS credentials have expired; refresh them (`aws sso login`) and rerun"
            )
        if "Could not connect to the endpoint URL" in stderr:
            endpoint = self.env.get("AWS_ENDPOINT_URL", "")
            hint = (
                f"the embedded AWS at {endpoint} is not running; `nox -s infra -- local apply` starts it"
                if endpoint
                else "check the network, the region and AWS_ENDPOINT_URL"
            )
            return DeployError(f"{what}: endpoint unreachable; {hint}")
        match = _ERROR_RE.search(stderr)
        if match:
            return AwsCallError(f"{what}: {tail}", code=match.group("code"))
        return AwsCallError(f"{what} failed: {tail}")

    def try_run(self, service: str, command: str, *args: str, missing: Sequence[str] = ()) -> Any:
        """Like run(), but None when AWS answers with one of the `missing` error codes."""
        try:
            return self.run(service, command, *args)
        except AwsCallError as exc:
            if exc.code in missing:
                return None
            raise
