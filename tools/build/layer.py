"""Build the MCP server's dependency layer (and the encoder layer) from the lock, reproducibly."""

from __future__ import annotations

import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.build import artifact, gates, import_smoke, manifest, trim, wheels
from tools.build.errors import PackagingError
from tools.build.lockfile import Pin, canonical, closure_excluded, read_lock, write_subset
from tools.build.targets import Target, interpreter_version
from tools.paths import CACHE, LAYERS, REQUIREMENTS, ROOT

LAYER_NAME = "thoth-mcp-layer"
RUNTIMES_MODULE = ROOT / "tools" / "runtimes.py"
# On Lambda's Python runtimes boto3 and botocore (and what only they need) are already on sys.path.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
# Pulled in by the lock but never imported by the server: onnxruntime's converter/transformer tooling
# (sympy, coloredlogs, flatbuffers, protobuf, packaging) and tokenizers' hub download client
# (huggingface-hub, which the server never calls: it loads tokenizer.json from the layer).
NEVER_IMPORTED = {
    "sympy": "onnxruntime.tools/transformers only",
    "coloredlogs": "onnxruntime.tools/transformers only",
    "flatbuffers": "onnxruntime.tools (ORT format conversion) only",
    "protobuf": "onnxruntime.tools/quantization only",
    "packaging": "onnxruntime.tools/transformers only",
    "huggingface-hub": "tokenizers.Tokenizer.from_pretrained only; the server uses Tokenizer.from_file",
}


@dataclass
class LayerOptions:
    lock_override: Path | None = None  # default: the target runtime's lock
    out_dir: Path = LAYERS
    target: Target = field(default_factory=Target)
    bundle_boto3: bool = False
    keep_unused: bool = False
    budget: int = gates.UNZIPPED_BUDGET
    # The smoke test also needs the function code and the encoder layer (None: no smoke test).
    smoke_with: tuple[Path, ...] | None = None
    pip_args: tuple[str, ...] = ()
    wheel_cache: Path = CACHE / "wheels"

    @property
    def lock(self) -> Path:
        return self.lock_override or REQUIREMENTS / f"{self.target.row.lock}.txt"

    @property
    def wheel_dir(self) -> Path:
        """Downloaded wheels, one directory per runtime and arch (runtimes pin different releases)."""
        return self.wheel_cache / self.target.runtime / self.target.arch

    @property
    def zip_path(self) -> Path:
        suffix = "" if self.target.arch == "x86_64" else f"-{self.target.arch}"
        return self.out_dir / f"{LAYER_NAME}{suffix}.zip"

    def key_data(self, compiler: str) -> dict[str, Any]:
        return {
            "runtime": self.target.runtime,
            "arch": self.target.arch,
            "python": self.target.python,
            "glibc": list(self.target.glibc),
            "bundle_boto3": self.bundle_boto3,
            "keep_unused": self.keep_unused,
            "compiler": compiler,  # the runtime's Python here, which compiles the bytecode and smoke-tests
            "smoke": self.smoke_with is not None,
        }


def excluded_pins(pins: dict[str, Pin], options: LayerOptions) -> dict[str, str]:
    """Canonical name -> why it is left out of the layer."""
    reasons: dict[str, str] = {}
    if not options.bundle_boto3:
        for key in closure_excluded(pins, set(RUNTIME_PROVIDED)):
            reasons[key] = "provided by the Lambda runtime (pass --bundle-boto3 to ship it)"
    if not options.keep_unused:
        already = set(reasons)
        seeds = {canonical(n) for n in NEVER_IMPORTED} | already
        for key in sorted(closure_excluded(pins, seeds) - already):
            why = NEVER_IMPORTED.get(key, "needed only by distributions left out")
            reasons[key] = f"never imported by the server: {why} (pass --keep-unused to ship it)"
    return reasons


def _assemble(
    pins: dict[str, Pin], found: dict[str, Path], excluded: dict[str, str], site: Path
) -> dict[str, str]:
    """Unpack the kept wheels; returns top-level entry -> distribution."""
    owner: dict[str, str] = {}
    for key in sorted(set(pins) - set(excluded)):
        for rel in wheels.unpack(found[key], site):
            owner.setdefault(rel.split("/", 1)[0], key)
    return owner


def _per_distribution(site: Path, owner: dict[str, str], pins: dict[str, Pin]) -> list[dict[str, Any]]:
    sizes: dict[str, int] = {}
    for path in artifact.files_under(site):
        top = path.relative_to(site).parts[0]
        key = owner.get(top) or owner.get(top.removesuffix(".py"), "?")
        sizes[key] = sizes.get(key, 0) + path.stat().st_size
    unknown = sizes.pop("?", 0)
    if unknown:
        raise PackagingError(
            f"{unknown} bytes in the layer belong to no distribution", "report this build bug"
        )
    return [
        {"name": pins[key].name, "version": pins[key].version, "bytes": size}
        for key, size in sorted(sizes.items())
    ]


