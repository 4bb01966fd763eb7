"""Download the locked wheels for a Lambda target (hashes checked by pip) and unpack them."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from tools.build.errors import PackagingError
from tools.build.lockfile import Pin, canonical
from tools.build.targets import Target

_NO_MATCH = re.compile(r"No matching distribution found for (?P<req>\S+)")
_HASH_FAIL = re.compile(r"THESE PACKAGES DO NOT MATCH THE HASHES", re.I)


def wheel_name(filename: str) -> str:
    return canonical(filename.split("-", 1)[0])


def download(
    lock: Path, pins: dict[str, Pin], target: Target, dest: Path, *, pip_args: tuple[str, ...] = ()
) -> dict[str, Path]:
    """Every pin's wheel for the target, by canonical name; one clear error for the first that has none."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--progress-bar",
        "off",
    ]
    cmd += [*target.pip_args(), *pip_args, "-r", str(lock), "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise _explain(proc.stdout + proc.stderr, pins, target, lock, pip_args)
    found: dict[str, Path] = {}
    for path in sorted(dest.iterdir()):
        key = wheel_name(path.name)
        pin = pins.get(key)
        if pin and path.name.split("-")[1] in (pin.version, pin.version.replace("-", "_")):
            found[key] = path
    missing = sorted(set(pins) - set(found))
    if missing:
        raise PackagingError(
            f"pip reported success but no wheel for {', '.join(missing)} is in {dest}",
            f"delete {dest} and rebuild",
        )
    for key, path in found.items():
        problem = target.wheel_problem(path.name)
        if problem:
            raise PackagingError(f"{pins[key].name}=={pins[key].version}: {problem}", _fix(lock, target))
    return found


def _fix(lock: Path, target: Target) -> str:
    source = lock.with_suffix(".in").name
    return (
        f"pin a release that ships a {target.cp} manylinux wheel for glibc <= "
        f"{target.glibc[0]}.{target.glibc[1]} ({target.machine}) in requirements/{source}"
        " and run `nox -s lock`"
        " (or build for a newer runtime: `--runtime`, see tools/runtimes.py)"
    )


def _explain(
    output: str, pins: dict[str, Pin], target: Target, lock: Path, pip_args: tuple[str, ...]
) -> PackagingError:
    if _HASH_FAIL.search(output):
        return PackagingError(
            "a downloaded file does not match the hash in " + lock.name + ":\n" + output.strip()[-600:],
            "run `nox -s lock` again if the release was re-uploaded, else investigate the index",
        )
    match = _NO_MATCH.search(output)
    if not match:
        return PackagingError(
            "pip download failed:\n" + output.strip()[-1200:], "fix the error above and rebuild"
        )
    requirement = match["req"]
    name = canonical(re.split(r"[=<>!~ ]", requirement)[0])
    pin = pins.get(name)
    spec = f"{pin.name}=={pin.version}" if pin else requirement
    return PackagingError(f"{spec} has {_probe(spec, target, pip_args)}", _fix(lock, target))


def _probe(spec: str, target: Target, pip_args: tuple[str, ...]) -> str:
    """What the index does offer for a pin, to tell an sdist-only release from a wrong-platform wheel."""
    base = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *pip_args]
    with tempfile.TemporaryDirectory() as tmp:
        # Any wheel for any platform first; then an sdist (metadata only, never fetching build deps).
        anywhere = [
            arg
            for arch in ("x86_64", "aarch64")
            for tag in [f"manylinux_2_{minor}_{arch}" for minor in range(17, 41)] + [f"manylinux2014_{arch}"]
            for arg in ("--platform", tag)
        ]
        pythons = ["--python-version", target.python, "--implementation", "cp"]
        abis = ["--abi", target.cp, "--abi", "abi3", "--abi", "none"]
        subprocess.run(
            [*base, "--only-binary=:all:", *anywhere, *pythons, *abis, spec, "-d", tmp],
            capture_output=True,
            text=True,
        )
        wheels = sorted(p.name for p in Path(tmp).iterdir())
        if wheels:
            return "no wheel for Lambda: " + (target.wheel_problem(wheels[0]) or f"only {wheels[0]}")
        subprocess.run(
            [*base, "--no-binary=:all:", "--no-build-isolation", spec, "-d", tmp],
            capture_output=True,
            text=True,
        )
        sdists = sorted(p.name for p in Path(tmp).iterdir())
    if sdists:
        return f"no wheel at all, only an sdist ({sdists[0]}) that would be compiled here, not for Lambda"
    return "no wheel for Lambda and no sdist on the configured indexes"


def unpack(wheel: Path, dest: Path) -> list[str]:
    """Extract a wheel into dest (purelib/platlib data merged); returns the relative paths written.

    The `.data/scripts|headers|data` trees never belong in a layer and are skipped.
    """
    written: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = PurePosixPath(info.filename).parts
            if ".." in parts or info.filename.startswith("/"):
                raise PackagingError(
                    f"{wheel.name} contains an unsafe path {info.filename!r}", "report the wheel"
                )
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            rel = "/".join(parts)
            out = dest / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.read(info))
            written.append(rel)
    return written
