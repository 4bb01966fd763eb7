"""The shared virtualenvs nox sessions run in: one per lock (.nox/<lock>), made once, reused while unchanged.

Every session that needs the dev lock (tests, typecheck, bench, build_*, serve, stdio, invoke, demo,
refresh) runs in `.nox/dev`; the small locks (lint, deploy, security, pip-tools) keep their own. An
environment is reused only when its completion marker records the install digest wanted now; an
install that was interrupted leaves no marker (a start marker instead) and is removed and redone.

noxfile.py loads this file in the bootstrap venv, where only nox is installed: stdlib only.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DONE = "thoth-env.done"  # holds the install digest; written last
STARTED = "started"  # .nox/<lock>.started: written before anything is installed, removed after DONE
# What a first install costs, for the line that announces it (measured on a 2-core machine).
COSTS = {
    "dev": "about 2.4 GB (torch CPU, sentence-transformers, hugo, moto, the AWS CLI, the MCP SDK); "
    "3-6 minutes",
    "deploy": "about 250 MB (the AWS CLI, boto3, moto); under a minute",
    "lint": "about 30 MB (ruff); seconds",
    "security": "about 400 MB (checkov); a minute",
    "pip-tools": "about 20 MB (pip-tools); seconds",
}


@dataclass(frozen=True)
class Plan:
    """Where one lock's environment lives and what it must have been installed from."""

    lock: str
    path: Path
    digest: str
    packages: int


def plan(root: Path, lock: str, digest: str) -> Plan:
    """The environment of `lock` under `root`/.nox, for an install digest."""
    lock_file = root / "requirements" / f"{lock}.txt"
    count = sum(1 for line in lock_file.read_text().splitlines() if line[:1].isalnum())
    return Plan(lock, root / ".nox" / lock, digest, count)


def state(p: Plan) -> str:
    """'ready' (complete, same digest), 'changed' (complete, other digest), 'broken', or 'missing'."""
    done = p.path / DONE
    if done.exists() and not _started(p).exists() and (p.path / "bin" / "python").exists():
        return "ready" if done.read_text() == p.digest else "changed"
    return "broken" if p.path.exists() else "missing"


def announce(p: Plan, current: str) -> list[str]:
    """What the session says before it installs, so a first run is not a silent wait."""
    cost = COSTS.get(p.lock, "")
    why = {
        "missing": "creating it once",
        "changed": f"requirements/{p.lock}.txt changed since it was installed: recreating it",
        "broken": "an earlier install did not finish (stopped or failed): removing it and installing again",
    }[current]
    return [
        f"the shared {p.lock} environment .nox/{p.lock}: {why}",
        f"installing {p.packages} pinned packages from requirements/{p.lock}.txt ({cost}); every session "
        f"that uses the {p.lock} lock reuses it afterwards while the lock is unchanged",
    ]


def _started(p: Plan) -> Path:
    return p.path.parent / f"{p.lock}.{STARTED}"


def start(p: Plan) -> None:
    """Remove what is there and mark the install as started (the venv itself is created by the caller)."""
    if p.path.exists():
        shutil.rmtree(p.path)
    p.path.parent.mkdir(parents=True, exist_ok=True)
    _started(p).write_text(str(time.time()))


def finish(p: Plan) -> str:
    """Mark the environment complete; returns the line to print."""
    (p.path / DONE).write_text(p.digest)
    _started(p).unlink(missing_ok=True)
    return f"the shared {p.lock} environment .nox/{p.lock} is ready"


@contextlib.contextmanager
def exclusive(p: Plan) -> Iterator[None]:
    """Hold the environment's lock file, so two sessions started at once do not install over each other."""
    p.path.parent.mkdir(parents=True, exist_ok=True)
    with open(p.path.parent / f"{p.lock}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_python(version: str) -> str:
    """The interpreter that creates the environments: python<version> on PATH, else this one if it matches."""
    found = shutil.which(f"python{version}")
    if found:
        return found
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    raise SystemExit(f"python{version} is not on PATH; install Python {version} (the Lambda runtime's)")
