"""Build the refresh-service image hermetically with buildah, podman or docker; tag it by content."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import runtimes
from tools.build import artifact
from tools.build.errors import PackagingError
from tools.build.functions import code_inputs, stage_code
from tools.build.lockfile import read_lock
from tools.paths import BUILD, CACHE, CONTAINER_RECORD, REQUIREMENTS, ROOT

IMAGE_NAME = "localhost/thoth-refresh"
# Debian python:3.11, not the Lambda base (glibc 2.26 < torch 2.13's 2.28): see the Dockerfile.
DEFAULT_BASE = "public.ecr.aws/docker/library/python:3.11-slim-bookworm"
DOCKERFILE = ROOT / "packages" / "refresh_service" / "Dockerfile"
LOCK = REQUIREMENTS / "refresh.txt"
PACKAGES = (ROOT / "packages" / "shared", ROOT / "packages" / "refresh_service")
RECORD = CONTAINER_RECORD
# The base image's Python: the task code's bytecode is compiled by the same version. Not a Lambda runtime
# (tools/runtimes.py): the image brings its own interpreter through awslambdaric.
IMAGE_PYTHON = "3.11"


def image_python() -> Path:
    """This machine's Python IMAGE_PYTHON, which compiles the image's bytecode."""
    found = runtimes.find_python(IMAGE_PYTHON)
    if found is None:
        raise PackagingError(
            f"the refresh image's bytecode needs Python {IMAGE_PYTHON} and this machine has none",
            f"install it (`pyenv install {IMAGE_PYTHON}`) or put python{IMAGE_PYTHON} on PATH",
        )
    return found


@dataclass(frozen=True)
class Tool:
    """One container CLI with the flags this machine needs (buildah: vfs storage, chroot isolation)."""

    name: str

    @property
    def base(self) -> list[str]:
        return ["buildah", "--storage-driver", "vfs"] if self.name == "buildah" else [self.name]

    def run(self, args: list[str], check: bool = True) -> str:
        proc = subprocess.run([*self.base, *args], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise PackagingError(
                f"`{self.name} {' '.join(args[:3])} …` failed: {(proc.stderr or proc.stdout).strip()[-800:]}",
                f"fix the {self.name} error above and rerun",
            )
        return proc.stdout

    def image_exists(self, reference: str) -> bool:
        args = (
            ["inspect", "--type", "image", reference]
            if self.name == "buildah"
            else ["image", "inspect", reference]
        )
        return subprocess.run([*self.base, *args], capture_output=True).returncode == 0

    def build_args(self, dockerfile: Path, context: Path, tag: str, base_image: str) -> list[str]:
        args = ["build", "-f", str(dockerfile), "--build-arg", f"BASE_IMAGE={base_image}", "-t", tag]
        if self.name == "buildah":
            # chroot isolation cannot take --network none: build_image runs buildah in an empty netns instead.
            args += ["--isolation", "chroot", "--pull=false"]
        elif self.name == "podman":
            args += ["--network", "none", "--pull=never"]
        else:
            args += ["--network", "none"]
        return [*args, str(context)]

    def pull(self, reference: str) -> str | None:
        """Pull `reference` into local storage; None when it worked, else the tool's last words."""
        args = ["pull", reference] if self.name != "docker" else ["pull", "--quiet", reference]
        proc = subprocess.run([*self.base, *args], capture_output=True, text=True)
        if proc.returncode == 0:
            return None
        return (proc.stderr or proc.stdout).strip()[-300:] or f"{self.name} pull exited {proc.returncode}"

    def image_id(self, reference: str) -> str:
        """The immutable ID (sha256:…) of a local image: what a tag points at right now."""
        if self.name == "buildah":
            out = self.run(["inspect", "--type", "image", "--format", "{{.FromImageID}}", reference])
        else:
            out = self.run(["image", "inspect", "--format", "{{.Id}}", reference])
        image_id = out.strip()
        if not image_id:
            raise PackagingError(f"{self.name} reports no image ID for {reference}", "rebuild or re-pull it")
        return image_id if image_id.startswith("sha256:") else f"sha256:{image_id}"

    def prune(self, name: str, keep: str) -> list[str]:
        """Remove every other tag of `name` (vfs keeps full copies: old images fill the disk fast)."""
        out = self.run(["images", "--format", "{{.Name}}:{{.Tag}}"], check=False)
        stale = [ref for ref in out.split() if ref.rsplit(":", 1)[0] == name and ref != keep]
        for ref in stale:
            self.run(["rmi", ref], check=False)
        return stale

    def image_size(self, reference: str) -> int:
        if self.name == "docker":
            out = self.run(["image", "inspect", "--format", "{{.Size}}", reference])
            return int(out.strip() or 0)
        out = self.run(["images", "--format", "{{.Size}}", reference])
        return _parse_size(out.strip().splitlines()[0] if out.strip() else "0 B")


