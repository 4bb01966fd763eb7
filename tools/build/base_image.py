"""A local stand-in for the python:3.11-slim-bookworm base image: Debian bookworm minbase + python3.11.

Where no base image can be pulled, `nox -s test_container` builds on this one, and so does the `local`
rehearsal (`choose_base` with the fallback on); a real environment's image never does. The rootfs and
the image are cached (build/cache/standin/, and the image tag) between runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tools.build.errors import PackagingError
from tools.build.refresh_image import NO_BASE_FIX, Tool, pull_base
from tools.paths import CACHE

IMAGE_NAME = "localhost/thoth-lambda-standin"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3.11-minimal", "libpython3.11-stdlib", "python3-pip")
# What a rootfs needs to be a plausible Lambda base; apt caches and docs only cost copy time.
PRUNE = ("var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale")


def rootfs(cache: Path = CACHE / "standin", log: Callable[[str], None] = print) -> Path:
    """The debootstrapped rootfs (cached)."""
    root = cache / "rootfs"
    if (root / "usr" / "bin" / "python3.11").is_file():
        return root
    if shutil.which("debootstrap") is None:
        raise PackagingError(
            "debootstrap is not installed", "apt-get install -y debootstrap (.ci/install-system-packages)"
        )
    if root.exists():
        shutil.rmtree(root)
    cache.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    log("debootstrapping the stand-in base (bookworm minbase + python3.11); cached afterwards")
    proc = subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            "bookworm",
            str(root),
            MIRROR,
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PackagingError(
            "debootstrap failed: " + (proc.stdout + proc.stderr).strip()[-800:],
            "check apt access to the Debian mirror",
        )
    log(f"rootfs ready in {time.monotonic() - started:.0f}s")
    return root


def image_reference() -> str:
    """Tagged by what goes in: the package list and the mirror."""
    digest = hashlib.sha256(repr((PACKAGES, MIRROR, PRUNE)).encode()).hexdigest()
    return f"{IMAGE_NAME}:bookworm-py3.11-{digest[:12]}"


def ensure_base(tool: Tool, log: Callable[[str], None] = print) -> str:
    """The stand-in image reference, built once and reused while the tag exists."""
    image = image_reference()
    if tool.image_exists(image):
        return image
    if tool.name != "buildah":
        raise PackagingError(
            f"the stand-in base is built with buildah, not {tool.name}", "apt-get install -y buildah"
        )
    root = rootfs(log=log)
    started = time.monotonic()
    container = tool.run(["from", "scratch"]).strip()
    try:
        mount = Path(tool.run(["mount", container]).strip())
        subprocess.run(["cp", "-a", f"{root}/.", str(mount)], check=True)
        for rel in PRUNE:
            shutil.rmtree(mount / rel, ignore_errors=True)
        (mount / "var/task").mkdir(parents=True, exist_ok=True)
        tool.run(["umount", container])
        tool.run(
            [
                "config",
                "--env",
                "LAMBDA_TASK_ROOT=/var/task",
                "--env",
                "LANG=C.UTF-8",
                "--workingdir",
                "/var/task",
                container,
            ]
        )
        tool.run(["commit", "--rm", container, image])
    except BaseException:
        tool.run(["rm", container], check=False)
        raise
    tool.prune(IMAGE_NAME, image)
    log(f"stand-in base {image} built in {time.monotonic() - started:.0f}s")
    return image


def is_standin(reference: str) -> bool:
    """True for an image reference of the stand-in base (what a real environment must never run on)."""
    return reference.split("@", 1)[0].rsplit(":", 1)[0] == IMAGE_NAME


def choose_base(
    tool: Tool,
    wanted: str,
    fallback: bool,
    log: Callable[[str], None] = print,
    standin: Callable[[Tool, Callable[[str], None]], str] = ensure_base,
) -> str:
    """The base to build on: `wanted` when it is local or can be pulled; else, with `fallback`, the stand-in.

    Only the `local` rehearsal passes `fallback` (tools/deploy/build_outputs.py): a real environment's
    image is refused without its real base, with the fix.
    """
    reason = pull_base(tool, wanted, log)
    if reason is None:
        return wanted
    if not fallback:
        raise PackagingError(
            f"the base image {wanted} is not available locally and cannot be pulled ({reason})", NO_BASE_FIX
        )
    # The tool's message ends with the root cause (a timeout, an unknown host): keep that end.
    last = reason.strip().splitlines()[-1] if reason.strip() else "no answer"
    last = last if len(last) <= 120 else "…" + last[-120:].split(" ", 1)[-1]
    log(
        f"the base image {wanted} cannot be pulled ({last}): building on the local stand-in base "
        f"{IMAGE_NAME} instead, as the `local` rehearsal allows (a real environment needs the real base)"
    )
    return standin(tool, log)
