"""Deploy benchmark against the embedded AWS (moto server + local registry): wall time and AWS API calls
of a first deploy, a no-op redeploy and a code-only redeploy, each through `python -m tools.deploy`.

Usage: python -m tools.bench.deploy [--runs 3] [--real-image]
Calls are counted twice: by the tool (AWS CLI invocations) and by the server (moto's request recorder).
Figures are printed; nothing is asserted. The embedded AWS lives in a temporary THOTH_HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.deploy.build_outputs import DEFAULT_FUNCTION as FUNCTION
from tools.deploy.build_outputs import DEFAULT_LAYERS
from tools.paths import CONTAINER_RECORD, ROOT

LAYERS = list(DEFAULT_LAYERS)


def tool(home: Path, *args: str) -> tuple[float, str]:
    env = dict(os.environ, THOTH_HOME=str(home), TF_CLI_CONFIG_FILE=str(ROOT / "infra" / "terraform.rc"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def function_zip(work: Path, marker: str) -> Path:
    """A function zip built by the packaging tool from a temp copy of the repo with one code change."""
    copy = work / f"repo-{marker}"
    for part in ("packages", "tools"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copyfile(ROOT / "pyproject.toml", copy / "pyproject.toml")
    health = copy / "packages" / "mcp_server" / "src" / "thoth" / "mcp_server" / "health.py"
    health.write_text(health.read_text() + f"\n# bench change {marker}\n")
    out = work / f"function-{marker}"
    argv = [sys.executable, "-m", "tools.build.cli", "functions", "--functions", str(out)]
    subprocess.run(argv, cwd=copy, check=True, capture_output=True)
    return out / "thoth-mcp-server.zip"


def small_layer(work: Path) -> Path:
    import importlib.util
    import zipfile

    spec = importlib.util.find_spec("idna")
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    out = work / "thoth-mcp-layer.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package.rglob("*.py")):
            archive.write(path, "python/" + path.relative_to(package.parent).as_posix())
    return out


def row(name: str, times: list[float], summaries: list[dict[str, Any]]) -> str:
    last = summaries[-1]
    server = last.get("server_calls", {})
    actions = "/".join(str(last[k]["action"]) for k in ("layer", "mcp_server", "refresh_service"))
    spread = f"{min(times):.1f}-{max(times):.1f}" if len(times) > 1 else "-"
    return (f"{name:<22} {statistics.median(times):>8.1f} {spread:>11} {last['aws_cli_calls']:>9} "
            f"{server.get('total', '?'):>12} {server.get('changing', '?'):>9}  {actions}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="repeats of the redeploys (median reported)")
    parser.add_argument("--real-image", action="store_true", help="push build/container.json's image")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="thoth-bench-deploy-") as tmp:
        work, home = Path(tmp), Path(tmp) / "home"
        try:
            if all(p.is_file() for p in [*LAYERS, FUNCTION]):
                layers, function, kind = [str(p) for p in LAYERS], FUNCTION, "packaged layers + function"
            else:
                layers = [str(small_layer(work))]
                function = function_zip(work, "base")
                kind = "small layer (lambda-layers/ not built) + function zip"
            container = CONTAINER_RECORD
            if args.real_image and container.is_file():
                kind += ", real refresh image"
            else:
                container = work / "container.json"
                tool(home, "tools.build.scratch_image", str(container), f"bench {time.time()}")
                kind += ", buildah scratch image"
            print(f"deploy benchmark on the embedded AWS ({kind}); {args.runs} redeploy runs")
            tool(home, "tools.deploy", "local-aws", "start")
            infra_s, _ = tool(home, "tools.deploy", "infra", "local", "apply")
            base = ["tools.deploy", "deploy", "local", "--json", "--no-build", "--layer", ",".join(layers),
                    "--container", str(container)]  # fmt: skip
            results: dict[str, tuple[list[float], list[dict[str, Any]]]] = {}

            def measure(name: str, zip_path: Path) -> None:
                elapsed, out = tool(home, *base, "--function", str(zip_path))
                times, summaries = results.setdefault(name, ([], []))
                times.append(elapsed)
                summaries.append(json.loads(out.strip().splitlines()[-1]))

            measure("first deploy", function)
            current = function
            for run in range(args.runs):
                measure("no-op redeploy", current)
                current = function_zip(work, f"run{run}")  # built outside the timing
                measure("code-only redeploy", current)
        finally:
            tool(home, "tools.deploy", "local-aws", "stop")
    print(f"infra local apply (Terraform, all modules): {infra_s:.1f} s")
    header = f"{'':<22} {'median s':>8} {'range s':>11} {'CLI calls':>9} {'server calls':>12} {'changing':>9}"
    print(header + "  actions")
    for name, (times, summaries) in results.items():
        print(row(name, times, summaries))
    first = statistics.median(results["first deploy"][0])
    noop = statistics.median(results["no-op redeploy"][0])
    code = statistics.median(results["code-only redeploy"][0])
    print(f"no-op redeploy is {first / noop:.1f}x faster than a first deploy; code-only {first / code:.1f}x")


if __name__ == "__main__":
    main()
