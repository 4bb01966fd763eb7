"""The MCP server's cold start per Lambda runtime: each runtime's own artifacts on its own interpreter.

For every row of tools/runtimes.py: the function zip, dependency layer and encoder layer built for it,
unzipped like Lambda (/var/task, /opt, the runtime's boto3), run in fresh processes of that runtime's
Python with nothing else on the path, each answering /health and then one search from an empty cache
(the index on the embedded S3). Runtimes alternate run by run, so load on the machine hits all alike.
Part of `nox -s bench -- mcp` (or `-- mcp --only=runtimes`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools import embedded_aws, runtimes
from tools.build import manifest, wheels
from tools.build.encoder import build_encoder_layer
from tools.build.functions import FUNCTION_NAME, build_function
from tools.build.layer import LayerOptions, build_layer
from tools.build.lockfile import canonical
from tools.build.targets import Target, interpreter_version
from tools.paths import BUILD

WORK = BUILD / "bench-mcp" / "runtimes"
BUCKET = "bench-runtimes"
# A SnapStart restore, simulated: the init and the before-snapshot hook ran before the snapshot, so the
# clock starts after them (Lambda's own restore latency is not measurable here and is not included).
RESTORED = r"""
import json, sys, time
from thoth.mcp_server import snapstart
from thoth.mcp_server.lambda_handler import handler
snapstart.before_snapshot()
snapstart.after_restore()
t0 = time.perf_counter()
health = handler(json.loads(sys.argv[1]), None)
t_health = time.perf_counter() - t0
search = handler(json.loads(sys.argv[2]), None)
t_search = time.perf_counter() - t0
ok = health["statusCode"] == 200 and search["statusCode"] == 200
ok = ok and not json.loads(search["body"])["result"].get("isError")
rss = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
detail = search["body"][:400]
print(json.dumps({"health": t_health, "search": t_search, "ok": ok, "rss": rss, "detail": detail}))
"""


def stage(row: runtimes.Runtime, log: Callable[[str], None]) -> Path:
    """Build (cached) and unzip `row`'s artifacts into WORK/<runtime>/root/{task,opt,runtime}."""
    out = WORK / row.identifier
    quiet: Callable[[str], None] = lambda _: None  # noqa: E731
    function = build_function(out / "functions", runtime=row.identifier, log=quiet)
    encoder = build_encoder_layer(out_dir=out / "layers", log=quiet)
    options = LayerOptions(out_dir=out / "layers", target=Target(row.identifier))
    layer = build_layer(options, log=quiet)
    stamp = " ".join(meta["sha256"] for meta in (function, encoder, layer))
    root = out / "root"
    if (root / "stamp").is_file() and (root / "stamp").read_text() == stamp:
        return root
    shutil.rmtree(root, ignore_errors=True)
    for name in ("task", "opt", "runtime"):
        (root / name).mkdir(parents=True)
    with zipfile.ZipFile(out / "functions" / f"{FUNCTION_NAME}.zip") as archive:
        archive.extractall(root / "task")
    for layer_zip in (options.zip_path, out / "layers" / "thoth-encoder-layer.zip"):
        with zipfile.ZipFile(layer_zip) as archive:
            archive.extractall(root / "opt")
    meta = manifest.read(options.zip_path) or {}
    provided = {canonical(e["name"]) for e in meta.get("excluded", []) if "Lambda runtime" in e["reason"]}
    for wheel in sorted(options.wheel_dir.glob("*.whl")):
        if canonical(wheel.name.split("-")[0]) in provided:
            wheels.unpack(wheel, root / "runtime")
    (root / "stamp").write_text(stamp)
    pins = [
        f"{d['name']} {d['version']}" for d in layer["distributions"] if d["name"] in ("numpy", "onnxruntime")
    ]
    log(f"  {row.identifier}: layer {layer['unzipped_bytes'] / 1e6:.1f} MB unzipped ({', '.join(pins)})")
    return root


def cold_child(interpreter: Path, root: Path, env: dict[str, str], code: str, *args: str) -> dict[str, Any]:
    """One fresh process of `interpreter` with only the artifacts on its path, as on Lambda."""
    paths = (root / "task", root / "opt" / "python", root / "runtime")
    env = dict(
        env,
        PYTHONPATH=os.pathsep.join(map(str, paths)),
        THOTH_ENCODER_DIR=str(root / "opt" / "thoth-encoder"),
    )
    # -S: not this machine's site-packages; the cwd is the function directory, as on Lambda.
    done = subprocess.run(
        [str(interpreter), "-S", "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=root / "task",
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child ({interpreter}) failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise SystemExit(f"cold-start request failed under {interpreter}: {result}")
    return result


def compare(
    home: Path,
    chunks: int,
    url: str,
    base_env: dict[str, str],
    events: tuple[str, str],
    cold_code: str,
    runs: int,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, float]]:
    """Print cold /health and first search (empty cache) per runtime, side by side; returns the medians."""
    staged: dict[str, tuple[Path, Path]] = {}
    for row in runtimes.RUNTIMES.values():
        interpreter = runtimes.interpreter(row)
        if interpreter is None:
            log(f"  {row.identifier}: skipped, {runtimes.missing_interpreter(row)}")
            continue
        staged[row.identifier] = (interpreter, stage(row, log))
    embedded_aws.publish(home, url, BUCKET)
    env = {k: v for k, v in base_env.items() if k != "PYTHONPATH"}
    env.update(embedded_aws.aws_env(url, BUCKET))
    # name -> (runtime, child code): every runtime cold, and SnapStart's restore where the runtime has it.
    variants = {name: (name, cold_code) for name in staged}
    variants.update(
        {f"{name} SnapStart": (name, RESTORED) for name in staged if runtimes.get(name).snap_start}
    )
    figures: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, (runtime, code) in variants.items():
            interpreter, root = staged[runtime]
            cache = Path(tempfile.mkdtemp(prefix="thoth-bench-cache-"))
            try:
                figures[name].append(
                    cold_child(interpreter, root, dict(env, THOTH_CACHE_DIR=str(cache)), code, *events)
                )
            finally:
                shutil.rmtree(cache, ignore_errors=True)
    medians: dict[str, dict[str, float]] = {}
    columns = ("cold /health", "first search", "search call", "peak RSS")
    log(f"  {'runtime':<21} {'Python':<8} " + " ".join(f"{c:>13}" for c in columns))
    for name, results in figures.items():
        health = statistics.median(r["health"] for r in results)
        search = statistics.median(r["search"] for r in results)
        call = statistics.median(r["search"] - r["health"] for r in results)
        rss = max(r["rss"] for r in results) / 2**20
        medians[name] = {"health": health, "search": search}
        python = interpreter_version(staged[variants[name][0]][0])
        log(
            f"  {name:<21} {python:<8} {health * 1000:>10.1f} ms {search * 1000:>10.1f} ms "
            f"{call * 1000:>10.1f} ms {rss:>9.0f} MiB"
        )
    log(
        f"  (median of {runs} fresh processes each, alternating; {chunks}-chunk index on the embedded S3, "
        "empty cache; times from process start, interpreter start-up excluded; SnapStart: from the "
        "restore, Lambda's restore latency not included)"
    )
    if runtimes.DEFAULT in medians and len(medians) > 1:
        base = medians[runtimes.DEFAULT]
        for name, other in medians.items():
            if name != runtimes.DEFAULT and name in runtimes.RUNTIMES:
                log(
                    f"  {runtimes.DEFAULT} / {name}: /health {base['health'] / other['health']:.2f}x, "
                    f"first search {base['search'] / other['search']:.2f}x (below 1 is faster)"
                )
    return medians
