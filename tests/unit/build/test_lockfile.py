"""Reading hashed pip-compile locks and the runtime-provided exclusion closure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.build.errors import PackagingError
from tools.build.layer import LayerOptions, excluded_pins
from tools.build.lockfile import closure_excluded, read_lock

H = "--hash=sha256:" + "a" * 64
LOCK = f"""# header
boto3==1.0 \\
    {H}
    # via -r requirements/mcp-layer.in
botocore==1.0 \\
    {H}
    # via
    #   boto3
    #   s3transfer
numpy==1.26.4 \\
    {H}
    # via
    #   -r requirements/mcp-layer.in
    #   onnxruntime
onnxruntime==1.16.3 \\
    {H}
    # via -r requirements/mcp-layer.in
python-dateutil==2.9 \\
    {H}
    # via botocore
s3transfer==0.1 \\
    {H}
    # via boto3
six==1.17 \\
    {H}
    # via python-dateutil
sympy==1.14 \\
    {H}
    # via onnxruntime
mpmath==1.3 \\
    {H}
    # via sympy
urllib3==2.8 \\
    {H}
    # via
    #   botocore
    #   other-kept
other-kept==1.0 \\
    {H}
    # via -r requirements/mcp-layer.in
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mcp-layer.txt"
    path.write_text(text)
    return path


def test_reads_pins_hashes_and_parents(tmp_path: Path) -> None:
    pins = read_lock(write(tmp_path, LOCK))
    assert pins["numpy"].version == "1.26.4" and pins["numpy"].hashes == ("a" * 64,)
    assert pins["botocore"].via == ("boto3", "s3transfer") and pins["numpy"].root
    assert not pins["six"].root


def test_runtime_closure_keeps_what_kept_pins_also_need(tmp_path: Path) -> None:
    pins = read_lock(write(tmp_path, LOCK))
    excluded = closure_excluded(pins, {"boto3", "botocore", "s3transfer"})
    assert excluded == {"boto3", "botocore", "s3transfer", "python-dateutil", "six"}  # urllib3: other-kept


def test_layer_exclusions_default_and_options(tmp_path: Path) -> None:
    pins = read_lock(write(tmp_path, LOCK))
    default = excluded_pins(pins, LayerOptions())
    assert {"boto3", "six", "sympy", "mpmath"} <= set(default) and "numpy" not in default
    assert "runtime" in default["boto3"] and "never imported" in default["mpmath"]
    bundled = excluded_pins(pins, LayerOptions(bundle_boto3=True, keep_unused=True))
    assert bundled == {}


def test_missing_lock_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="nox -s lock"):
        read_lock(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("numpy==1.0 \\\n    # via x\n", "without --hash"),
        ("numpy>=1.0\n", "unpinned line"),
        ("# only comments\n", "pins nothing"),
    ],
)
def test_malformed_locks_are_rejected(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PackagingError, match=message):
        read_lock(write(tmp_path, text))
