"""Thoth tasks. `nox --list` shows every session; a bare `nox` runs lint, typecheck and tests."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import nox
import nox.virtualenv

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


# tools.locks imports tools.runtimes (the Lambda runtime table): loaded first, it is found by name.
runtimes = _load("tools.runtimes", ROOT / "tools" / "runtimes.py")
locks = _load("tools.locks", ROOT / "tools" / "locks.py")
envs = _load("tools.envs", ROOT / "tools" / "envs.py")
TARGET = locks.target_from_env()
STARTED_AT = time.time()

nox.options.sessions = ["lint", "typecheck", "tests"]
# Nox makes no virtualenvs of its own: every session runs in the one environment of its lock
# (.nox/<lock>, see tools/envs.py), so tests, serve, stdio, build_* and demo share one dev venv.
nox.options.default_venv_backend = "none"
# Nox probes for uv before every session (and logs "uv binary not found.") even when it makes no venv;
# it reads this module attribute first, so with none of its optional backends in use the probe is skipped.
nox.virtualenv.OPTIONAL_VENVS = {}  # type: ignore[attr-defined]


def _stop_if_stale(session: nox.Session, names: list[str]) -> None:
    stale = locks.stale_locks(names, ROOT, TARGET)
    if stale:
        session.error("stale locks: " + ", ".join(stale) + "; run `nox -s lock` and commit the result")


class Env:
    """One lock's shared virtualenv, as a session runs commands in it."""

    def __init__(self, session: nox.Session, path: Path) -> None:
        self.session = session
        self.path = path
        self.bin = path / "bin"

    def run(self, program: str, *args: str, env: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """Run `program` from this environment's bin/ (or a python -m), with the venv first on PATH."""
        merged = {
            "VIRTUAL_ENV": str(self.path),
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            **(env or {}),
        }
        return self.session.run(str(self.bin / program), *args, env=merged, external=True, **kwargs)


def use_env(session: nox.Session, lock: str, editable: bool = True, check_stale: bool = True) -> Env:
    """The shared environment of `lock`: created once, reused while the lock is unchanged.

    An install that did not finish (stopped, killed, out of disk) leaves no completion marker and
    is removed and redone, never reused.
    """
    if check_stale:
        _stop_if_stale(session, [lock])
    plan = envs.plan(ROOT, lock, locks.install_digest([lock], ROOT, editable))
    with envs.exclusive(plan):
        state = envs.state(plan)
        if state == "ready":
            session.log(f"using the shared {lock} environment .nox/{lock} (its lock is unchanged)")
            return Env(session, plan.path)
        for line in envs.announce(plan, state):
            session.log(line)
        envs.start(plan)
        session.run(envs.base_python(PYTHON), "-m", "venv", str(plan.path), external=True)
        pip = (str(plan.path / "bin" / "python"), "-m", "pip", "install", "--progress-bar", "on")
        lock_file = str(locks.LOCKS[lock].output(ROOT))
        session.run(*pip, "--require-hashes", "--no-deps", "-r", lock_file, external=True)
        if editable:
            # Sibling packages are always installed editable from this tree, never from an index.
            args = ["--no-deps", "--no-build-isolation"]
            for path in locks.PACKAGES.values():
                args += ["-e", str(ROOT / path)]
            session.run(*pip, "--quiet", *args, external=True)
        session.log(envs.finish(plan))
    return Env(session, plan.path)


def need_setting(session: nox.Session, message: str, *names: str, flag: str | None = None) -> None:
    """Stop before installing anything when none of `names` is set (and `flag` is not passed)."""
    if flag is not None and flag in session.posargs:
        return
    if not any(os.environ.get(name, "").strip() for name in names):
        session.error(message)


def _resolver(session: nox.Session, python: str) -> Env:
    """pip-tools under Python `python`: a runtime's layer lock resolves under that runtime's own Python."""
    row = runtimes.for_python(python)
    interpreter = runtimes.interpreter(row)
    if interpreter is None:
        session.error(runtimes.missing_interpreter(row))
    venv = ROOT / ".nox" / f"pip-tools-python{python}"
    wanted = locks.install_digest(["pip-tools"], ROOT, False) + str(interpreter)
    marker = venv / envs.DONE
    if not (marker.exists() and marker.read_text() == wanted):
        session.run(str(interpreter), "-m", "venv", "--clear", str(venv), external=True)
        pip_tools = str(locks.LOCKS["pip-tools"].output(ROOT))
        session.run(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--require-hashes",
                    "--no-deps", "-r", pip_tools, external=True)  # fmt: skip
        marker.write_text(wanted)
    return Env(session, venv)


@nox.session
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
    # pip-tools itself comes from a hashed lock (requirements/pip-tools.txt), like every other tool;
    # its own lock may be among the stale ones being recompiled here.
    env = use_env(session, "pip-tools", editable=False, check_stale=False)
    for name in names:
        lock = locks.LOCKS[name]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / lock.output(ROOT).name
            if lock.output(ROOT).exists():
                out.write_bytes(lock.output(ROOT).read_bytes())  # keep unchanged pins stable
            python = locks.python_of(lock, TARGET)
            runner = env if python == PYTHON else _resolver(session, python)
            runner.run(*locks.pip_compile_args(lock, ROOT, out))
            written = locks.write_lock(lock, ROOT, TARGET, out)
        session.log(f"wrote {written.relative_to(ROOT)}")
    session.log(f"compiled {len(names)} lock(s)")


@nox.session(tags=["test"])
def lint(session: nox.Session) -> None:
    """Run ruff (lint and import order) over the repository."""
    env = use_env(session, "lint", editable=False)
    env.run("ruff", "check", *(session.posargs or ["."]))
    env.run("ruff", "format", "--check", "--diff", ".")


@nox.session(tags=["test"])
def typecheck(session: nox.Session) -> None:
    """Run mypy, strict on packages/ and tools/."""
    use_env(session, "dev").run("mypy", *(session.posargs or ["packages", "tools"]))


OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _pytest(session: nox.Session, tiers: tuple[str, ...]) -> None:
    """pytest over `tiers`, unless the pass-through arguments name test paths of their own."""
    env = use_env(session, "dev")
    named = any(Path(a.split("::")[0]).exists() for a in session.posargs if not a.startswith("-"))
    env.run("pytest", *(() if named else tiers), *session.posargs, env=OFFLINE)


@nox.session(tags=["test"])
def tests(session: nox.Session) -> None:
    """Run the unit and functional tests (the edit loop); `-- <pytest args>` passes through."""
    _pytest(session, ("tests/unit", "tests/functional"))


@nox.session(default=False, tags=["test"])
def tests_e2e(session: nox.Session) -> None:
    """Run the end-to-end tests (real processes: CLIs, moto server, terraform); `-- <pytest args>` passes."""
    _pytest(session, ("tests/e2e",))


BENCHES = ("refresh", "mcp", "quality", "layer", "deploy", "hint", "compact", "hostile", "encoder")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks that print figures: `-- refresh|mcp|quality|layer|deploy|hint|compact|hostile|encoder`."""
    names = [a for a in session.posargs if not a.startswith("-")] or list(BENCHES)
    extra = [a for a in session.posargs if a.startswith("-")]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        session.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHES)}")
    env = use_env(session, "dev")
    for name in names:
        env.run("python", "-m", f"tools.bench.{name}", *extra)


# --- build ---


@nox.session(default=False, tags=["build"])
def build_encoder(session: nox.Session) -> None:
    """Export the torch-free ONNX query encoder to build/encoder (cached; `-- --force` rebuilds)."""
    use_env(session, "dev").run("python", "-m", "tools.build.encoder_export", *session.posargs, env=OFFLINE)


def _packaging(session: nox.Session, command: str, *lock_names: str) -> None:
    _stop_if_stale(session, list(lock_names))
    env = use_env(session, "dev")
    env.run("python", "-m", "tools.build.cli", command, *session.posargs, env={"HF_HUB_OFFLINE": "1"})


@nox.session(default=False, tags=["build"])
def build_layer(session: nox.Session) -> None:
    """Build the MCP layers and function zip for a runtime: `-- [--runtime ID] [--arch arm64]`."""
    _packaging(session, "layer", *locks.runtime_locks())


@nox.session(default=False, tags=["build"])
def build_functions(session: nox.Session) -> None:
    """Build lambda-functions/thoth-mcp-server.zip (thoth.shared + thoth.mcp_server, precompiled)."""
    _packaging(session, "functions", *locks.runtime_locks())


@nox.session(default=False, tags=["build"])
def build_container(session: nox.Session) -> None:
    """Build the refresh image (buildah/podman/docker) into build/container.json: `-- [--standin]`."""
    _packaging(session, "container", "refresh")


@nox.session(default=False, tags=["test"])
def test_container(session: nox.Session) -> None:
    """Build the refresh image on a local stand-in base and run its handler on samples/handbook."""
    use_env(session, "dev").run(
        "pytest", "-m", "container", "-p", "no:cacheprovider", str(ROOT / "tests" / "e2e" / "build"),
        *session.posargs, env={"HF_HUB_OFFLINE": "1"},
    )  # fmt: skip


# --- serve locally ---

NEEDS_KEY = (
    "no API key is set: export THOTH_API_KEYS=$(python3 -c 'import secrets;print(secrets.token_urlsafe(32))')"
    " (16 characters or more; a JSON list for several), or set THOTH_OAUTH_ISSUER (or THOTH_OAUTH_UPSTREAM,"
    " the authorization-server front) for OAuth, or pass"
    " `-- --no-auth` for a local experiment"
)
AUTH_SETTINGS = ("THOTH_API_KEYS", "THOTH_OAUTH_ISSUER", "THOTH_OAUTH_UPSTREAM")


@nox.session(default=False, tags=["serve"])
def serve(session: nox.Session) -> None:
    """Serve the MCP handler at http://127.0.0.1:8765/mcp (embedded defaults): `-- [--port N] [--no-auth]`."""
    need_setting(session, NEEDS_KEY, *AUTH_SETTINGS, flag="--no-auth")
    use_env(session, "dev").run("python", "-m", "thoth.mcp_server", "serve", *session.posargs, env=OFFLINE)


@nox.session(default=False, tags=["serve"])
def stdio(session: nox.Session) -> None:
    """Serve the MCP tools over stdio (JSON-RPC lines; logs on stderr), as `thoth-mcp stdio` does."""
    env = use_env(session, "dev")
    # nox would merge the server's stderr (its logs) into stdout, which belongs to the protocol alone.
    env.run("python", "-m", "thoth.mcp_server", "stdio", *session.posargs, env=OFFLINE, stderr=None)


@nox.session(default=False, tags=["serve"])
def invoke(session: nox.Session) -> None:
    """Run the handler once on a Lambda event file, like `sam local invoke`: `-- <event.json> [--pretty]`."""
    if not session.posargs:
        session.error("pass an event file, e.g. `nox -s invoke -- packages/mcp_server/events/health.json`")
    need_setting(session, NEEDS_KEY, *AUTH_SETTINGS, flag="--no-auth")
    use_env(session, "dev").run("python", "-m", "thoth.mcp_server", "invoke", *session.posargs, env=OFFLINE)


@nox.session(default=False, tags=["serve"])
def demo(session: nox.Session) -> None:
    """Index samples/handbook, serve it locally and run an official-SDK MCP client session against it."""
    env = use_env(session, "dev")
    # The demo's total counts from `make demo` (MAKE_STARTED_AT, set by the Makefile) or from here.
    started = os.environ.get("MAKE_STARTED_AT") or f"{STARTED_AT:.3f}"
    env.run("python", "-m", "tools.demo", "--started-at", started, *session.posargs, env=OFFLINE)


# --- deploy ---

# Terraform reads providers only from the local mirror (infra/terraform.rc), never the public registry.
DEPLOY_ENV = {"TF_CLI_CONFIG_FILE": str(ROOT / "infra" / "terraform.rc"), "HF_HUB_OFFLINE": "1"}


def _deploy(session: nox.Session, command: str, lock: str = "deploy") -> None:
    env = use_env(session, lock)  # deploy: awscli, boto3, moto[server], no torch
    env.run("python", "-m", "tools.deploy", command, *session.posargs, env=DEPLOY_ENV)


@nox.session(default=False, tags=["aws"])
def infra(session: nox.Session) -> None:
    """Terraform for one environment: `-- <env> plan|apply|destroy [--yes]` (`local` = embedded AWS)."""
    _deploy(session, "infra")


@nox.session(default=False, tags=["aws"])
def deploy(session: nox.Session) -> None:
    """Ship what changed, move `live` after a smoke test: `-- <env> [--json] [--no-build] [--skip-image]`."""
    _deploy(session, "deploy")


@nox.session(default=False, tags=["aws"])
def rollback(session: nox.Session) -> None:
    """Move `live` back one version: `-- <env> [--to VERSION] [--function refresh-service]`."""
    _deploy(session, "rollback")


@nox.session(default=False, tags=["aws"])
def logs(session: nox.Session) -> None:
    """Show a function's logs: `-- <env> [mcp-server|refresh-service] [--follow] [--since 1h]`."""
    _deploy(session, "logs")


@nox.session(default=False, tags=["aws"])
def refresh_remote(session: nox.Session) -> None:
    """Invoke the deployed refresh function and print its report: `-- <env> [source]` (`local`: run here)."""
    # moto cannot run Lambda code: in `local` the refresh handler runs in-process, so it needs torch (dev).
    _deploy(session, "refresh-remote", lock="dev" if session.posargs[:1] == ["local"] else "deploy")


@nox.session(default=False, tags=["aws"])
def doctor(session: nox.Session) -> None:
    """Check a live environment (runtime, layers, size, alias, health, a search): `-- <env>`; exit 1 = fix."""
    _deploy(session, "doctor")


@nox.session(default=False, tags=["aws"])
def report(session: nox.Session) -> None:
    """What people search for but do not find: `-- <env>|local [--since 24h] [--top 10] [--file F]`."""
    _deploy(session, "report")


# Not in a bare `nox`: checkov needs its own lock (minutes to install); CI runs `nox -s security`.
@nox.session(default=False, tags=["test"])
def security(session: nox.Session) -> None:
    """Static security scan of infra/ with checkov (every skip is a `#checkov:skip=ID:reason` in the .tf)."""
    use_env(session, "security", editable=False).run(
        "checkov", "--config-file", str(ROOT / "infra" / ".checkov.yaml"), "--directory", str(ROOT / "infra"),
        *session.posargs, env=DEPLOY_ENV,
    )  # fmt: skip


# --- refresh ---


@nox.session(default=False)
def refresh(session: nox.Session) -> None:
    """Index a source locally or on AWS: `-- <git-url-or-path> | --source NAME [--config F] [--full]`."""
    if not session.posargs:
        session.error(
            "pass a git URL, repository or directory (`nox -s refresh -- samples/handbook`) "
            "or a configured source (`nox -s refresh -- --source NAME --config samples/sources.yaml`)"
        )
    use_env(session, "dev").run("python", "-m", "thoth.refresh_service", *session.posargs, env=OFFLINE)
