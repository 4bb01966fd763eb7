"""The MCP server's function zip: first-party code only (thoth.shared + thoth.mcp_server), precompiled."""

from __future__ import annotations

import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import runtimes
from tools.build import artifact, manifest
from tools.build.targets import Target, interpreter_version
from tools.paths import FUNCTIONS, ROOT

FUNCTION_NAME = "thoth-mcp-server"
HANDLER = "thoth.mcp_server.lambda_handler.handler"
PACKAGES = (ROOT / "packages" / "shared", ROOT / "packages" / "mcp_server")
_SKIP = ("__pycache__", ".pyc", ".pyi")


def _sources(package: Path) -> list[Path]:
    src = package / "src"
    return [p for p in artifact.files_under(src) if not any(s in p.as_posix() for s in _SKIP)]


def _metadata(package: Path) -> tuple[str, str]:
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    return str(project["name"]), str(project["version"])


def code_inputs(packages: tuple[Path, ...]) -> list[Path]:
    return [p for package in packages for p in [package / "pyproject.toml", *_sources(package)]]


def stage_code(
    packages: tuple[Path, ...], tree: Path, interpreter: Path, runtime_dir: str = "/var/task"
) -> list[dict[str, str]]:
    """Copy first-party sources into tree with minimal dist-info, then precompile; returns the dists."""
    dists = []
    for package in packages:
        for path in _sources(package):
            target = tree / path.relative_to(package / "src")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        # importlib.metadata.version() must answer for first-party code too (the server reports it).
        name, version = _metadata(package)
        info = tree / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "top_level.txt").write_text("thoth\n")
        dists.append({"name": name, "version": version})
    artifact.compile_tree(tree, runtime_dir, interpreter)
    return dists


def build_function(
    out_dir: Path = FUNCTIONS,
    packages: tuple[Path, ...] = PACKAGES,
    log: Callable[[str], None] = print,
    runtime: str = runtimes.DEFAULT,
) -> dict[str, Any]:
    """Build (or reuse) lambda-functions/thoth-mcp-server.zip + .json for `runtime`; returns the manifest."""
    started = time.monotonic()
    out = out_dir / f"{FUNCTION_NAME}.zip"
    inputs = code_inputs(packages)
    interpreter = Target(runtime).interpreter()
    extra = {"runtime": runtime, "compiler": interpreter_version(interpreter)}
    key = artifact.digest_paths([*inputs, *artifact.code_files("functions", "targets")], ROOT, extra)
    meta = manifest.reuse(out, key, log)
    if meta is not None:
        return meta
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        tree = Path(tmp) / "task"
        dists = stage_code(packages, tree, interpreter)
        tmp_zip = Path(tmp) / out.name
        artifact.zip_tree(tree, tmp_zip)
        meta = {
            "function": FUNCTION_NAME,
            "handler": HANDLER,
            "runtime": runtime,
            "python": runtimes.get(runtime).python,
            "cache_key": key,
            **manifest.measure(tmp_zip).as_json(),
            "distributions": dists,
        }
        manifest.publish(tmp_zip, out, meta)
    log(
        f"wrote {out.name} for {runtime}: {meta['zip_bytes']:,} bytes ({meta['unzipped_bytes']:,} unzipped)"
        f" in {time.monotonic() - started:.1f}s"
    )
    return meta
