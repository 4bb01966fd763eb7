"""The pip-tools locks in requirements/: what each is compiled from, which are stale, how one is written.

noxfile.py loads this file in the bootstrap venv, where only nox is installed: stdlib only, and no
imports from the rest of `tools` but tools.runtimes (stdlib only too; noxfile loads it first). Every
function takes the repository root, so tests run them on a copy.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tools.runtimes import RUNTIMES

REQUIREMENTS = "requirements"
# The target of the tool locks (dev, lint, deploy, ...): this machine's Python on x86_64. The MCP layer's
# locks target a Lambda runtime each instead (tools/runtimes.py), resolved under that runtime's Python.
TARGETS = {"x86_64": {"python": "3.11", "platform": "manylinux2014_x86_64"}}
DEFAULT_TARGET = "x86_64"
# First-party distributions: locks mirror their pyproject.toml; sessions install them editable.
PACKAGES = {
    "shared": "packages/shared",
    "mcp_server": "packages/mcp_server",
    "refresh_service": "packages/refresh_service",
}
DIGEST_RE = re.compile(r"^# input-digest: (?P<digest>[0-9a-f]{64})$", re.M)
_INCLUDE_RE = re.compile(r"^\s*-[rc]\s+(\S+)")


@dataclass(frozen=True)
class Lock:
    """One pip-tools lock: an .in file plus the pyproject files it mirrors."""

    name: str
    packages: tuple[str, ...] = ()
    runtime: str | None = None  # a row of tools/runtimes.py: resolved under its Python, for every arch

    def source(self, root: Path) -> Path:
        return root / REQUIREMENTS / f"{self.name}.in"

    def output(self, root: Path) -> Path:
        return root / REQUIREMENTS / f"{self.name}.txt"


LOCKS = {
    lock.name: lock
    for lock in (
        Lock("nox"),
        Lock("pip-tools"),
        *(Lock(row.lock, ("shared", "mcp_server"), row.identifier) for row in RUNTIMES.values()),
        Lock("refresh", ("shared", "refresh_service")),
        Lock("dev", ("shared", "mcp_server", "refresh_service")),
        Lock("security"),
        Lock("deploy", ("shared",)),
        Lock("lint"),
    )
}


def target_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The lock target THOTH_LOCK_TARGET names (default x86_64)."""
    target = environ.get("THOTH_LOCK_TARGET", DEFAULT_TARGET)
    if target not in TARGETS:
        raise ValueError(
            f"THOTH_LOCK_TARGET={target!r} is unknown; choose from {sorted(TARGETS)} or unset it"
        )
    return target


def unknown(names: list[str]) -> list[str]:
    """The names in `names` that are no lock."""
    return [name for name in names if name not in LOCKS]


def in_files(path: Path) -> list[Path]:
    """The .in file and every file it includes with -r / -c, recursively."""
    found = [path]
    for line in path.read_text().splitlines():
        match = _INCLUDE_RE.match(line)
        if match:
            found += in_files((path.parent / match.group(1)).resolve())
    return found


def runtime_locks() -> list[str]:
    """The MCP layer's locks, one per Lambda runtime."""
    return [name for name, lock in LOCKS.items() if lock.runtime]


def target_of(lock: Lock, target: str) -> str:
    """What `lock` is compiled for: its runtime, else the tool-lock target."""
    return lock.runtime or target


def python_of(lock: Lock, target: str) -> str:
    """The Python (MAJOR.MINOR) `lock` must be resolved under."""
    return RUNTIMES[lock.runtime].python if lock.runtime else TARGETS[target]["python"]


def input_digest(lock: Lock, root: Path, target: str) -> str:
    """Hash of everything a lock is compiled from, including the target."""
    root = root.resolve()
    digest = hashlib.sha256(f"target={target_of(lock, target)}\n".encode())
    inputs = in_files(lock.source(root)) + [root / PACKAGES[p] / "pyproject.toml" for p in lock.packages]
    for path in inputs:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stale_locks(names: list[str], root: Path, target: str) -> list[str]:
    """Locks whose recorded input digest differs from their inputs now, each with the reason."""
    stale = []
    for name in names:
        lock = LOCKS[name]
        output = lock.output(root)
        shown = output.relative_to(root).as_posix()
        if not output.exists():
            stale.append(f"{shown} (missing)")
            continue
        match = DIGEST_RE.search(output.read_text())
        if not match or match.group("digest") != input_digest(lock, root, target):
            stale.append(f"{shown} (inputs changed since it was compiled)")
    return stale


def check(names: list[str], root: Path, target: str) -> tuple[bool, str]:
    """What `nox -s lock -- --check` reports: (all fresh, the message to print)."""
    stale = stale_locks(names, root, target)
    if stale:
        return False, "stale locks:\n  " + "\n  ".join(stale) + "\nrun `nox -s lock` and commit the result"
    return True, f"{len(names)} locks up to date: {', '.join(names)}"


def pip_compile_args(lock: Lock, root: Path, output: Path) -> list[str]:
    """The pip-compile command line that compiles `lock` (run from `root`) into `output`.

    A runtime's lock accepts wheels only: every pin must install on Lambda without a compiler.
    """
    only_wheels = ["--pip-args", "--only-binary=:all:"] if lock.runtime else []
    return [
        "pip-compile",
        "--quiet",
        "--generate-hashes",
        "--allow-unsafe",
        "--strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--no-header",
        *only_wheels,
        "--output-file",
        str(output),
        lock.source(root).relative_to(root).as_posix(),
    ]


def header(lock: Lock, root: Path, target: str) -> str:
    """The lines every lock starts with; the input digest is what `check` compares."""
    if lock.runtime:
        row = RUNTIMES[lock.runtime]
        shown = f"{row.identifier} ({row.os}, glibc {row.glibc_text}; {', '.join(row.architectures)})"
    else:
        spec = TARGETS[target]
        shown = f"{target} {spec['platform']} python{spec['python']}"
    return (
        f"# Compiled by `nox -s lock` from {lock.source(root).name}; do not edit.\n"
        f"# target: {shown}\n"
        f"# input-digest: {input_digest(lock, root, target)}\n"
    )


def write_lock(lock: Lock, root: Path, target: str, compiled: Path) -> Path:
    """Write pip-compile's output `compiled` as the lock file, under its header; returns the lock file."""
    output = lock.output(root)
    output.write_text(header(lock, root, target) + compiled.read_text())
    return output


def install_digest(names: list[str], root: Path, editable: bool) -> str:
    """What a session's venv was installed from: reused only while this stays the same."""
    texts = "".join(LOCKS[name].output(root).read_text() for name in names)
    return hashlib.sha256(texts.encode() + str(editable).encode()).hexdigest()
