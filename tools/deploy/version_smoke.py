"""Smoke tests of a freshly published version: /health of the MCP server, the refresh image's presence.

Against real AWS the MCP server is asked through its function URL (or `lambda invoke`). moto cannot run
Lambda code without Docker, so in `local` the deployed artifacts (the exact zips whose sha256 the version
reports, layers unzipped read-only like /opt) run here with the function's environment instead; there,
once /health reports a live index, the same process also answers a search (with a key from the
api-key secret), which must return results.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import stat
import subprocess
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import runtimes
from tools.aws.errors import DeployError, SmokeTestFailed
from tools.aws.session import Session
from tools.deploy import lambda_ops, store
from tools.paths import ROOT

HANDLER = "thoth.mcp_server.lambda_handler.handler"
HEALTH_EVENT = ROOT / "packages" / "mcp_server" / "events" / "health.json"
# tools/call search_handbook "how do I request time off", limit 3 (the demo's question).
SEARCH_EVENT = ROOT / "packages" / "mcp_server" / "events" / "search.json"
# What Lambda's Python runtimes provide beside the function and its layers.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
CHILD = """
import importlib, json, sys
config = json.load(open(sys.argv[1]))
module, _, attr = config["handler"].rpartition(".")
try:
    handler = getattr(importlib.import_module(module), attr)
except Exception as exc:
    error = f"import {config['handler']} failed: {type(exc).__name__}: {exc}"
    print(json.dumps({"ok": False, "error": error}))
    sys.exit(1)
class Context:
    function_name = config["function"]
    function_version = config["version"]
    aws_request_id = "deploy-smoke"
    memory_limit_in_mb = 512
    def get_remaining_time_in_millis(self):
        return 25000
responses = []
for event in config["events"]:  # one process, like one warm Lambda instance
    try:
        responses.append(handler(event, Context()))
    except Exception as exc:
        print(json.dumps({"ok": False, "error": f"the handler raised {type(exc).__name__}: {exc}"}))
        sys.exit(1)
print(json.dumps({"ok": True, "responses": responses}))
"""


@dataclass(frozen=True)
class SmokeResult:
    passed: bool
    mode: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "mode": self.mode, "detail": self.detail}


@dataclass(frozen=True)
class Probe:
    """What the deployed MCP server answered here: /health, and a search when a key was at hand."""

    error: str | None  # why the handler did not answer at all
    health: tuple[int, str] = (0, "")  # status, body
    search: dict[str, Any] | None = None  # the search's HTTP response; None when none was sent
    where: str = ""  # which Python ran the artifacts

    @property
    def serving(self) -> bool:
        """/health answered 200 "ok": every source's live index is served."""
        return is_serving(*self.health)


def health_event() -> dict[str, Any]:
    return dict(json.loads(HEALTH_EVENT.read_text()))


def search_event(key: str) -> dict[str, Any]:
    """The sample search event with `key` in the x-api-key header (as a client sends it)."""
    event = dict(json.loads(SEARCH_EVENT.read_text()))
    event["headers"] = {**event["headers"], "x-api-key": key}
    return event


def api_key(session: Session) -> str | None:
    """A key from the environment's api-key secret (one that reads every source, when there is one);
    None when the secret holds no value."""
    from thoth.mcp_server.transport.auth.api_keys import parse_entries
    from thoth.shared.errors import ConfigError

    secret = session.env.secret("api-key")
    got = session.cli.try_run(
        "secretsmanager", "get-secret-value", "--secret-id", secret, missing=("ResourceNotFoundException",)
    )
    try:
        entries = parse_entries((got or {}).get("SecretString"))
    except ConfigError as exc:
        raise DeployError(f"{secret} holds no usable key: {exc}") from None
    ordered = sorted(entries, key=lambda entry: entry.sources is not None)  # keys for every source first
    return ordered[0].key if ordered else None


def is_serving(status: int, body_text: str) -> bool:
    try:
        body = json.loads(body_text) if body_text else {}
    except ValueError:
        return False
    return status == 200 and isinstance(body, dict) and body.get("status") == "ok"


def degraded_fix(env_name: str, body_text: str) -> str:
    """What to do about a degraded /health: publish an index, or read why the one there is refused."""
    try:
        indexes = json.loads(body_text).get("indexes")
    except (ValueError, AttributeError):
        indexes = None
    if not indexes:
        return f"publish an index with `nox -s refresh_remote -- {env_name}`"
    return (
        f"see why in `nox -s logs -- {env_name}`, then publish a fresh version with "
        f"`nox -s refresh_remote -- {env_name}`"
    )


