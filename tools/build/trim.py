"""Remove what a Lambda never runs (tests, docs, headers, stubs, tooling) and strip shared objects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Directory names dropped anywhere below a distribution's package.
DROP_DIRS = frozenset({"tests", "test", "__pycache__", "examples", "example", "docs", "doc", "benchmarks"})
# Paths (relative to the layer's python/ dir) of sub-packages the server never imports: verified by the
# import smoke test, which runs a real embedding and search with them gone.
DROP_TREES = (
    "onnxruntime/tools",
    "onnxruntime/transformers",
    "onnxruntime/quantization",
    "onnxruntime/datasets",
    "onnxruntime/backend",
    "numpy/core/include",
    "numpy/f2py",
    "numpy/distutils",
    "numpy/random/_examples",
    "numpy/_pyinstaller",
    "numpy/doc",
    "tokenizers/tools",
)
# Files the server never loads, by glob below python/: zstandard's CFFI backend (12 MB unstripped),
# a fallback its default import policy takes only when the C extension fails to import.
DROP_GLOBS = ("zstandard/_cffi.*.so", "zstandard/backend_cffi.py")
DROP_SUFFIXES = (
    ".pyi",
    ".h",
    ".hpp",
    ".c",
    ".cc",
    ".cpp",
    ".pyx",
    ".pxd",
    ".pxi",
    ".a",
    ".lib",
    ".md",
    ".pyc",
)


@dataclass
class TrimReport:
    files: int = 0
    bytes: int = 0
    stripped: list[str] = field(default_factory=list)
    strip_saved: int = 0
    strip_refused: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "strip": {"files": len(self.stripped), "bytes": self.strip_saved, "refused": self.strip_refused},
        }


def _remove(path: Path, report: TrimReport) -> None:
    if path.is_dir():
        for child in path.rglob("*"):
            if child.is_file():
                report.files += 1
                report.bytes += child.stat().st_size
        shutil.rmtree(path)
    elif path.exists():
        report.files += 1
        report.bytes += path.stat().st_size
        path.unlink()


def trim(root: Path, report: TrimReport) -> None:
    """Apply the rules to an unpacked layer `python/` dir; metadata (`*.dist-info`) is kept whole."""
    for rel in DROP_TREES:
        _remove(root / rel, report)
    for pattern in DROP_GLOBS:
        for path in sorted(root.glob(pattern)):
            _remove(path, report)
    for path in sorted(root.rglob("*"), reverse=True):
        if not path.exists() or any(part.endswith(".dist-info") for part in path.relative_to(root).parts):
            continue
        dropped_dir = path.is_dir() and path.name in DROP_DIRS
        if dropped_dir or (path.is_file() and path.name.endswith(DROP_SUFFIXES)):
            _remove(path, report)


def is_elf(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"\x7fELF"


_VERIFY = "import ctypes, sys\nfor p in sys.argv[1:]:\n    ctypes.CDLL(p)\n"


def _loads(path: Path) -> bool:
    """dlopen in a fresh interpreter; vendored siblings (e.g. numpy.libs/) resolve from the same dir."""
    env = {**os.environ, "LD_LIBRARY_PATH": str(path.parent)}
    return (
        subprocess.run([sys.executable, "-c", _VERIFY, str(path)], capture_output=True, env=env).returncode
        == 0
    )


def strip_shared_objects(root: Path, report: TrimReport, strip: str = "strip") -> None:
    """`strip --strip-unneeded` every ELF; keep the original of any that no longer loads with dlopen."""
    if shutil.which(strip) is None:
        report.strip_refused.append(f"{strip} not installed (apt-get install binutils); nothing stripped")
        return
    for path in sorted(p for p in root.rglob("*.so*") if p.is_file() and is_elf(p)):
        before = path.read_bytes()
        if not _loads(path):
            report.strip_refused.append(
                path.relative_to(root).as_posix() + " (does not load alone; unverifiable)"
            )
            continue
        proc = subprocess.run([strip, "--strip-unneeded", str(path)], capture_output=True, text=True)
        after = path.stat().st_size
        if proc.returncode != 0 or after >= len(before):
            path.write_bytes(before)
            continue
        # The stripped object must still load exactly as the original did.
        if not _loads(path):
            path.write_bytes(before)
            report.strip_refused.append(path.relative_to(root).as_posix())
            continue
        report.stripped.append(path.relative_to(root).as_posix())
        report.strip_saved += len(before) - after
