"""Publish a version, move `live`, smoke-test it; on failure or Ctrl-C `live` goes back where it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.aws.errors import SmokeTestFailed
from tools.aws.session import Session
from tools.deploy import lambda_ops
from tools.deploy.version_smoke import SmokeResult


@dataclass(frozen=True)
class Release:
    action: str  # released | unchanged
    version: str
    previous: str
    smoke: SmokeResult | None


# What a published version freezes; a difference means `live` does not serve what $LATEST holds
# (new code or layers from a deploy, or settings Terraform changed since).
FROZEN = ("CodeSha256", "Handler", "Runtime", "MemorySize", "Timeout", "Environment")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in FROZEN) and lambda_ops.layer_arns(a) == lambda_ops.layer_arns(b)


def release(session: Session, function: str, smoke: Callable[[str], SmokeResult]) -> Release:
    """Make `live` serve what $LATEST holds, if it does not already (then nothing is called but reads)."""
    latest = lambda_ops.function_config(session, function)
    previous = lambda_ops.alias_version(session, function)
    live = lambda_ops.function_config(session, function, previous)
    if _same(latest, live):
        return Release("unchanged", previous, previous, None)
    version = lambda_ops.publish_version(session, function, str(latest["CodeSha256"]))
    moved = False
    result: SmokeResult | None = None
    try:
        lambda_ops.move_alias(session, function, version)
        moved = True
        print(f"  {function}: `live` {previous} -> {version}; smoke testing")
        result = smoke(version)
        if not result.passed:
            raise SmokeTestFailed(
                f"smoke test of {function}:{version} failed ({result.mode}: {result.detail}); "
                f"`live` was moved back to version {previous}; fix the code and redeploy"
            )
    except BaseException:
        if moved:
            lambda_ops.move_alias(session, function, previous)
            print(f"  {function}: `live` moved back to {previous} (version {version} did not pass)")
        raise
    return Release("released", version, previous, result)