def judge_search(response: dict[str, Any]) -> tuple[bool, str]:
    """A search passes when it answered 200 with at least one result; the detail names the first."""
    status, text = int(response.get("statusCode", 0)), str(response.get("body", ""))
    try:
        result = json.loads(text).get("result") or {}
    except (ValueError, AttributeError):
        return False, f"search answered {status} with {text[:200]!r}"
    if status != 200 or not isinstance(result, dict):
        return False, f"search answered {status}: {text[:300]}"
    words = " ".join(str(block.get("text", "")) for block in result.get("content") or [])
    if result.get("isError"):
        return False, f"search reported an error: {words[:300]}"
    hits = (result.get("structuredContent") or {}).get("results") or []
    if not hits:
        return False, "search returned no results"
    first = hits[0]
    return True, f"search answered {len(hits)} result(s), first {first.get('path')} ({first.get('url')})"


def judge_health(status: int, body_text: str) -> tuple[bool, str]:
    """200 passes; 503 passes only as the server's own "degraded" answer (alive, no index yet)."""
    try:
        body = json.loads(body_text) if body_text else {}
    except ValueError:
        return False, f"/health answered {status} with a non-JSON body: {body_text[:200]!r}"
    if not isinstance(body, dict):
        return False, f"/health answered {status} with {body_text[:200]!r}"
    if status == 200 and body.get("status") == "ok":
        return True, f"/health 200 ok (version {body.get('version')})"
    if status == 503 and body.get("status") == "degraded" and body.get("service"):
        return True, f"/health 503 degraded but alive: {body.get('reason')}"
    return False, f"/health answered {status}: {body_text[:300]}"


