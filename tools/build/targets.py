"""Lambda targets: a runtime of tools/runtimes.py on one architecture, and which wheels may run there."""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tools import runtimes
from tools.build.errors import PackagingError

_WHEEL = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)
_MANYLINUX = re.compile(r"^manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass(frozen=True)
class Target:
    """A Lambda runtime (a row of tools/runtimes.py) on one architecture."""

    runtime: str = runtimes.DEFAULT
    arch: str = runtimes.DEFAULT_ARCH

    def __post_init__(self) -> None:
        try:
            runtimes.check_arch(runtimes.get(self.runtime), self.arch)
        except ValueError as exc:
            raise PackagingError(
                str(exc), "pass --runtime and --arch from the table in tools/runtimes.py"
            ) from None

    @property
    def row(self) -> runtimes.Runtime:
        return runtimes.get(self.runtime)

    @property
    def python(self) -> str:
        return self.row.python

    @property
    def glibc(self) -> tuple[int, int]:
        return self.row.glibc

    @property
    def machine(self) -> str:
        return runtimes.MACHINES[self.arch]

    def interpreter(self) -> Path:
        """The runtime's Python on this machine; PackagingError with the fix when there is none."""
        found = runtimes.interpreter(self.row)
        if found is None:
            raise PackagingError(
                f"the {self.runtime} artifacts need Python {self.python} to compile their bytecode "
                "and to be smoke-tested, and this machine has none",
                runtimes.missing_interpreter(self.row),
            )
        return found

    @property
    def cp(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def platform(self) -> str:
        """The tag written to the layer manifest, e.g. manylinux_2_26_x86_64."""
        return f"manylinux_{self.glibc[0]}_{self.glibc[1]}_{self.machine}"

    def platforms(self) -> list[str]:
        """Every platform tag pip may accept, newest glibc first."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(self.glibc[1], 16, -1)]
        return [*tags, f"manylinux2014_{self.machine}"]

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python]
        for tag in self.platforms():
            args += ["--platform", tag]
        return [*args, "--abi", self.cp, "--abi", "abi3", "--abi", "none"]

    def wheel_problem(self, filename: str) -> str | None:
        """Why a wheel cannot run on this target, or None when it can."""
        match = _WHEEL.match(filename)
        if not match:
            return f"{filename} is not a wheel (an sdist would be built on this machine, not for Lambda)"
        if match["plat"] == "any":
            pythons = match["py"].split(".")
            ok = any(p in ("py3", "py2.py3") or p.startswith("py3") or p == self.cp for p in pythons)
            return None if ok else f"{filename} is for python {match['py']}, not {self.python}"
        if not any(self._python_ok(py, match["abi"]) for py in match["py"].split(".")):
            return f"{filename} is built for {match['py']}-{match['abi']}, not {self.cp}"
        problems = [self._platform_problem(tag) for tag in match["plat"].split(".")]
        if any(problem is None for problem in problems):
            return None
        return f"{filename}: " + "; ".join(sorted({p for p in problems if p}))

    def _python_ok(self, py: str, abi: str) -> bool:
        if abi == "abi3":
            return py.startswith("cp3") and int(py[3:] or 0) <= int(self.cp[3:])
        return py == self.cp and abi in (self.cp, "none")

    def _platform_problem(self, tag: str) -> str | None:
        if tag in {f"{legacy}_{self.machine}" for legacy in _LEGACY}:
            return None
        match = _MANYLINUX.match(tag)
        if not match:
            return f"platform {tag} is not manylinux {self.machine}"
        if match["arch"] != self.machine:
            return f"platform {tag} is for {match['arch']}, not {self.machine}"
        needed = (int(match["major"]), int(match["minor"]))
        if needed > self.glibc:
            return (
                f"{tag} needs glibc {needed[0]}.{needed[1]} > the runtime's {self.glibc[0]}.{self.glibc[1]}"
            )
        return None


@functools.cache
def interpreter_version(interpreter: Path) -> str:
    """The full version of `interpreter` (e.g. 3.13.0): part of the cache key of what it compiled."""
    done = subprocess.run(
        [str(interpreter), "-I", "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise PackagingError(f"{interpreter} does not run: {done.stderr.strip()[-300:]}", "reinstall it")
    return done.stdout.strip()
