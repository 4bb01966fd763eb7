"""A local copy of every zip deployed to an environment, by sha256 (for local smoke tests and doctor)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tools.aws.envs import thoth_home
from tools.deploy.build_outputs import ZipArtifact


def _dir(env: str) -> Path:
    return thoth_home() / "deploy" / env / "artifacts"


def keep(env: str, artifact: ZipArtifact) -> Path:
    """Record `artifact` under its sha256 (a hard link when possible, else a copy)."""
    target = _dir(env) / f"{artifact.sha256}.zip"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(artifact.path, tmp)
    except OSError:
        shutil.copyfile(artifact.path, tmp)
    tmp.replace(target)
    return target


def find(env: str, sha256_hex: str) -> Path | None:
    path = _dir(env) / f"{sha256_hex}.zip"
    return path if path.is_file() else None