def _read_only(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        os.chmod(
            path, mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        )


def _runtime_dir(base: Path) -> Path:
    runtime = base / "runtime"
    runtime.mkdir()
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (runtime / source.name).symlink_to(source)
    return runtime


def _interpreter(config: dict[str, Any]) -> tuple[runtimes.Runtime, Path]:
    """The function's runtime row and this machine's Python for it; SmokeTestFailed with the fix otherwise."""
    try:
        row = runtimes.get(str(config.get("Runtime")))
    except ValueError as exc:
        raise SmokeTestFailed(f"{exc}; set mcp_runtime in the tfvars and apply") from None
    found = runtimes.interpreter(row)
    if found is None:
        raise SmokeTestFailed(runtimes.missing_interpreter(row) + "; the deployed artifacts are untested")
    return row, found


def run_local(session: Session, function: str, version: str) -> SmokeResult:
    """Run the artifacts `function:version` reports (by sha256) here, under the function runtime's Python:
    /health, then a search if it serves."""
    probe = probe_local(session, function, version, api_key(session))
    if probe.error is not None:
        return SmokeResult(False, "local-artifacts", probe.error)
    passed, detail = judge_health(*probe.health)
    detail += f"; {probe.where}"
    if not probe.serving:
        if passed:
            detail += f"; {degraded_fix(session.env.name, probe.health[1])}"
        return SmokeResult(passed, "local-artifacts", detail)
    if probe.search is None:
        return SmokeResult(
            True,
            "local-artifacts",
            f"{detail}; no search tried: {session.env.secret('api-key')} holds no key",
        )
    found, what = judge_search(probe.search)
    return SmokeResult(found, "local-artifacts", f"{detail}; {what}")


def probe_local(session: Session, function: str, version: str, key: str | None) -> Probe:
    """Run `function:version`'s artifacts here, under the function runtime's Python, on the health event,
    and on the search event when `key` is set."""
    config = lambda_ops.function_config(session, function, version)
    row, interpreter = _interpreter(config)
    env_name = session.env.name
    code_hex = base64.b64decode(config["CodeSha256"]).hex()
    code_zip = store.find(env_name, code_hex)
    if code_zip is None:
        raise SmokeTestFailed(
            f"no local copy of {function}:{version}'s code (sha256 {code_hex[:12]}…); "
            "redeploy from this checkout"
        )
    layer_zips = []
    for arn in lambda_ops.layer_arns(config):
        name, number = arn.rsplit(":", 2)[-2:]
        layer = session.cli.run(
            "lambda", "get-layer-version", "--layer-name", name, "--version-number", number
        )
        sha = str(layer.get("Description", "")).removeprefix("sha256:")
        path = store.find(env_name, sha)
        if path is None:
            raise SmokeTestFailed(f"no local copy of layer {arn}; redeploy from this checkout")
        layer_zips.append(path)
    with tempfile.TemporaryDirectory(prefix="thoth-deploy-smoke-") as tmp:
        base = Path(tmp)
        opt, task, home = base / "opt", base / "task", base / "tmp"
        for directory in (opt, task, home):
            directory.mkdir()
        for path in layer_zips:  # in attachment order, later layers overwrite, as on Lambda
            with zipfile.ZipFile(path) as archive:
                archive.extractall(opt)
        with zipfile.ZipFile(code_zip) as archive:
            archive.extractall(task)
        runtime = _runtime_dir(base)
        site = opt / "python" / "lib" / f"python{row.python}" / "site-packages"
        paths = [task, site, opt / "python", runtime]
        spec = {
            "handler": config.get("Handler", HANDLER),
            "function": function,
            "version": version,
            "events": [health_event(), *([search_event(key)] if key else [])],
        }
        spec_path = home / "smoke.json"
        spec_path.write_text(json.dumps(spec))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TMPDIR": str(home),
            "THOTH_HOME": str(home / "thoth"),
            "THOTH_CACHE_DIR": str(home / "thoth-cache"),  # on Lambda /tmp/thoth-cache: here, this run's own
            "THOTH_ENCODER_DIR": str(opt / "thoth-encoder"),
            "HF_HUB_OFFLINE": "1",
            "LAMBDA_TASK_ROOT": str(task),
            "AWS_REGION": session.env.region,  # Lambda sets both
            "AWS_DEFAULT_REGION": session.env.region,
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
        }
        env.update(config.get("Environment", {}).get("Variables", {}))
        env.update(session.cli.env)  # the embedded AWS endpoint and its fake credentials
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in paths)  # Lambda's import path
        for root in (opt, task):
            _read_only(root, False)
        try:
            proc = subprocess.run(
                # -S: no site-packages, -B: no bytecode writes; -c: no script directory on sys.path
                # (only '', the cwd: the function directory, as on Lambda). The environment is built above.
                [str(interpreter), "-S", "-B", "-c", CHILD, str(spec_path)],
                cwd=task,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            for root in (opt, task):
                _read_only(root, True)
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {}
    if not result.get("ok"):
        return Probe(str(result.get("error") or proc.stderr.strip()[-800:] or "no output"))
    health, *search = result["responses"]
    return Probe(
        None,
        (int(health.get("statusCode", 0)), str(health.get("body", ""))),
        search[0] if search else None,
        f"under {interpreter} ({row.identifier}'s Python)",
    )


def invoke_version(session: Session, function: str, version: str) -> SmokeResult:
    """`lambda invoke` of one version with the health event."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "response.json"
        session.cli.run("lambda", "invoke", "--function-name", function, "--qualifier", version,
                        "--cli-binary-format", "raw-in-base64-out", "--payload", json.dumps(health_event()),
                        str(out))  # fmt: skip
        response = json.loads(out.read_text() or "{}")
    passed, detail = judge_health(int(response.get("statusCode", 0)), str(response.get("body", "")))
    return SmokeResult(passed, "invoke", detail)


def run_remote(session: Session, function: str, version: str) -> SmokeResult:
    """GET /health through the function URL of `live`, else `lambda invoke` of the version."""
    url_config = session.cli.try_run(
        "lambda",
        "get-function-url-config",
        "--function-name",
        function,
        "--qualifier",
        lambda_ops.ALIAS,
        missing=("ResourceNotFoundException",),
    )
    if url_config:
        url = str(url_config["FunctionUrl"]).rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            return SmokeResult(False, "function-url", f"GET {url} failed: {exc}")
        passed, detail = judge_health(status, text)
        return SmokeResult(passed, "function-url", detail)
    return invoke_version(session, function, version)


def mcp_server(session: Session, function: str, version: str) -> SmokeResult:
    if session.env.embedded:
        print(
            "  smoke: moto cannot execute Lambda code, so the deployed artifacts run locally "
            "(layers unzipped read-only, the function's environment)"
        )
        return run_local(session, function, version)
    return run_remote(session, function, version)


def refresh_service(session: Session, function: str, version: str, image_uri: str) -> SmokeResult:
    """The version is Active on exactly the pushed digest (and, in `local`, the registry serves it back)."""
    config = lambda_ops.function_config(session, function, version)
    if config.get("State") not in (None, "Active"):
        return SmokeResult(
            False,
            "version-state",
            f"{function}:{version} is {config.get('State')}: {config.get('StateReason')}",
        )
    got = session.cli.run("lambda", "get-function", "--function-name", function, "--qualifier", version)
    deployed = got.get("Code", {}).get("ImageUri")
    if deployed != image_uri:
        return SmokeResult(
            False, "version-state", f"{function}:{version} runs {deployed}, expected {image_uri}"
        )
    if session.local is not None:
        from tools.deploy import image_registry

        digest = image_uri.rsplit("@", 1)[-1]
        try:
            image_registry.pull_back(session, digest)
        except DeployError as exc:
            return SmokeResult(False, "registry-pull", str(exc))
        return SmokeResult(
            True, "registry-pull", f"pulled back {digest[:19]}… from the local registry by digest"
        )
    return SmokeResult(
        True, "version-state", f"{function}:{version} Active on {image_uri.rsplit('@', 1)[-1][:19]}…"
    )
