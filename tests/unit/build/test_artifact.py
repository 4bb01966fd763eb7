"""Deterministic zips and trimming rules on small trees."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

from tools.build import artifact, trim


def make_tree(root: Path, mtime: int, mode: int) -> None:
    for rel, data in {
        "pkg/__init__.py": b"X = 1\n",
        "pkg/_ext.cpython-311-x86_64-linux-gnu.so": b"\x7fELFfake",
        "pkg/sub/data.json": b"{}",
        "a.py": b"",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, mode)
        os.utime(path, (mtime, mtime))


def test_zip_bytes_ignore_host_times_and_modes(tmp_path: Path) -> None:
    make_tree(tmp_path / "one", 1_000_000_000, 0o600)
    make_tree(tmp_path / "two", 1_700_000_000, 0o777)
    artifact.zip_tree(tmp_path / "one", tmp_path / "one.zip", prefix="python/")
    artifact.zip_tree(tmp_path / "two", tmp_path / "two.zip", prefix="python/")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) and not i.extra for i in infos)
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes["python/pkg/_ext.cpython-311-x86_64-linux-gnu.so"] == 0o755
    assert modes["python/pkg/__init__.py"] == 0o644


def test_bytecode_is_unchecked_hash_and_build_path_free(tmp_path: Path) -> None:
    for name in ("a", "b"):
        make_tree(tmp_path / name, 1, 0o644)
        artifact.compile_tree(tmp_path / name, "/opt/python", Path(sys.executable))
    pyc_a = next((tmp_path / "a" / "pkg" / "__pycache__").glob("*.pyc")).read_bytes()
    pyc_b = next((tmp_path / "b" / "pkg" / "__pycache__").glob("*.pyc")).read_bytes()
    assert pyc_a == pyc_b  # the build directory is not baked into code objects
    flags = int.from_bytes(pyc_a[4:8], "little")
    assert flags == 0b01  # hash-based, check_source off: /opt is never re-validated or rewritten
    assert b"/opt/python/pkg/__init__.py" in pyc_a


def test_trim_drops_tests_docs_headers_stubs_and_tooling(tmp_path: Path) -> None:
    site = tmp_path / "python"
    keep = [
        "numpy/__init__.py",
        "numpy/core/_x.so",
        "onnxruntime/capi/_pybind_state.py",
        "zstandard/__init__.py",
        "zstandard/backend_c.cpython-311-x86_64-linux-gnu.so",
        "x.dist-info/METADATA",
    ]
    drop = [
        "numpy/tests/test_a.py",
        "numpy/core/include/numpy/arrayobject.h",
        "numpy/__init__.pyi",
        "onnxruntime/tools/convert.py",
        "onnxruntime/transformers/optimizer.py",
        "onnxruntime/quantization/q.py",
        "pkg/docs/index.md",
        "pkg/__pycache__/m.cpython-311.pyc",
        "zstandard/_cffi.cpython-311-x86_64-linux-gnu.so",
        "zstandard/_cffi.cpython-311-aarch64-linux-gnu.so",
        "zstandard/backend_cffi.py",
    ]
    for rel in keep + drop:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(b"0123456789")
    report = trim.TrimReport()
    trim.trim(site, report)
    assert all((site / rel).exists() for rel in keep)
    assert not any((site / rel).exists() for rel in drop)
    assert report.files == len(drop) and report.bytes == 10 * len(drop)


def test_strip_keeps_loadable_objects_and_restores_broken_ones(tmp_path: Path) -> None:
    import shutil
    import sysconfig

    libdir = Path(sysconfig.get_config_var("LIBDIR") or "/usr/lib")
    candidates = sorted(Path(p) for p in libdir.glob("python3.11/lib-dynload/*.so"))
    site = tmp_path / "python"
    site.mkdir()
    shutil.copyfile(candidates[0], site / candidates[0].name)
    (site / "fake.so").write_bytes(b"\x7fELF" + b"\0" * 60)  # not a real object: strip must refuse it
    before = (site / "fake.so").read_bytes()
    report = trim.TrimReport()
    trim.strip_shared_objects(site, report)
    assert (site / "fake.so").read_bytes() == before
    assert "fake.so" not in report.stripped
