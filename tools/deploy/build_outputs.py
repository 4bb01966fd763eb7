"""The build outputs a deploy ships: layer zips, the function zip, the refresh image; plus the size budget."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tools.aws.errors import DeployError
from tools.build import gates, manifest
from tools.paths import CONTAINER_RECORD, FUNCTIONS, LAYERS, ROOT

LAYERS_DIR = LAYERS
FUNCTIONS_DIR = FUNCTIONS
DEFAULT_LAYERS = (LAYERS_DIR / "thoth-mcp-layer.zip", LAYERS_DIR / "thoth-encoder-layer.zip")
DEFAULT_FUNCTION = FUNCTIONS_DIR / "thoth-mcp-server.zip"
DEFAULT_CONTAINER = CONTAINER_RECORD
# Lambda's limits, as the build gates them: function + layers unzipped, layers per function, direct upload.
UNZIPPED_BUDGET = gates.UNZIPPED_BUDGET
MAX_LAYERS = gates.MAX_LAYERS
DIRECT_UPLOAD_LIMIT = gates.DIRECT_UPLOAD


@dataclass(frozen=True)
class ZipArtifact(manifest.ZipFacts):
    """One zip with the digests Lambda reports back (CodeSha256 is base64 of the raw sha256)."""

    @property
    def code_sha256(self) -> str:
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()

    @property
    def via_s3(self) -> bool:
        return self.zip_bytes > DIRECT_UPLOAD_LIMIT


@dataclass(frozen=True)
class ContainerImage:
    """A locally built refresh image: what to push, its content tag and the base it was built on."""

    reference: str
    tag: str
    metadata: Path
    base_image: str = ""


def load_zip(path: Path) -> ZipArtifact:
    """Read a zip's sizes and sha256, always from its bytes; its manifest is only compared with them."""
    if not path.is_file():
        raise DeployError(
            f"{path} does not exist; build it (`nox -s build_layer` builds the layers and function)"
        )
    try:
        facts = manifest.measure(path)
    except zipfile.BadZipFile:
        raise DeployError(
            f"{path} is not a valid zip; delete it and rebuild (`nox -s build_layer`)"
        ) from None
    recorded = manifest.read(path)
    if recorded is not None and not manifest.describes(recorded, facts):
        print(
            f"note: {manifest.manifest_path(path).name} describes another build than {path.name}; "
            "deploying the zip as it is (rebuild with `nox -s build_layer` to refresh the manifest)"
        )
    return ZipArtifact(path, facts.sha256, facts.zip_bytes, facts.unzipped_bytes)


def load_container(path: Path) -> ContainerImage:
    """Read build/container.json (written by `nox -s build_container`)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DeployError(
            f"{path} does not exist; run `nox -s build_container` or pass --skip-image"
        ) from None
    except ValueError:
        raise DeployError(f"{path} is not JSON; rebuild it with `nox -s build_container`") from None
    reference = data.get("reference") or data.get("image")
    tag = data.get("tag")
    if not isinstance(reference, str) or not reference:
        raise DeployError(f"{path} names no image (`reference`); rebuild it with `nox -s build_container`")
    if not isinstance(tag, str) or not tag:
        tag = reference.rsplit(":", 1)[-1] if ":" in reference.rsplit("/", 1)[-1] else ""
    if not tag:
        raise DeployError(f"{path} has no content `tag`; rebuild it with `nox -s build_container`")
    return ContainerImage(reference, tag, path, str(data.get("base_image") or ""))


def check_budget(function: ZipArtifact, layers: list[ZipArtifact]) -> int:
    """Refuse artifacts Lambda would reject, before anything is published; returns the unzipped total."""
    if len(layers) > MAX_LAYERS:
        raise DeployError(f"{len(layers)} layers given; Lambda attaches at most {MAX_LAYERS}; merge layers")
    total = function.unzipped_bytes + sum(layer.unzipped_bytes for layer in layers)
    if total > UNZIPPED_BUDGET:
        parts = ", ".join(f"{a.name} {a.unzipped_bytes:,}" for a in [function, *layers])
        raise DeployError(
            f"function + layers unzip to {total:,} bytes, over Lambda's {UNZIPPED_BUDGET:,}-byte budget "
            f"({parts}); trim the layer (`nox -s build_layer` reports what it ships) and redeploy"
        )
    return total


def built_for(paths: list[Path]) -> tuple[str, str] | None:
    """(runtime, arch) the zips' manifests were built for; None when none says; DeployError on a mix."""
    found = set()
    for path in paths:
        meta = manifest.read(path) or {}
        if meta.get("runtime"):
            found.add((str(meta["runtime"]), str(meta.get("arch", "x86_64"))))
    if len(found) > 1:
        shown = ", ".join(f"{runtime} {arch}" for runtime, arch in sorted(found))
        raise DeployError(f"the artifacts were built for different runtimes ({shown}); rebuild them together")
    return found.pop() if found else None


def build_commands(nox: str, image: bool, runtime: str, arch: str, standin_fallback: bool) -> list[list[str]]:
    """The packaging sessions a deploy runs; the refresh image may fall back to the stand-in base only
    when `standin_fallback` is set (the `local` rehearsal: no registry to pull the real base from)."""
    commands = [[nox, "-s", "build_layer", "--", "--runtime", runtime, "--arch", arch]]
    if image:
        commands.append(
            [nox, "-s", "build_container", *(["--", "--standin-fallback"] if standin_fallback else [])]
        )
    return commands


def build(image: bool, runtime: str, arch: str, standin_fallback: bool = False) -> None:
    """Step 1: run the packaging sessions for the function's runtime; their caches make a no-op of it."""
    nox = Path(sys.executable).parent / "nox"
    candidates = [str(ROOT / ".venv" / "bin" / "nox"), str(nox), shutil.which("nox") or ""]
    exe = next((c for c in candidates if c and Path(c).exists()), None)
    if exe is None:
        raise DeployError("nox is not available to build the artifacts; run `make` once or pass --no-build")
    for command in build_commands(exe, image, runtime, arch, standin_fallback):
        print(f"build: nox {' '.join(command[1:])} (cached; unchanged inputs rebuild nothing)")
        proc = subprocess.run(command, cwd=ROOT, check=False)
        if proc.returncode != 0:
            raise DeployError(
                f"`nox {' '.join(command[1:])}` failed (see above); fix the build and redeploy"
                " (or deploy the built artifacts as they are with --no-build)"
            )
