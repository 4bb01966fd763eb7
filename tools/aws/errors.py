"""Errors the deploy tooling stops on; each names the cause and the fix."""

from __future__ import annotations

from thoth.shared.errors import ThothError


class DeployError(ThothError):
    """A deploy step failed or was asked for something invalid."""


class AwsCallError(DeployError):
    """An AWS CLI call failed; `code` is AWS's error code when it gave one."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class SmokeTestFailed(DeployError):
    """A freshly published version failed its smoke test (the alias was rolled back)."""
