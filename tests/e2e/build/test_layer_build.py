"""The real layer from requirements/mcp-layer.txt: built twice on "different hosts", smoke-tested, cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def build(out: Path, tz: str, umask: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.build.cli", "layer", "--out", str(out / "layers"),
         "--functions", str(out / "functions"), *extra],
        cwd=REPO,
        env={**os.environ, "TZ": tz, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        preexec_fn=lambda: os.umask(umask),  # a different umask per build is the point
    )  # fmt: skip


def test_layer_is_reproducible_smoke_tested_and_cached(tmp_path: Path) -> None:
    first = build(tmp_path / "a", "UTC", 0o022)
    assert first.returncode == 0, first.stderr + first.stdout
    assert "smoke test passed" in first.stdout and "search ranked time-off.md first" in first.stdout
    second = build(tmp_path / "b", "America/Los_Angeles", 0o077, "--no-smoke")
    assert second.returncode == 0, second.stderr
    zip_a = tmp_path / "a" / "layers" / "thoth-mcp-layer.zip"
    zip_b = tmp_path / "b" / "layers" / "thoth-mcp-layer.zip"
    assert zip_a.read_bytes() == zip_b.read_bytes()
    fn_a, fn_b = (tmp_path / d / "functions" / "thoth-mcp-server.zip" for d in "ab")
    assert fn_a.read_bytes() == fn_b.read_bytes()

    meta = json.loads(zip_a.with_suffix(".json").read_text())
    names = {d["name"] for d in meta["distributions"]}
    assert {"numpy", "onnxruntime", "tokenizers"} <= names
    assert not names & {"boto3", "botocore", "s3transfer", "jmespath", "sympy"}
    assert {"boto3", "botocore"} <= {e["name"] for e in meta["excluded"]}
    assert meta["unzipped_bytes"] < 262_144_000 and meta["trimmed"]["bytes"] > 0
    with zipfile.ZipFile(zip_a) as archive:
        entries = archive.namelist()
    assert all(name.startswith("python/") for name in entries)
    assert not any("/tests/" in name or name.endswith((".pyi", ".h")) for name in entries)
    assert not any(name.startswith("python/onnxruntime/transformers/") for name in entries)
    encoder = zipfile.ZipFile(tmp_path / "a" / "layers" / "thoth-encoder-layer.zip").namelist()
    assert sorted(encoder) == [
        "thoth-encoder/encoder.json",
        "thoth-encoder/model.onnx",
        "thoth-encoder/model.onnx.data",
        "thoth-encoder/tokenizer.json",
    ]

    stamp = zip_a.stat().st_mtime_ns
    third = build(tmp_path / "a", "UTC", 0o022)
    assert third.returncode == 0, third.stderr
    assert "thoth-mcp-layer.zip is up to date" in third.stdout
    assert zip_a.stat().st_mtime_ns == stamp


def test_over_budget_stops_before_anything_is_published(tmp_path: Path) -> None:
    result = build(tmp_path, "UTC", 0o022, "--budget", "1000000", "--no-smoke")
    assert result.returncode == 1
    assert "over the 1,000,000-byte budget" in result.stderr and "trim or drop" in result.stderr
    assert not (tmp_path / "layers" / "thoth-mcp-layer.zip").exists()


def test_bad_option_is_rejected_with_the_fix(tmp_path: Path) -> None:
    result = build(tmp_path, "UTC", 0o022, "--glibc", "two")
    assert result.returncode == 1 and "MAJOR.MINOR" in result.stderr
