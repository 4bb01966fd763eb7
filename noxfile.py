"""Thoth tasks. `nox --list` shows every session; a bare `nox` runs lint, typecheck and tests."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
REQ = ROOT / "requirements"
PYTHON = "3.11"

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "venv"
# Sessions install from hashed locks, so an existing venv is reused only when
# its recorded lock digest still matches (see install_lock).
nox.options.reuse_venv = "yes"

# The lock target: Lambda's python3.11 on x86_64. arm64 follows by adding a row
# here once its wheels are resolvable from this machine's registries.
TARGETS = {"x86_64": {"python": "3.11", "platform": "manylinux2014_x86_64"}}
TARGET = os.environ.get("THOTH_LOCK_TARGET", "x86_64")

PACKAGES = {
    "shared": ROOT / "packages/shared",
    "mcp_server": ROOT / "packages/mcp_server",
    "refresh_service": ROOT / "packages/refresh_service",
}


@dataclass(frozen=True)
class Lock:
    """One pip-tools lock: an .in file plus the pyproject files it mirrors."""

    name: str
    packages: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        return REQ / f"{self.name}.in"

    @property
    def output(self) -> Path:
        return REQ / f"{self.name}.txt"


LOCKS = {
    lock.name: lock
    for lock in (
        Lock("nox"),
        Lock("mcp-layer", ("shared", "mcp_server")),
        Lock("refresh", ("shared", "refresh_service")),
        Lock("dev", ("shared", "mcp_server", "refresh_service")),
        Lock("security"),
        Lock("deploy", ("shared",)),
        Lock("lint"),
    )
}
DIGEST_RE = re.compile(r"^# input-digest: (?P<digest>[0-9a-f]{64})$", re.M)


def _in_files(path: Path) -> list[Path]:
    """The .in file and every file it includes with -r / -c, recursively."""
    found = [path]
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*-[rc]\s+(\S+)", line)
        if match:
            found += _in_files((path.parent / match.group(1)).resolve())
    return found


def input_digest(lock: Lock) -> str:
    """Hash of everything a lock is compiled from, including the target."""
    digest = hashlib.sha256(f"target={TARGET}\n".encode())
    inputs = _in_files(lock.source) + [PACKAGES[p] / "pyproject.toml" for p in lock.packages]
    for path in inputs:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stale_locks(names: list[str]) -> list[str]:
    """Locks whose recorded input digest differs from their inputs now."""
    stale = []
    for name in names:
        lock = LOCKS[name]
        if not lock.output.exists():
            stale.append(f"{lock.output.relative_to(ROOT)} (missing)")
            continue
        match = DIGEST_RE.search(lock.output.read_text())
        if not match or match.group("digest") != input_digest(lock):
            stale.append(f"{lock.output.relative_to(ROOT)} (inputs changed since it was compiled)")
    return stale


def install_lock(session: nox.Session, *names: str, editable: bool = True) -> None:
    """Install locks with hashes, then first-party packages without deps; skip when unchanged."""
    stale = stale_locks(list(names))
    if stale:
        session.error("stale locks: " + ", ".join(stale) + "; run `nox -s lock` and commit the result")
    marker = Path(session.virtualenv.location) / "thoth-locks.sha256"
    wanted = hashlib.sha256(
        "".join(LOCKS[n].output.read_text() for n in names).encode() + str(editable).encode()
    ).hexdigest()
    if marker.exists() and marker.read_text() == wanted:
        session.log("locks unchanged since last install; reusing the environment")
        return
    for name in names:
        session.install("--require-hashes", "--no-deps", "-r", str(LOCKS[name].output))
    if editable:
        # Sibling packages are always installed editable from this tree, never from an index.
        args = ["--no-deps", "--no-build-isolation"]
        for path in PACKAGES.values():
            args += ["-e", str(path)]
        session.install(*args)
    marker.write_text(wanted)


@nox.session(python=PYTHON, venv_backend="venv")
def lock(session: nox.Session) -> None:
    """Compile requirements/*.in into hashed locks (`-- --check` lists stale ones and fails)."""
    args = list(session.posargs)
    check = "--check" in args
    names = [a for a in args if not a.startswith("--")] or list(LOCKS)
    unknown = [n for n in names if n not in LOCKS]
    if unknown:
        session.error(f"unknown lock(s) {unknown}; choose from {sorted(LOCKS)}")
    if check:
        stale = stale_locks(names)
        if stale:
            session.error(
                "stale locks:\n  " + "\n  ".join(stale) + "\nrun `nox -s lock` and commit the result"
            )
        session.log(f"{len(names)} locks up to date: {', '.join(names)}")
        return
    session.install("pip-tools")
    for name in names:
        lock = LOCKS[name]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / lock.output.name
            if lock.output.exists():
                out.write_bytes(lock.output.read_bytes())  # keep unchanged pins stable
            session.run(
                "pip-compile",
                "--quiet",
                "--generate-hashes",
                "--allow-unsafe",
                "--strip-extras",
                "--no-emit-index-url",
                "--no-emit-find-links",
                "--no-header",
                "--output-file",
                str(out),
                str(lock.source.relative_to(ROOT)),
            )
            header = (
                f"# Compiled by `nox -s lock` from {lock.source.name}; do not edit.\n"
                f"# target: {TARGET} {TARGETS[TARGET]['platform']} python{TARGETS[TARGET]['python']}\n"
                f"# input-digest: {input_digest(lock)}\n"
            )
            lock.output.write_text(header + out.read_text())
        session.log(f"wrote {lock.output.relative_to(ROOT)}")
    session.log(f"compiled {len(names)} lock(s)")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run ruff (lint and import order) over the repository."""
    install_lock(session, "lint", editable=False)
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", "--diff", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Run mypy, strict on packages/."""
    install_lock(session, "dev")
    session.run("mypy", *(session.posargs or ["packages"]))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run pytest (unit, functional, e2e); `-- <pytest args>` passes through."""
    install_lock(session, "dev")
    session.run("pytest", *session.posargs, env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})


BENCHES = ("refresh", "mcp", "layer", "deploy")


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Run benchmarks and print figures: `-- refresh|mcp|layer|deploy` (default: all)."""
    install_lock(session, "dev")
    names = [a for a in session.posargs if not a.startswith("-")] or list(BENCHES)
    extra = [a for a in session.posargs if a.startswith("-")]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        session.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHES)}")
    for name in names:
        session.run("python", str(ROOT / "tools" / "bench" / f"{name}.py"), *extra)


# --- mcp search ---


@nox.session(python=PYTHON, default=False)
def build_encoder(session: nox.Session) -> None:
    """Export the torch-free ONNX query encoder to build/encoder (cached; `-- --force` rebuilds)."""
    install_lock(session, "dev")
    # -P: tools/ holds packages (e.g. tools/packaging) that must not shadow site-packages.
    session.run(
        "python", "-P", str(ROOT / "tools" / "build_encoder.py"), *session.posargs,
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )  # fmt: skip


# --- packaging ---


def _packaging(session: nox.Session, command: str, lock: str) -> None:
    stale = stale_locks([lock])
    if stale:
        session.error("stale lock: " + ", ".join(stale) + "; run `nox -s lock` and commit the result")
    session.run("python", "-m", "tools.packaging.cli", command, *session.posargs, env={"HF_HUB_OFFLINE": "1"})


@nox.session(python=PYTHON, default=False)
def build_layer(session: nox.Session) -> None:
    """Build lambda-layers/ (dependency + encoder layers) and the function zip; gates + smoke test."""
    install_lock(session, "dev")
    _packaging(session, "layer", "mcp-layer")


@nox.session(python=PYTHON, default=False)
def build_functions(session: nox.Session) -> None:
    """Build lambda-functions/thoth-mcp-server.zip (thoth.shared + thoth.mcp_server, precompiled)."""
    install_lock(session, "dev")
    _packaging(session, "functions", "mcp-layer")


@nox.session(python=PYTHON, default=False)
def build_container(session: nox.Session) -> None:
    """Build the refresh image (buildah/podman/docker), content-tagged; writes build/container.json."""
    install_lock(session, "dev")
    _packaging(session, "container", "refresh")


@nox.session(python=PYTHON, default=False)
def test_container(session: nox.Session) -> None:
    """Build the refresh image on a local stand-in base and run its handler on samples/handbook."""
    install_lock(session, "dev")
    session.run(
        "pytest", "-m", "container", "-p", "no:cacheprovider", str(ROOT / "tests" / "e2e" / "packaging"),
        *session.posargs, env={"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip


# --- mcp protocol ---

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Serve the MCP handler at http://127.0.0.1:8765/mcp (embedded defaults): `-- [--port N] [--no-auth]`."""
    install_lock(session, "dev")
    session.run("python", "-m", "thoth.mcp_server", "serve", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON, default=False)
def invoke(session: nox.Session) -> None:
    """Run the handler once on a Lambda event file, like `sam local invoke`: `-- <event.json> [--pretty]`."""
    install_lock(session, "dev")
    if not session.posargs:
        session.error("pass an event file, e.g. `nox -s invoke -- packages/mcp_server/events/health.json`")
    session.run("python", "-m", "thoth.mcp_server", "invoke", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON, default=False)
def demo(session: nox.Session) -> None:
    """Index samples/handbook, serve it locally and run an official-SDK MCP client session against it."""
    install_lock(session, "dev")
    session.run("python", "-m", "thoth.mcp_server", "demo", *session.posargs, env=OFFLINE)


# --- deploy ---

# Terraform reads providers only from the local mirror (infra/terraform.rc), never the public registry.
DEPLOY_ENV = {"TF_CLI_CONFIG_FILE": str(ROOT / "infra" / "terraform.rc"), "HF_HUB_OFFLINE": "1"}


def _deploy(session: nox.Session, command: str) -> None:
    install_lock(session, "deploy")  # awscli, boto3, moto[server]: no torch in these venvs
    session.run("python", "-m", "tools.deploy", command, *session.posargs, env=DEPLOY_ENV)


@nox.session(python=PYTHON, default=False)
def infra(session: nox.Session) -> None:
    """Terraform for one environment: `-- <env> plan|apply|destroy [--yes]` (`local` = embedded AWS)."""
    _deploy(session, "infra")


@nox.session(python=PYTHON, default=False)
def deploy(session: nox.Session) -> None:
    """Ship changed layer/code/image, move `live` after a smoke test: `-- <env> [--json]`."""
    _deploy(session, "deploy")


@nox.session(python=PYTHON, default=False)
def rollback(session: nox.Session) -> None:
    """Move `live` back one version: `-- <env> [--to VERSION] [--function refresh-service]`."""
    _deploy(session, "rollback")


@nox.session(python=PYTHON, default=False)
def logs(session: nox.Session) -> None:
    """Show a function's logs: `-- <env> [mcp-server|refresh-service] [--follow] [--since 1h]`."""
    _deploy(session, "logs")


@nox.session(python=PYTHON, default=False)
def refresh_remote(session: nox.Session) -> None:
    """Invoke the deployed refresh function and print its report: `-- <env> [source]`."""
    _deploy(session, "refresh-remote")


@nox.session(python=PYTHON, default=False)
def doctor(session: nox.Session) -> None:
    """Check a live environment (runtime, layers, size, env vars, alias, handler): `-- <env>`."""
    _deploy(session, "doctor")


@nox.session(python=PYTHON)
def security(session: nox.Session) -> None:
    """Static security scan of infra/ with checkov (every skip is a `#checkov:skip=ID:reason` in the .tf)."""
    install_lock(session, "security", editable=False)
    session.run(
        "checkov", "--config-file", str(ROOT / "infra" / ".checkov.yaml"), "--directory", str(ROOT / "infra"),
        *session.posargs, env=DEPLOY_ENV,
    )  # fmt: skip


# --- refresh ---


@nox.session(python=PYTHON, default=False)
def refresh(session: nox.Session) -> None:
    """Index a source locally or on AWS: `-- <git-url-or-path> [--name N] [--ref R] [--full] [--json]`."""
    install_lock(session, "dev")
    if not session.posargs:
        session.error("pass a git URL, repository or directory, e.g. `nox -s refresh -- samples/handbook`")
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    session.run("python", "-m", "thoth.refresh_service", *session.posargs, env=env)
