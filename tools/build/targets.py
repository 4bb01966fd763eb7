"""Lambda targets: which wheels may run there (python, abi, manylinux glibc ceiling, arch)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.build.errors import PackagingError

ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Lambda's python3.11 runtime is Amazon Linux 2: glibc 2.26.
DEFAULT_GLIBC = (2, 26)
_WHEEL = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)
_MANYLINUX = re.compile(r"^manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@dataclass(frozen=True)
class Target:
    """A Lambda runtime: python 3.11 on one architecture with a glibc ceiling."""

    arch: str = "x86_64"
    python: str = "3.11"
    glibc: tuple[int, int] = DEFAULT_GLIBC

    def __post_init__(self) -> None:
        if self.arch not in ARCHES:
            raise PackagingError(
                f"architecture {self.arch!r} is unknown", f"choose one of {', '.join(ARCHES)}"
            )
        if not re.fullmatch(r"3\.\d+", self.python):
            raise PackagingError(f"python {self.python!r} is not a 3.X version", "pass e.g. --python 3.11")

    @property
    def machine(self) -> str:
        return ARCHES[self.arch]

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


def parse_glibc(text: str) -> tuple[int, int]:
    """'2.26' -> (2, 26)."""
    match = re.fullmatch(r"(\d+)\.(\d+)", text.strip())
    if not match:
        raise PackagingError(
            f"glibc version {text!r} is malformed", "pass it as MAJOR.MINOR, e.g. --glibc 2.26"
        )
    return int(match[1]), int(match[2])