def detect_tool(preferred: str | None = None) -> Tool:
    """The first usable of buildah, podman, docker (docker only with a reachable daemon)."""
    candidates = [preferred] if preferred else ["buildah", "podman", "docker"]
    for name in candidates:
        if name not in ("buildah", "podman", "docker"):
            raise PackagingError(f"container tool {name!r} is unknown", "choose buildah, podman or docker")
        if shutil.which(name) is None:
            continue
        probe = ["docker", "info"] if name == "docker" else [name, "--version"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return Tool(name)
    raise PackagingError(
        "no usable container tool (buildah, podman, or docker with a running daemon) is installed",
        "apt-get install -y buildah (listed in .ci/install-system-packages)",
    )


def offline_prefix(tool: Tool) -> list[str]:
    """A prefix that runs the build in a network namespace with only loopback (buildah as root)."""
    if tool.name == "buildah" and os.geteuid() == 0 and shutil.which("unshare"):
        return ["unshare", "--net"]
    return []


def pull_base(tool: Tool, base_image: str, log: Callable[[str], None]) -> str | None:
    """Make the base local (pulled now when it is not); None when it is, else why it cannot be pulled."""
    if tool.image_exists(base_image):
        return None
    log(f"pulling the base image {base_image}")
    return tool.pull(base_image)


# Without a registry, a real environment's image has no base: the stand-in is for rehearsals and tests.
NO_BASE_FIX = (
    "pull it where a registry is reachable or pass --base-image <a local image>; --standin builds on "
    "the local stand-in base, for `nox -s test_container` and the `local` rehearsal only "
    "(`nox -s deploy -- local` falls back to it by itself)"
)


def _ensure_base_image(tool: Tool, base_image: str, log: Callable[[str], None]) -> None:
    """The build itself is offline, so the base must be local first (pulled now if it can be)."""
    reason = pull_base(tool, base_image, log)
    if reason is not None:
        raise PackagingError(
            f"the base image {base_image} is not available locally and cannot be pulled ({reason})",
            NO_BASE_FIX,
        )


def wheelhouse(lock: Path = LOCK, dest: Path = CACHE / "wheelhouse" / "refresh") -> list[Path]:
    """Every wheel of the lock, hash-checked by pip, for this (linux x86_64) machine; cached."""
    pins = read_lock(lock)
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
    cmd += ["--only-binary=:all:", "--progress-bar", "off", "-r", str(lock), "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PackagingError(
            "downloading the refresh wheelhouse failed: " + (proc.stdout + proc.stderr).strip()[-800:],
            f"fix {lock.name} (`nox -s lock`) or the package index settings",
        )
    wanted = {name.replace("-", "_") for name in pins}
    return sorted(p for p in dest.glob("*.whl") if p.name.split("-")[0].lower() in wanted)


def content_tag(dockerfile: Path, lock: Path, base_image_id: str) -> str:
    """Same Dockerfile, lock, code and base image ID -> same tag, so deploy can skip an unchanged push.

    The base enters by its image ID, never its name: a tag such as python:3.11-slim-bookworm moves
    when the publisher rebuilds it, and the same name must then give another tag (and a rebuild).
    """
    if not base_image_id.startswith("sha256:"):
        raise PackagingError(f"{base_image_id!r} is not an image ID", "pass Tool.image_id(<base image>)")
    inputs = [dockerfile, lock, *code_inputs(PACKAGES)]
    return artifact.digest_paths(inputs, ROOT, {"base_image_id": base_image_id})[:16]


def build_image(
    base_image: str = DEFAULT_BASE,
    tool: Tool | None = None,
    dockerfile: Path = DOCKERFILE,
    lock: Path = LOCK,
    record: Path | None = RECORD,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build (or reuse) the image; returns and records {image, tag, reference, ...}."""
    started = time.monotonic()
    tool = tool or detect_tool()
    if not dockerfile.is_file():
        raise PackagingError(f"{dockerfile} does not exist", "restore packages/refresh_service/Dockerfile")
    _ensure_base_image(tool, base_image, log)
    # Build FROM the resolved ID, so the image is built on exactly the base its tag was computed from.
    base_id = tool.image_id(base_image)
    tag = content_tag(dockerfile, lock, base_id)
    reference = f"{IMAGE_NAME}:{tag}"
    result: dict[str, Any] = {
        "image": IMAGE_NAME,
        "tag": tag,
        "reference": reference,
        "tool": tool.name,
        "base_image": base_image,
        "base_image_id": base_id,
    }
    if tool.image_exists(reference):
        log(f"{reference} already built from these inputs; nothing rebuilt")
    else:
        wheels = wheelhouse(lock)
        BUILD.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="container-", dir=BUILD) as tmp:
            context = Path(tmp)
            (context / "wheelhouse").mkdir()
            for wheel in wheels:
                os.link(wheel, context / "wheelhouse" / wheel.name)
            shutil.copyfile(lock, context / "requirements.txt")
            stage_code(PACKAGES, context / "task", image_python())
            log(f"building {reference} with {tool.name} from {len(wheels)} wheels (no network)")
            proc = subprocess.run(
                [
                    *offline_prefix(tool),
                    *tool.base,
                    *tool.build_args(dockerfile, context, reference, base_id),
                ],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise PackagingError(
                    f"the image build failed: {(proc.stdout + proc.stderr).strip()[-1500:]}",
                    "fix the Dockerfile step named above; no image was tagged",
                )
        log(f"built {reference} in {time.monotonic() - started:.0f}s")
        if tool.name == "buildah":
            pruned = tool.prune(IMAGE_NAME, reference)
            if pruned:
                log(f"removed {len(pruned)} older {IMAGE_NAME} image(s)")
    result["size_bytes"] = tool.image_size(reference)
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        tmp_record = record.with_name(record.name + ".tmp")
        tmp_record.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        os.replace(tmp_record, record)
    return result


def _parse_size(text: str) -> int:
    """'1.23 GB' -> bytes (buildah/podman print decimal units)."""
    units = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "kB": 10**3}
    number, _, unit = text.strip().partition(" ")
    try:
        return int(float(number) * units.get(unit.strip(), 1))
    except ValueError:
        return 0
