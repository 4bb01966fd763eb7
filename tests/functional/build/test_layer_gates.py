"""Build layers from fake locks: platform/sdist refusals, trimming, cache, budget; nothing half-built."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from tests.support.wheels import fake_sdist, fake_wheel, hashed_lock, offline_pip
from tools.build.errors import PackagingError
from tools.build.layer import LayerOptions, build_layer
from tools.build.targets import Target

# The fake wheels are tagged for python3.11 on Amazon Linux 2 (glibc 2.26), the strictest row.
PY311 = Target("python3.11")


def options(tmp_path: Path, lock: Path, links: Path, **extra: object) -> LayerOptions:
    extra.setdefault("target", PY311)
    return LayerOptions(
        lock_override=lock,
        out_dir=tmp_path / "layers",
        pip_args=offline_pip(links),
        wheel_cache=tmp_path / "wheel-cache",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def links(tmp_path: Path) -> Path:
    path = tmp_path / "links"
    path.mkdir()
    return path


def test_sdist_only_dependency_fails_naming_it(tmp_path: Path, links: Path) -> None:
    good = fake_wheel(links, "goodpkg", "1.0")
    sdist = fake_sdist(links, "cpkg", "2.0")
    lock = hashed_lock(tmp_path / "test.txt", {"goodpkg==1.0": good, "cpkg==2.0": sdist})
    with pytest.raises(PackagingError) as info:
        build_layer(options(tmp_path, lock, links), log=lambda _: None)
    message = str(info.value)
    assert "cpkg==2.0" in message and "only an sdist" in message and "nox -s lock" in message
    assert not (tmp_path / "layers" / "thoth-mcp-layer.zip").exists()


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("cp311-cp311-manylinux_2_28_x86_64", "needs glibc 2.28 > the runtime's 2.26"),
        ("cp311-cp311-manylinux_2_17_aarch64", "for aarch64, not x86_64"),
    ],
)
def test_wrong_platform_wheel_fails_naming_it(tmp_path: Path, links: Path, tag: str, expected: str) -> None:
    wheel = fake_wheel(links, "nativepkg", "3.1", tag=tag)
    lock = hashed_lock(tmp_path / "test.txt", {"nativepkg==3.1": wheel})
    with pytest.raises(PackagingError) as info:
        build_layer(options(tmp_path, lock, links), log=lambda _: None)
    assert "nativepkg==3.1" in str(info.value) and expected in str(info.value)


def test_hash_mismatch_is_reported(tmp_path: Path, links: Path) -> None:
    wheel = fake_wheel(links, "goodpkg", "1.0")
    lock = hashed_lock(tmp_path / "test.txt", {"goodpkg==1.0": wheel})
    fake_wheel(links, "goodpkg", "1.0", body="VALUE = 'tampered'\n")  # same name, new bytes
    with pytest.raises(PackagingError, match="does not match the hash"):
        build_layer(options(tmp_path, lock, links), log=lambda _: None)


def test_layer_manifest_trim_cache_and_exclusions(tmp_path: Path, links: Path) -> None:
    files = {
        "goodpkg==1.0": fake_wheel(links, "goodpkg", "1.0"),
        "boto3==1.0": fake_wheel(links, "boto3", "1.0"),
        "native==2.0": fake_wheel(links, "native", "2.0", tag="cp311-cp311-manylinux_2_17_x86_64"),
    }
    lock = hashed_lock(tmp_path / "test.txt", files)
    opts = options(tmp_path, lock, links)
    meta = build_layer(opts, log=lambda _: None)
    zip_path = opts.zip_path
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert "python/goodpkg/__init__.py" in names and "python/native/__init__.py" in names
    assert any(n.startswith("python/goodpkg/__pycache__/__init__.cpython-311") for n in names)
    assert not any("/tests/" in n or n.endswith(".pyi") or n.startswith("python/boto3/") for n in names)
    on_disk = json.loads(zip_path.with_suffix(".json").read_text())
    assert on_disk == meta
    assert {d["name"] for d in meta["distributions"]} == {"goodpkg", "native"}
    assert [e["name"] for e in meta["excluded"]] == ["boto3"]
    assert (
        meta["trimmed"]["files"] == 4
    )  # tests/ and .pyi of the two kept wheels and meta["trimmed"]["bytes"] > 0
    assert meta["python"] == "3.11" and meta["platform"] == "manylinux_2_26_x86_64"
    assert meta["runtime"] == "python3.11" and meta["smoke"] == {"tested": False, "reason": "--no-smoke"}
    assert meta["zip_bytes"] == zip_path.stat().st_size and meta["unzipped_bytes"] > meta["zip_bytes"] // 10

    stamp = zip_path.stat().st_mtime_ns
    started = time.monotonic()
    again = build_layer(opts, log=lambda _: None)
    assert again == meta and zip_path.stat().st_mtime_ns == stamp
    assert time.monotonic() - started < 30  # generous: correctness, not a benchmark

    bundled = build_layer(options(tmp_path, lock, links, bundle_boto3=True), log=lambda _: None)
    assert {d["name"] for d in bundled["distributions"]} == {"goodpkg", "native", "boto3"}


def test_a_wheel_too_new_for_amazon_linux_2_builds_for_python313(tmp_path: Path, links: Path) -> None:
    wheel = fake_wheel(links, "nativepkg", "3.1", tag="cp313-cp313-manylinux_2_28_x86_64")
    lock = hashed_lock(tmp_path / "test.txt", {"nativepkg==3.1": wheel})
    meta = build_layer(options(tmp_path, lock, links, target=Target("python3.13")), log=lambda _: None)
    assert meta["runtime"] == "python3.13" and meta["platform"] == "manylinux_2_34_x86_64"
    with zipfile.ZipFile(tmp_path / "layers" / "thoth-mcp-layer.zip") as archive:
        assert any(".cpython-313.pyc" in name for name in archive.namelist())


def test_over_budget_leaves_no_zip(tmp_path: Path, links: Path) -> None:
    lock = hashed_lock(tmp_path / "test.txt", {"goodpkg==1.0": fake_wheel(links, "goodpkg", "1.0")})
    with pytest.raises(PackagingError, match="over the 100-byte budget"):
        build_layer(options(tmp_path, lock, links, budget=100), log=lambda _: None)
    leftovers = list((tmp_path / "layers").iterdir())
    assert leftovers == []
