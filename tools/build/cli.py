"""`python -m tools.build.cli layer|functions|container [options]` (the build_* nox sessions)."""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
from pathlib import Path
from typing import Any

from tools import runtimes
from tools.build import gates, manifest
from tools.build.base_image import choose_base, ensure_base
from tools.build.encoder import build_encoder_layer
from tools.build.errors import PackagingError
from tools.build.functions import FUNCTION_NAME, build_function
from tools.build.import_smoke import run_smoke
from tools.build.layer import LAYER_NAME, LayerOptions, build_layer
from tools.build.lockfile import canonical
from tools.build.refresh_image import DEFAULT_BASE, build_image, detect_tool
from tools.build.targets import Target
from tools.paths import CACHE, FUNCTIONS, LAYERS


def _int(text: str) -> int:
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a byte count (e.g. 262144000)") from None


def layer_command(args: argparse.Namespace) -> None:
    target = Target(runtime=args.runtime, arch=args.arch)
    encoder = build_encoder_layer(out_dir=args.out)
    function = build_function(out_dir=args.functions, runtime=target.runtime)
    encoder_zip = args.out / "thoth-encoder-layer.zip"
    options = LayerOptions(
        lock_override=args.lock,
        out_dir=args.out,
        target=target,
        bundle_boto3=args.bundle_boto3,
        keep_unused=args.keep_unused,
        budget=args.budget,
        smoke_with=None if args.no_smoke else (args.functions / f"{FUNCTION_NAME}.zip", encoder_zip),
    )
    before = options.zip_path.stat().st_mtime_ns if options.zip_path.exists() else None
    layer = build_layer(options)
    rebuilt = before != options.zip_path.stat().st_mtime_ns
    if options.smoke_with is not None and target.machine == platform.machine():
        _smoke_combination(options, layer, function, encoder, rebuilt)
    artifacts = [
        gates.Artifact(FUNCTION_NAME, "function", function["zip_bytes"], function["unzipped_bytes"]),
        gates.Artifact(LAYER_NAME, "layer", layer["zip_bytes"], layer["unzipped_bytes"]),
        gates.Artifact("thoth-encoder-layer", "layer", encoder["zip_bytes"], encoder["unzipped_bytes"]),
    ]
    via_s3 = gates.check(artifacts, budget=args.budget)
    total = sum(a.unzipped_bytes for a in artifacts)
    print(
        f"gates passed: function + {len(artifacts) - 1} layers unzip to {total:,} of {args.budget:,} bytes"
        + (f"; upload through S3: {', '.join(via_s3)}" if via_s3 else "; every zip fits a direct upload")
    )
    smoke = layer.get("smoke", {})
    tested = (
        f"smoke-tested under Python {smoke['python']}"
        if smoke.get("tested")
        else (f"NOT smoke-tested ({smoke.get('reason', 'unknown')})")
    )
    print(
        f"built for {target.runtime} ({target.row.os}, glibc {target.row.glibc_text}) {target.arch}: {tested}"
    )


def _smoke_combination(
    options: LayerOptions,
    layer: dict[str, Any],
    function: dict[str, Any],
    encoder: dict[str, Any],
    rebuilt: bool,
) -> None:
    """Re-run the smoke test when the function code or encoder changed under an unchanged layer."""
    combo = hashlib.sha256(f"{layer['sha256']} {function['sha256']} {encoder['sha256']}".encode()).hexdigest()
    marker = CACHE / "smoke-passed" / combo
    if not rebuilt and not marker.exists():
        assert options.smoke_with is not None
        function_zip, *other_layers = options.smoke_with
        expected = [{"name": d["name"], "version": d["version"]} for d in layer["distributions"]]
        runtime = sorted(options.wheel_dir.glob("*.whl"))
        provided = {e["name"] for e in layer["excluded"] if e["reason"].startswith("provided by the Lambda")}
        wheels_ = [w for w in runtime if canonical(w.name.split("-")[0]) in {canonical(n) for n in provided}]
        run_smoke(
            [options.zip_path, *other_layers], function_zip, wheels_, expected, options.target.interpreter()
        )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def functions_command(args: argparse.Namespace) -> None:
    function = build_function(out_dir=args.functions, runtime=Target(runtime=args.runtime).runtime)
    artifacts = [gates.Artifact(FUNCTION_NAME, "function", function["zip_bytes"], function["unzipped_bytes"])]
    for layer_zip in sorted(p for p in LAYERS.glob("*.zip") if not p.stem.endswith("-arm64")):
        meta = manifest.read(layer_zip)
        if meta is not None:
            artifacts.append(
                gates.Artifact(layer_zip.stem, "layer", meta["zip_bytes"], meta["unzipped_bytes"])
            )
    gates.check(artifacts)
    print(
        f"gates passed with {len(artifacts) - 1} built layer(s):"
        f" {sum(a.unzipped_bytes for a in artifacts):,} bytes unzipped"
    )


def container_command(args: argparse.Namespace) -> None:
    tool = detect_tool(args.tool)
    if args.standin:
        base = ensure_base(tool)
    else:
        base = choose_base(tool, args.base_image, fallback=args.standin_fallback)
    result = build_image(base_image=base, tool=tool)
    print(f"image {result['reference']} (recorded in build/container.json)")


_RUNTIME_HELP = (
    f"Lambda runtime, a row of tools/runtimes.py: {', '.join(runtimes.RUNTIMES)} (default {runtimes.DEFAULT})"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools.build.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    layer = sub.add_parser("layer", help="build the dependency + encoder layers (and the function zip)")
    layer.add_argument("--runtime", default=runtimes.DEFAULT, help=_RUNTIME_HELP)
    layer.add_argument("--arch", default=runtimes.DEFAULT_ARCH, help="x86_64 (default) or arm64")
    layer.add_argument(
        "--lock", type=Path, default=None, help="default: requirements/mcp-layer-<runtime>.txt"
    )
    layer.add_argument(
        "--bundle-boto3", action="store_true", help="ship boto3/botocore instead of the runtime's"
    )
    layer.add_argument(
        "--keep-unused", action="store_true", help="ship distributions the server never imports"
    )
    layer.add_argument(
        "--budget", type=_int, default=gates.UNZIPPED_BUDGET, help="unzipped bytes, function + layers"
    )
    layer.add_argument(
        "--no-smoke", action="store_true", help="skip the import smoke test (never for deploys)"
    )
    layer.add_argument("--out", type=Path, default=LAYERS)
    layer.add_argument("--functions", type=Path, default=FUNCTIONS)
    layer.set_defaults(run=layer_command)
    functions = sub.add_parser("functions", help="build the function zip")
    functions.add_argument("--functions", type=Path, default=FUNCTIONS)
    functions.add_argument("--runtime", default=runtimes.DEFAULT, help=_RUNTIME_HELP)
    functions.set_defaults(run=functions_command)
    container = sub.add_parser("container", help="build the refresh-service image")
    container.add_argument("--base-image", default=DEFAULT_BASE)
    container.add_argument("--standin", action="store_true", help="build on the local stand-in base image")
    container.add_argument(
        "--standin-fallback",
        action="store_true",
        help="build on the stand-in base when --base-image cannot be pulled (`deploy -- local` passes it)",
    )
    container.add_argument("--tool", choices=["buildah", "podman", "docker"], default=None)
    container.set_defaults(run=container_command)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
