"""The import smoke test: the built zips, unzipped read-only, in a fresh isolated interpreter of the
target runtime's Python (tools.build.targets.Target.interpreter)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tools.build import wheels
from tools.build.errors import PackagingError

CHILD = Path(__file__).with_name("import_smoke_child.py")


def _set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        mode = mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        os.chmod(path, mode)


def _snapshot(roots: Iterable[Path]) -> set[str]:
    return {str(p) for root in roots for p in root.rglob("*")}


def run_smoke(
    layer_zips: list[Path],
    function_zip: Path,
    runtime_wheels: Iterable[Path],
    expected: list[dict[str, Any]],
    interpreter: Path,
    log: Callable[[str], None] = print,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Unzip like Lambda (/opt, /var/task, /var/runtime), make them read-only, import and search."""
    with tempfile.TemporaryDirectory(prefix="thoth-smoke-") as tmp:
        base = Path(tmp)
        opt, task, runtime, home = base / "opt", base / "task", base / "runtime", base / "home"
        for directory in (opt, task, runtime, home):
            directory.mkdir()
        for layer in layer_zips:
            with zipfile.ZipFile(layer) as archive:
                archive.extractall(opt)
        with zipfile.ZipFile(function_zip) as archive:
            archive.extractall(task)
        for wheel in runtime_wheels:
            wheels.unpack(wheel, runtime)
        frozen = (opt, task, runtime)
        for root in frozen:
            _set_writable(root, False)
        before = _snapshot(frozen)
        config = base / "smoke.json"
        config.write_text(json.dumps({"layer": str(opt / "python"), "expected": expected}))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "THOTH_HOME": str(home / "thoth"),
            "THOTH_ENCODER_DIR": str(opt / "thoth-encoder"),
            "HF_HUB_OFFLINE": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LAMBDA_TASK_ROOT": str(task),
            # The import path Lambda gives a function: /var/task, /opt/python, /var/runtime.
            "PYTHONPATH": os.pathsep.join(str(path) for path in (task, opt / "python", runtime)),
        }
        # -S: no site-packages, -B: no bytecode writes. The environment is built from scratch (nothing
        # else of this interpreter's leaks in), and -c puts no script directory on sys.path: only '',
        # the cwd, which is the function directory as on Lambda.
        cmd = [str(interpreter), "-S", "-B", "-c", CHILD.read_text(), str(config)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=task, timeout=timeout)
        finally:
            after = _snapshot(frozen)
            for root in frozen:
                _set_writable(root, True)
        lines = proc.stdout.strip().splitlines()
        try:
            result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        except ValueError:
            result = {}
        if proc.returncode != 0 or not result.get("ok"):
            reason = result.get("error") or (proc.stderr.strip()[-1500:] or proc.stdout.strip()[-1500:])
            raise PackagingError(
                f"the layer smoke test failed: {reason}",
                "fix the trimming rule, the lock or the server module named above, then rebuild",
            )
        written = sorted(after - before)
        if written:
            raise PackagingError(
                f"the smoke test wrote into the read-only layer/function dirs: {written[:5]}",
                "ship precompiled unchecked-hash bytecode for every module (see artifact.compile_tree)",
            )
        log(
            f"smoke test passed under Python {result['python']}: "
            f"{len(result['imported'])} top-level modules imported, "
            f"{len(result['versions'])} versions checked, /health {result['health']}, "
            f"search ranked {result['search_top']} first"
        )
        return result
