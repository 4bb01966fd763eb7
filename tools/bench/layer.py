"""Layer benchmark: size vs a naive `pip install -t` + `zip -r` and vs serverless-python-requirements'
slim+strip rules (same lock), the 150 MB / 50 MB targets, cold start of the MCP handler from the built
artifacts vs the naive layer, build time cold and warm, and the refresh image size.

Usage: python -m tools.bench.layer [--runs 5]   (from the repository root)
Figures are printed side by side; nothing is asserted. Work files live in build/bench-layer/.
Everything is built for the Lambda runtime of this interpreter's Python (the naive layer is installed
and run by it); `bench mcp` compares the runtimes with each other.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from tools import runtimes
from tools.build import import_smoke_child, manifest
from tools.paths import BUILD, CACHE, CONTAINER_RECORD, ENCODER, REQUIREMENTS, ROOT

WORK = BUILD / "bench-layer"
RUNTIME = runtimes.for_python("{}.{}".format(*sys.version_info[:2]))
LOCK = REQUIREMENTS / f"{RUNTIME.lock}.txt"
MB = 1_000_000
# serverless-python-requirements: slim's default patterns, its default noDeploy list, and `strip` on *.so.
SLIM_PATTERNS = ("*.py[co]", "__pycache__", "*.dist-info")
NO_DEPLOY = (
    "boto3",
    "botocore",
    "docutils",
    "jmespath",
    "pip",
    "python-dateutil",
    "s3transfer",
    "setuptools",
    "six",
)

CHILD = r"""
import json, time
from thoth.mcp_server.lambda_handler import handler
event = {"version": "2.0", "rawPath": "/health", "rawQueryString": "", "headers": {"host": "localhost"},
         "requestContext": {"http": {"method": "GET", "path": "/health", "sourceIp": "127.0.0.1"}},
         "isBase64Encoded": False}
assert handler(event, None)["statusCode"] == 200
t_health = time.time()
from thoth.mcp_server.lambda_handler import call_tool
out = call_tool("search_handbook", {"query": "how do I ask for vacation"})
assert not out.is_error, out.text
print(json.dumps({"health": t_health, "search": time.time()}))
"""


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def naive_layer(work: Path) -> Path:
    """The original script's method: pip install -t python/ from the lock, then zip -r."""
    site = work / "naive" / "python"
    out = work / "naive.zip"
    if out.exists():
        return out
    shutil.rmtree(work / "naive", ignore_errors=True)
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "--no-deps",
            "-t",
            str(site),
            "-r",
            str(LOCK),
        ]
    )
    run(["zip", "-q", "-r", str(out), "python"], cwd=work / "naive")
    return out


def slim_layer(work: Path) -> Path:
    """serverless-python-requirements with slim: true + strip, on the same installed tree."""
    out = work / "slim.zip"
    if out.exists():
        return out
    source = work / "naive" / "python"
    site = work / "slim" / "python"
    shutil.rmtree(work / "slim", ignore_errors=True)
    shutil.copytree(source, site, symlinks=True)
    for entry in list(site.iterdir()):
        base = entry.name.split("-")[0].lower().replace("_", "-")
        if base in NO_DEPLOY or entry.name.lower().replace("_", "-").split(".")[0] in NO_DEPLOY:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for path in sorted(site.rglob("*"), reverse=True):
        if path.exists() and any(fnmatch.fnmatch(path.name, pattern) for pattern in SLIM_PATTERNS):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in site.rglob("*.so"):
        subprocess.run(["strip", str(path)], capture_output=True)
    run(["zip", "-q", "-r", str(out), "python"], cwd=work / "slim")
    return out


def build_ours(out: Path) -> tuple[float, float]:
    """Cold (fresh output dir; locally cached wheels and encoder) and warm build seconds."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "tools.build.cli",
        "layer",
        "--out",
        str(out / "layers"),
        "--functions",
        str(out / "functions"),
        "--runtime",
        RUNTIME.identifier,
    ]
    started = time.monotonic()
    run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    cold = time.monotonic() - started
    started = time.monotonic()
    run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return cold, time.monotonic() - started


def extract(zips: list[Path], dest: Path) -> None:
    if dest.exists():
        subprocess.run(["chmod", "-R", "u+w", str(dest)], check=True)
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(dest)
    subprocess.run(["chmod", "-R", "a-w", str(dest)], check=True)


def make_index(home: Path) -> None:
    """The smoke test's three-chunk live index, embedded with the real query encoder, in THOTH_HOME=home."""
    os.environ["THOTH_HOME"] = str(home)
    os.environ["THOTH_ENCODER_DIR"] = str(ENCODER)
    from thoth.shared.config import get_settings

    get_settings.cache_clear()
    if not import_smoke_child.publish_sample_index("bench"):
        raise SystemExit(f"could not publish the benchmark index in {home}")


