"""The real layer of every Lambda runtime from its lock: built twice on "different hosts", smoke-tested
under that runtime's Python, cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tools import runtimes

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


@pytest.mark.parametrize("runtime", sorted(runtimes.RUNTIMES))
def test_layer_is_reproducible_smoke_tested_and_cached(tmp_path: Path, runtime: str) -> None:
    row = runtimes.get(runtime)
    if runtimes.interpreter(row) is None:
        pytest.skip(runtimes.missing_interpreter(row))
    first = build(tmp_path / "a", "UTC", 0o022, "--runtime", runtime)
    assert first.returncode == 0, first.stderr + first.stdout
    assert f"smoke test passed under Python {row.python}." in first.stdout
    assert "search ranked time-off.md first" in first.stdout
    second = build(tmp_path / "b", "America/Los_Angeles", 0o077, "--no-smoke", "--runtime", runtime)
    assert second.returncode == 0, second.stderr
    zip_a = tmp_path / "a" / "layers" / "thoth-mcp-layer.zip"
    zip_b = tmp_path / "b" / "layers" / "thoth-mcp-layer.zip"
    assert zip_a.read_bytes() == zip_b.read_bytes()
    fn_a, fn_b = (tmp_path / d / "functions" / "thoth-mcp-server.zip" for d in "ab")
    assert fn_a.read_bytes() == fn_b.read_bytes()

    meta = json.loads(zip_a.with_suffix(".json").read_text())
    assert meta["runtime"] == runtime and meta["smoke"]["tested"] is True
    assert meta["smoke"]["python"].startswith(row.python + ".")
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
    third = build(tmp_path / "a", "UTC", 0o022, "--runtime", runtime)
    assert third.returncode == 0, third.stderr
    assert "thoth-mcp-layer.zip is up to date" in third.stdout
    assert zip_a.stat().st_mtime_ns == stamp


def test_over_budget_stops_before_anything_is_published(tmp_path: Path) -> None:
    result = build(tmp_path, "UTC", 0o022, "--budget", "1000000", "--no-smoke")
    assert result.returncode == 1
    assert "over the 1,000,000-byte budget" in result.stderr and "trim or drop" in result.stderr
    assert not (tmp_path / "layers" / "thoth-mcp-layer.zip").exists()


@pytest.mark.parametrize(("option", "value"), [("--runtime", "python2.7"), ("--arch", "sparc")])
def test_bad_target_is_rejected_with_the_choices(tmp_path: Path, option: str, value: str) -> None:
    result = build(tmp_path, "UTC", 0o022, option, value)
    assert result.returncode == 1 and f"{value!r}" in result.stderr and "choose one of" in result.stderr
