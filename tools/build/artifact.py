"""Deterministic zips, bytecode, tree sizes and the cache keys of build outputs."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from tools.build.errors import PackagingError

# 1980-01-01 is the earliest time a zip can hold; it stands for "no host time".
EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755
BUILD_CODE = Path(__file__).resolve().parent


# Run by the runtime's own interpreter: bytecode is specific to its Python version.
_COMPILE = """
import compileall, py_compile, sys
ok = compileall.compile_dir(sys.argv[1], ddir=sys.argv[2], quiet=1, workers=0,
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
sys.exit(0 if ok else 1)
"""


def compile_tree(root: Path, runtime_dir: str, interpreter: Path) -> None:
    """Bytecode beside the sources with unchecked-hash pycs: a read-only /opt never recompiles.

    `interpreter` is the target runtime's Python (tools.build.targets.Target.interpreter). `runtime_dir`
    is where the tree lands on Lambda; it is baked into code objects so tracebacks point there and the
    bytes do not depend on the build directory.
    """
    # -I: none of this environment's PYTHON* settings; a fixed hash seed orders set constants alike.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [str(interpreter), "-I", "-c", _COMPILE, str(root), runtime_dir], env=env, check=False
    )
    if done.returncode != 0:
        raise PackagingError(
            f"some modules under {root} do not compile with {interpreter}",
            "see the syntax errors printed above",
        )


def files_under(root: Path) -> list[Path]:
    return sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in files_under(root))


def _mode(name: str) -> int:
    # By name, never from the host's bits: umask and checkout modes must not change the zip.
    return EXEC_MODE if ".so" in name.rsplit("/", 1)[-1] else FILE_MODE


def write_zip(entries: list[tuple[str, Path]], out: Path) -> None:
    """Zip (archive name, file) pairs sorted by name, with fixed times, modes and no extra fields."""
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise PackagingError(f"duplicate entries in {out.name}", "two inputs map to the same path; report it")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3  # unix, so external_attr holds the mode
            info.external_attr = (stat.S_IFREG | _mode(name)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read(), compresslevel=6)


def zip_tree(root: Path, out: Path, prefix: str = "") -> None:
    write_zip([(prefix + p.relative_to(root).as_posix(), p) for p in files_under(root)], out)


def digest_paths(paths: list[Path], base: Path, extra: dict[str, Any]) -> str:
    """A content hash of files (by path relative to base) and options: the cache key."""
    digest = hashlib.sha256(json.dumps(extra, sort_keys=True).encode())
    for path in sorted(paths, key=lambda p: p.as_posix()):
        name = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_files(*modules: str) -> list[Path]:
    """The builder modules that shape an artifact's bytes: a change to them invalidates its cache."""
    return sorted(BUILD_CODE / f"{module}.py" for module in ("artifact", "errors", "manifest", *modules))