def cold_start(
    variants: dict[str, tuple[list[Path], Path]], home: Path, runs: int
) -> dict[str, tuple[float, float]]:
    """Per variant (sys.path entries, encoder dir): median seconds from process start to /health answered
    and to the first search answered. Variants alternate run by run so load drifts hit them alike."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in variants}
    for _ in range(runs):
        for name, (paths, encoder_dir) in variants.items():
            env = {
                "PATH": os.environ["PATH"],
                "HOME": str(home),
                "THOTH_HOME": str(home),
                "THOTH_ENCODER_DIR": str(encoder_dir),
                "PYTHONPATH": os.pathsep.join(str(p) for p in paths),
                "HF_HUB_OFFLINE": "1",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
            started = time.time()
            # -S: no site-packages (only the artifacts are importable), -B: no bytecode writes.
            proc = run([sys.executable, "-S", "-B", "-c", CHILD], env=env, cwd=home)
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            times[name][0].append(result["health"] - started)
            times[name][1].append(result["search"] - started)
    return {name: (statistics.median(h), statistics.median(s)) for name, (h, s) in times.items()}


def runtime_dir(work: Path) -> Path:
    """boto3 & co. as the Lambda runtime provides them (from the locked wheels)."""
    target = work / "runtime"
    if not target.exists():
        wheels = sorted((CACHE / "wheels" / RUNTIME.identifier / "x86_64").glob("*.whl"))
        keep = ("boto3-", "botocore-", "s3transfer-", "jmespath-", "python_dateutil-", "six-", "urllib3-")
        for wheel in wheels:
            if wheel.name.startswith(keep):
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(target)
        # The real /var/runtime ships bytecode; without it botocore would compile on every cold start.
        run([sys.executable, "-m", "compileall", "-q", "-j0", str(target)])
    return target


def image_size() -> str:
    record = CONTAINER_RECORD
    if not record.exists() or shutil.which("buildah") is None:
        return "not built (nox -s build_container)"
    reference = json.loads(record.read_text())["reference"]
    proc = subprocess.run(
        ["buildah", "--storage-driver", "vfs", "images", "--format", "{{.Size}}", reference],
        capture_output=True,
        text=True,
    )
    return f"{reference}: {proc.stdout.strip() or 'missing'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    cold_build, warm_build = build_ours(WORK / "ours")
    ours = WORK / "ours" / "layers" / "thoth-mcp-layer.zip"
    encoder_zip = WORK / "ours" / "layers" / "thoth-encoder-layer.zip"
    function_zip = WORK / "ours" / "functions" / "thoth-mcp-server.zip"
    naive = naive_layer(WORK)
    slim = slim_layer(WORK)

    sizes = {
        name: (path.stat().st_size, manifest.unzipped_bytes(path))
        for name, path in {
            "naive pip -t + zip -r": naive,
            "serverless slim+strip": slim,
            "thoth build_layer": ours,
        }.items()
    }
    naive_unzipped = sizes["naive pip -t + zip -r"][1]
    print(f"\n== dependency layer for {RUNTIME.identifier} (same lock: {LOCK.relative_to(ROOT)})")
    print(f"{'variant':28} {'zip MB':>8} {'unzipped MB':>12} {'vs naive':>9} {'direct upload (<=50 MB)':>24}")
    for name, (zipped, size) in sizes.items():
        fits = "yes" if zipped <= 50 * 1024 * 1024 else "no (via S3)"
        print(f"{name:28} {zipped / MB:8.1f} {size / MB:12.1f} {size / naive_unzipped:8.2f}x {fits:>24}")
    total = (
        manifest.unzipped_bytes(ours)
        + manifest.unzipped_bytes(encoder_zip)
        + manifest.unzipped_bytes(function_zip)
    )
    print(
        f"encoder layer: {encoder_zip.stat().st_size / MB:.1f} MB zip, "
        f"{manifest.unzipped_bytes(encoder_zip) / MB:.1f} MB unzipped; "
        f"function zip: {manifest.unzipped_bytes(function_zip) / MB:.2f} MB unzipped"
    )
    print(f"function + layers unzipped: {total / MB:.1f} MB (target <= 150 MB; Lambda limit 262.1 MB)")
    meta = manifest.read(ours)
    assert meta is not None, f"{ours} has no manifest"
    deps_zip, enc_zip = ours.stat().st_size, encoder_zip.stat().st_size
    print(
        f"encoder placement: own layer -> a lock bump uploads {deps_zip / MB:.1f} MB (direct),"
        f" one combined layer would upload {(deps_zip + enc_zip) / MB:.1f} MB (via S3);"
        " files land in /opt either way"
    )
    print(
        f".py sources kept beside the bytecode: {meta['sources']['bytes'] / MB:.1f} MB of "
        f"{meta['unzipped_bytes'] / MB:.1f} MB unzipped (readable tracebacks)"
    )

    print(
        "\n== cold start of the MCP handler (fresh process, read-only dirs, no bytecode writes), "
        f"median of {args.runs}"
    )
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    make_index(home)
    task = WORK / "cold" / "task"
    extract([function_zip], task)
    ours_opt = WORK / "cold" / "opt-ours"
    extract([ours, encoder_zip], ours_opt)
    naive_opt = WORK / "cold" / "opt-naive"
    extract([naive, encoder_zip], naive_opt)
    runtime = runtime_dir(WORK)
    results = cold_start(
        {
            "thoth build_layer": ([task, ours_opt / "python", runtime], ours_opt / "thoth-encoder"),
            "naive layer": ([task, naive_opt / "python"], naive_opt / "thoth-encoder"),
        },
        home,
        args.runs,
    )
    print(f"{'variant':20} {'/health s':>10} {'first search s':>15}")
    for name, (health, search) in results.items():
        print(f"{name:20} {health:10.3f} {search:15.3f}")
    (oh, os_), (nh, ns) = results["thoth build_layer"], results["naive layer"]
    print(f"reduction vs naive: /health {1 - oh / nh:+.0%}, first search {1 - os_ / ns:+.0%} (target >= 30%)")

    print("\n== build time (fresh output dir; wheels and encoder cached locally)")
    print(f"cold {cold_build:.1f}s, warm (unchanged inputs) {warm_build:.2f}s (target <= 2 s)")
    print(f"\n== refresh image\n{image_size()}")


if __name__ == "__main__":
    main()
