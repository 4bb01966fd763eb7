"""Thoth tasks. `nox --list` shows every session; a bare `nox` runs lint, typecheck and tests."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import nox

ROOT = Path(__file__).resolve().parent
PYTHON = "3.11"


def _load(name: str, path: Path) -> ModuleType:
    """Import one stdlib-only module of ours by file: this bootstrap venv has only nox, not the tree."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


locks = _load("tools.locks", ROOT / "tools" / "locks.py")
TARGET = locks.target_from_env()

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "venv"
# Sessions install from hashed locks, so an existing venv is reused only when
# its recorded lock digest still matches (see install_lock).
nox.options.reuse_venv = "yes"


def _stop_if_stale(session: nox.Session, names: list[str]) -> None:
    stale = locks.stale_locks(names, ROOT, TARGET)
    if stale:
        session.error("stale locks: " + ", ".join(stale) + "; run `nox -s lock` and commit the result")


def _install_hashed(session: nox.Session, name: str) -> None:
    session.install("--require-hashes", "--no-deps", "-r", str(locks.LOCKS[name].output(ROOT)))


def install_lock(session: nox.Session, *names: str, editable: bool = True) -> None:
    """Install locks with hashes, then first-party packages without deps; skip when unchanged."""
    _stop_if_stale(session, list(names))
    marker = Path(session.virtualenv.location) / "thoth-locks.sha256"
    wanted = locks.install_digest(list(names), ROOT, editable)
    if marker.exists() and marker.read_text() == wanted:
        session.log("locks unchanged since last install; reusing the environment")
        return
    for name in names:
        _install_hashed(session, name)
    if editable:
        # Sibling packages are always installed editable from this tree, never from an index.
        args = ["--no-deps", "--no-build-isolation"]
        for path in locks.PACKAGES.values():
            args += ["-e", str(ROOT / path)]
        session.install(*args)
    marker.write_text(wanted)


@nox.session(python=PYTHON, venv_backend="venv")
def lock(session: nox.Session) -> None:
    """Compile requirements/*.in into hashed locks (`-- --check` lists stale ones and fails)."""
    args = list(session.posargs)
    names = [a for a in args if not a.startswith("--")] or list(locks.LOCKS)
    unknown = locks.unknown(names)
    if unknown:
        session.error(f"unknown lock(s) {unknown}; choose from {sorted(locks.LOCKS)}")
    if "--check" in args:
        fresh, message = locks.check(names, ROOT, TARGET)
        if not fresh:
            session.error(message)
        session.log(message)
        return
    # pip-tools itself comes from a hashed lock (requirements/pip-tools.txt), like every other tool.
    _install_hashed(session, "pip-tools")
    for name in names:
        lock = locks.LOCKS[name]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / lock.output(ROOT).name
            if lock.output(ROOT).exists():
                out.write_bytes(lock.output(ROOT).read_bytes())  # keep unchanged pins stable
            session.run(*locks.pip_compile_args(lock, ROOT, out))
            written = locks.write_lock(lock, ROOT, TARGET, out)
        session.log(f"wrote {written.relative_to(ROOT)}")
    session.log(f"compiled {len(names)} lock(s)")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run ruff (lint and import order) over the repository."""
    install_lock(session, "lint", editable=False)
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", "--diff", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Run mypy, strict on packages/ and tools/."""
    install_lock(session, "dev")
    session.run("mypy", *(session.posargs or ["packages", "tools"]))


OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _pytest(session: nox.Session, tiers: tuple[str, ...]) -> None:
    """pytest over `tiers`, unless the pass-through arguments name test paths of their own."""
    named = any(Path(a.split("::")[0]).exists() for a in session.posargs if not a.startswith("-"))
    session.run("pytest", *(() if named else tiers), *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the unit and functional tests (the edit loop); `-- <pytest args>` passes through."""
    install_lock(session, "dev")
    _pytest(session, ("tests/unit", "tests/functional"))


@nox.session(python=PYTHON, default=False)
def tests_e2e(session: nox.Session) -> None:
    """Run the end-to-end tests (real processes: CLIs, moto server, terraform); `-- <pytest args>` passes."""
    install_lock(session, "dev")
    _pytest(session, ("tests/e2e",))


BENCHES = ("refresh", "mcp", "quality", "layer", "deploy", "hint", "compact", "hostile")


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Print benchmark figures: `-- refresh|mcp|quality|layer|deploy|hint|compact|hostile` (default all)."""
    install_lock(session, "dev")
    names = [a for a in session.posargs if not a.startswith("-")] or list(BENCHES)
    extra = [a for a in session.posargs if a.startswith("-")]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        session.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHES)}")
    for name in names:
        session.run("python", "-m", f"tools.bench.{name}", *extra)


# --- mcp search ---


@nox.session(python=PYTHON, default=False)
def build_encoder(session: nox.Session) -> None:
    """Export the torch-free ONNX query encoder to build/encoder (cached; `-- --force` rebuilds)."""
    install_lock(session, "dev")
    session.run("python", "-m", "tools.build.encoder_export", *session.posargs, env=OFFLINE)


# --- build ---


def _packaging(session: nox.Session, command: str, lock: str) -> None:
    _stop_if_stale(session, [lock])
    session.run("python", "-m", "tools.build.cli", command, *session.posargs, env={"HF_HUB_OFFLINE": "1"})


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


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Serve the MCP handler at http://127.0.0.1:8765/mcp (embedded defaults): `-- [--port N] [--no-auth]`."""
    install_lock(session, "dev")
    session.run("python", "-m", "thoth.mcp_server", "serve", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON, default=False)
def stdio(session: nox.Session) -> None:
    """Serve the MCP tools over stdio (JSON-RPC lines; logs on stderr), as `thoth-mcp stdio` does."""
    install_lock(session, "dev")
    # nox would merge the server's stderr (its logs) into stdout, which belongs to the protocol alone.
    session.run("python", "-m", "thoth.mcp_server", "stdio", *session.posargs, env=OFFLINE, stderr=None)


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
    session.run("python", "-m", "tools.demo", *session.posargs, env=OFFLINE)


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


@nox.session(python=PYTHON, default=False)
def report(session: nox.Session) -> None:
    """What people search for but do not find: `-- <env>|local [--since 24h] [--top 10] [--file F]`."""
    _deploy(session, "report")


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
    """Index a source locally or on AWS: `-- <git-url-or-path> | --source NAME [--config F] [--full]`."""
    install_lock(session, "dev")
    if not session.posargs:
        session.error(
            "pass a git URL, repository or directory (`nox -s refresh -- samples/handbook`) "
            "or a configured source (`nox -s refresh -- --source NAME --config samples/sources.yaml`)"
        )
    session.run("python", "-m", "thoth.refresh_service", *session.posargs, env=OFFLINE)
