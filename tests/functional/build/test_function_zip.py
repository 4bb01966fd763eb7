"""The function zip: first-party code only, precompiled, byte-identical across hosts, cached."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO
from tools import runtimes
from tools.build.functions import build_function

BUILD = (
    "import sys; from pathlib import Path; from tools.build.functions import build_function; "
    "pkgs = tuple(Path(p) for p in sys.argv[2:]); build_function(Path(sys.argv[1]), pkgs, log=lambda _: None)"
)


def copy_packages(dest: Path, mtime: int) -> list[Path]:
    copies = []
    for name in ("shared", "mcp_server"):
        target = dest / name
        shutil.copytree(
            REPO / "packages" / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        for path in target.rglob("*"):
            os.utime(path, (mtime, mtime))
        copies.append(target)
    return copies


def build_in_subprocess(out: Path, packages: list[Path], tz: str, umask: int) -> Path:
    env = {**os.environ, "TZ": tz}
    subprocess.run(
        [sys.executable, "-c", BUILD, str(out), *map(str, packages)],
        cwd=REPO,
        env=env,
        check=True,
        preexec_fn=lambda: os.umask(umask),  # a different umask per build is the point
    )
    return out / "thoth-mcp-server.zip"


def test_two_clean_builds_on_different_hosts_are_byte_identical(tmp_path: Path) -> None:
    one = build_in_subprocess(
        tmp_path / "out1", copy_packages(tmp_path / "src1", 1_000_000_000), "UTC", 0o022
    )
    two = build_in_subprocess(
        tmp_path / "out2", copy_packages(tmp_path / "src2", 1_750_000_000), "Asia/Tokyo", 0o077
    )
    assert one.read_bytes() == two.read_bytes()
    meta = json.loads(one.with_suffix(".json").read_text())
    assert meta["handler"] == "thoth.mcp_server.lambda_handler.handler" and len(meta["sha256"]) == 64
    with zipfile.ZipFile(one) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"thoth", "thoth_shared-0.1.0.dist-info", "thoth_mcp_server-0.1.0.dist-info"}
    assert "thoth/mcp_server/lambda_handler.py" in names
    tag = runtimes.get(runtimes.DEFAULT).python.replace(".", "")
    assert f"thoth/mcp_server/__pycache__/lambda_handler.cpython-{tag}.pyc" in names
    assert meta["runtime"] == runtimes.DEFAULT
    assert not any(name.startswith("thoth/refresh_service") for name in names)


def test_unchanged_code_reuses_the_zip_and_a_change_rebuilds(tmp_path: Path) -> None:
    packages = tuple(copy_packages(tmp_path / "src", 1_000_000_000))
    out = tmp_path / "out"
    first = build_function(out, packages, log=lambda _: None)
    stamp = (out / "thoth-mcp-server.zip").stat().st_mtime_ns
    assert build_function(out, packages, log=lambda _: None) == first
    assert (out / "thoth-mcp-server.zip").stat().st_mtime_ns == stamp
    init = packages[1] / "src" / "thoth" / "mcp_server" / "__init__.py"
    init.write_text(init.read_text() + "\n# changed\n")
    assert build_function(out, packages, log=lambda _: None)["sha256"] != first["sha256"]


def test_a_corrupted_zip_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    packages = tuple(copy_packages(tmp_path / "src", 1_000_000_000))
    out = tmp_path / "out"
    first = build_function(out, packages, log=lambda _: None)
    zip_path = out / "thoth-mcp-server.zip"
    data = bytearray(zip_path.read_bytes())
    data[100] ^= 0xFF
    zip_path.write_bytes(bytes(data))
    assert build_function(out, packages, log=lambda _: None)["sha256"] == first["sha256"]
    assert zip_path.read_bytes() != bytes(data)
