"""The Lambda runtimes the MCP function can run on: one row per target, read by everything that needs one.

The layer build, the function zip's bytecode, the locks, Terraform (through `nox -s infra`), the deploy's
`--compatible-runtimes`, the smoke tests and `nox -s doctor` all take their runtime from here; nothing
else spells one. noxfile.py loads this file in the bootstrap venv (for the locks): stdlib only, and no
imports from the rest of `tools`.

Dates are AWS's, as its "Lambda runtimes" page lists them (deprecation, then creating and updating
functions blocked); AWS moves them now and then: check the page when you touch a row.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# Machine names as Lambda (and layer manifests) spell them -> as wheels and `uname -m` spell them.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
WARN_DAYS = 180  # doctor warns this long before AWS's deprecation date


@dataclass(frozen=True)
class Runtime:
    """One Lambda runtime the MCP function is built and deployed for."""

    identifier: str  # what Lambda calls it: Runtime, CompatibleRuntimes
    python: str  # MAJOR.MINOR: the interpreter that compiles the bytecode and runs the smoke test
    os: str
    glibc: tuple[int, int]  # the newest glibc the runtime has: the manylinux ceiling for wheels
    architectures: tuple[str, ...]
    deprecated: date  # AWS's deprecation date (no more security patches)
    block_create: date
    block_update: date
    snap_start: bool  # Lambda SnapStart for Python exists on this runtime

    @property
    def lock(self) -> str:
        """The name of this runtime's MCP-layer lock in requirements/."""
        return f"mcp-layer-{self.identifier}"

    @property
    def glibc_text(self) -> str:
        return f"{self.glibc[0]}.{self.glibc[1]}"

    def deprecation_note(self, today: date) -> str | None:
        """What an operator must hear about this runtime's deprecation today, or None (far off)."""
        if today >= self.block_update:
            return (
                f"AWS deprecated {self.identifier} on {self.deprecated}; "
                f"updating functions is blocked since {self.block_update}"
            )
        if today >= self.deprecated:
            return (
                f"AWS deprecated {self.identifier} on {self.deprecated} (no security patches); "
                f"creating functions is blocked from {self.block_create}, "
                f"updating them from {self.block_update}"
            )
        days = (self.deprecated - today).days
        if days <= WARN_DAYS:
            return f"AWS deprecates {self.identifier} on {self.deprecated} (in {days} days)"
        return None


RUNTIMES = {
    row.identifier: row
    for row in (
        Runtime(
            "python3.13", "3.13", "Amazon Linux 2023", (2, 34), ("x86_64", "arm64"),
            date(2029, 6, 30), date(2029, 7, 31), date(2029, 8, 31), snap_start=True,
        ),
        # Kept for the seed's commands (`--compatible-runtimes python3.11`); Amazon Linux 2's glibc 2.26
        # is why its lock pins numpy<2 and onnxruntime<1.17.
        Runtime(
            "python3.11", "3.11", "Amazon Linux 2", (2, 26), ("x86_64", "arm64"),
            date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31), snap_start=False,
        ),
    )
}  # fmt: skip
DEFAULT = "python3.13"
DEFAULT_ARCH = "x86_64"


def get(identifier: str) -> Runtime:
    """The row named `identifier`; ValueError naming the choices when there is none."""
    row = RUNTIMES.get(identifier)
    if row is None:
        raise ValueError(f"runtime {identifier!r} is not supported; choose one of {', '.join(RUNTIMES)}")
    return row


def for_python(python: str) -> Runtime:
    """The row whose Python is `python` (MAJOR.MINOR), e.g. from a layer manifest."""
    for row in RUNTIMES.values():
        if row.python == python:
            return row
    raise ValueError(f"no supported runtime runs Python {python}; choose one of {', '.join(RUNTIMES)}")


def check_arch(row: Runtime, arch: str) -> str:
    """`arch` if `row` offers it; ValueError naming the choices otherwise."""
    if arch not in row.architectures:
        raise ValueError(
            f"architecture {arch!r} is not offered by {row.identifier}; "
            f"choose one of {', '.join(row.architectures)}"
        )
    return arch


def terraform_table() -> str:
    """The table as Terraform's `mcp_runtimes` variable reads it (JSON)."""
    rows = {
        row.identifier: {"architectures": list(row.architectures), "snap_start": row.snap_start}
        for row in RUNTIMES.values()
    }
    return json.dumps(rows, sort_keys=True)


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"/versions/(\d+)\.(\d+)\.(\d+)/", path)
    return tuple(int(part) for part in match.groups()) if match else (0,)


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def find_python(version: str) -> Path | None:
    """A CPython `version` (MAJOR.MINOR) on this machine, or None.

    This interpreter when it is one; else the newest patch release under `$(pyenv root)/versions`;
    else `python3.X` on PATH.
    """
    if "{}.{}".format(*sys.version_info[:2]) == version:
        return Path(sys.executable)
    root = _pyenv_root()
    if root is not None:
        found = sorted(
            glob.glob(str(root / "versions" / f"{version}.*" / "bin" / "python")), key=_version_key
        )
        found = [path for path in found if re.search(rf"/versions/{re.escape(version)}\.\d+/", path)]
        if found:
            return Path(found[-1])
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None


def interpreter(row: Runtime) -> Path | None:
    """The runtime's Python on this machine (see find_python), or None."""
    return find_python(row.python)


def missing_interpreter(row: Runtime) -> str:
    """The fix for a machine without the runtime's Python."""
    return (
        f"no Python {row.python} interpreter on this machine for {row.identifier}: install it "
        f"(`pyenv install {row.python}` puts it where the build looks, "
        f"$(pyenv root)/versions/{row.python}.*) "
        f"or put python{row.python} on PATH"
    )
