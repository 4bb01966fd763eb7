"""Real artifacts for the deploy tests, built from this repository's code (no stand-ins)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HANDLER_PY = "thoth/mcp_server/lambda_handler.py"


def build_function_zip(out_dir: Path, repo: Path = REPO) -> Path:
    """The MCP server function zip, built by the packaging tool from `repo`'s sources."""
    subprocess.run(
        [sys.executable, "-m", "tools.build.cli", "functions", "--functions", str(out_dir)],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    return out_dir / "thoth-mcp-server.zip"


def build_small_layer(out: Path, distribution: str = "idna") -> Path:
    """A small but real layer: one pure-Python distribution from this environment under python/."""
    spec = importlib.util.find_spec(distribution)
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    site = package.parent
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package.rglob("*.py")):
            archive.write(path, "python/" + path.relative_to(site).as_posix())
        for info in site.glob(f"{distribution}-*.dist-info"):
            for path in sorted(info.rglob("*")):
                if path.is_file():
                    archive.write(path, "python/" + path.relative_to(site).as_posix())
    return out


def broken_function_zip(good: Path, out: Path) -> Path:
    """`good` with a handler module that raises at import (and its bytecode removed so it is used)."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == HANDLER_PY:
                dst.writestr(info, "raise RuntimeError('deliberately broken release')\n")
            elif "__pycache__/lambda_handler." in info.filename:
                continue
            else:
                dst.writestr(info, src.read(info))
    return out


def oversized_layer(out: Path, unzipped_bytes: int) -> Path:
    """A layer that unzips to `unzipped_bytes` (zeros compress to almost nothing)."""
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("python/blob.bin", "w") as handle,
    ):
        remaining = unzipped_bytes
        while remaining > 0:
            handle.write(chunk[: min(remaining, len(chunk))])
            remaining -= len(chunk)
    return out


def variant_zip(good: Path, out: Path, marker: str) -> Path:
    """`good` plus one data file: a different sha256, the same working code."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("thoth/deploy-marker.txt", marker)
    return out