def _smoke(
    options: LayerOptions,
    layer_zip: Path,
    found: dict[str, Path],
    excluded: dict[str, str],
    meta: dict[str, Any],
    interpreter: Path,
    log: Any,
) -> dict[str, Any]:
    """Run the smoke test under the runtime's Python when this host can; what the manifest records."""
    if options.smoke_with is None:
        return {"tested": False, "reason": "--no-smoke"}
    if options.target.machine != platform.machine():
        reason = f"{options.target.machine} objects cannot load on this {platform.machine()} host"
        log(f"smoke test skipped: {reason}; this layer is NOT tested")
        return {"tested": False, "reason": reason}
    function_zip, *other_layers = options.smoke_with
    runtime = [found[k] for k, why in sorted(excluded.items()) if why.startswith("provided by the Lambda")]
    expected = [{"name": d["name"], "version": d["version"]} for d in meta["distributions"]]
    import_smoke.run_smoke([layer_zip, *other_layers], function_zip, runtime, expected, interpreter, log=log)
    return {"tested": True, "python": interpreter_version(interpreter)}


def build_layer(options: LayerOptions, log: Any = print) -> dict[str, Any]:
    """Build (or reuse) the layer zip + manifest; returns the manifest."""
    started = time.monotonic()
    pins = read_lock(options.lock)
    interpreter = options.target.interpreter()
    key = artifact.digest_paths(
        [
            options.lock,
            RUNTIMES_MODULE,
            *artifact.code_files(
                "layer", "lockfile", "targets", "trim", "wheels", "import_smoke", "import_smoke_child"
            ),
        ],
        ROOT,
        options.key_data(interpreter_version(interpreter)),
    )
    meta = manifest.reuse(options.zip_path, key, log)
    if meta is not None:
        return meta
    excluded = excluded_pins(pins, options)
    # Only what the layer ships, plus the runtime-provided pins the smoke test stands in for /var/runtime.
    never_used = {k for k, why in excluded.items() if not why.startswith("provided by the Lambda")}
    needed = {k: pins[k] for k in sorted(set(pins) - never_used)}
    log(f"downloading {len(needed)} locked wheels for {options.target.platform} {options.target.cp}")
    with tempfile.TemporaryDirectory() as tmp_lock:
        subset = write_subset(pins, set(needed), Path(tmp_lock) / options.lock.name)
        found = wheels.download(
            subset,
            needed,
            options.target,
            options.wheel_dir,
            pip_args=options.pip_args,
        )
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=options.out_dir) as tmp:
        site = Path(tmp) / "python"
        owner = _assemble(pins, found, excluded, site)
        unpacked = artifact.tree_bytes(site)
        report = trim.TrimReport()
        trim.trim(site, report)
        trim.strip_shared_objects(site, report)
        sources = sum(p.stat().st_size for p in site.rglob("*.py"))
        artifact.compile_tree(site, "/opt/python", interpreter)
        log(f"trimmed {report.files} files ({report.bytes:,} bytes), stripped {report.strip_saved:,} bytes")
        tmp_zip = Path(tmp) / options.zip_path.name
        artifact.zip_tree(site, tmp_zip, prefix="python/")
        meta = {
            "layer": LAYER_NAME,
            "cache_key": key,
            **manifest.measure(tmp_zip).as_json(),
            "unpacked_bytes_before_trim": unpacked,
            "runtime": options.target.runtime,
            "python": options.target.python,
            "platform": options.target.platform,
            "arch": options.target.arch,
            "lock": options.lock.relative_to(ROOT).as_posix()
            if options.lock.is_relative_to(ROOT)
            else str(options.lock),
            "distributions": _per_distribution(site, owner, pins),
            "excluded": [
                {"name": pins[k].name, "version": pins[k].version, "reason": why}
                for k, why in sorted(excluded.items())
            ],
            "trimmed": report.as_json(),
            "sources": {"kept": True, "bytes": sources},
            "upload": "s3" if tmp_zip.stat().st_size > gates.DIRECT_UPLOAD else "direct",
        }
        gates.check(
            [gates.Artifact(LAYER_NAME, "layer", meta["zip_bytes"], meta["unzipped_bytes"])],
            budget=options.budget,
        )
        meta["smoke"] = _smoke(options, tmp_zip, found, excluded, meta, interpreter, log)
        manifest.publish(tmp_zip, options.zip_path, meta)
    log(
        f"wrote {options.zip_path} for {options.target.runtime} {options.target.arch}: "
        f"{meta['zip_bytes']:,} bytes zipped, {meta['unzipped_bytes']:,} unzipped, "
        f"{len(meta['distributions'])} distributions, {len(excluded)} excluded,"
        f" in {time.monotonic() - started:.1f}s"
    )
    return meta
