"""Which wheels may run on a Lambda runtime (python3.11: glibc 2.26, python3.13: 2.34), bad targets."""

from __future__ import annotations

import pytest

from tools import runtimes
from tools.build.errors import PackagingError
from tools.build.targets import Target

PY311 = Target("python3.11")

GOOD = [
    "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "tokenizers-0.23.3-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "six-1.17.0-py2.py3-none-any.whl",
    "pyyaml-6.0.4-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
    "x-1.0-cp311-cp311-manylinux_2_26_x86_64.whl",
]


@pytest.mark.parametrize("filename", GOOD)
def test_lambda_compatible_wheels_pass(filename: str) -> None:
    assert PY311.wheel_problem(filename) is None


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
            "needs glibc 2.28 > the runtime's 2.26",
        ),
        ("onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl", "glibc 2.28"),
        ("x-1.0-cp311-cp311-manylinux_2_17_aarch64.whl", "for aarch64, not x86_64"),
        ("x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "cp312"),
        ("x-1.0-cp311-cp311-macosx_11_0_arm64.whl", "not manylinux"),
        ("x-1.0-cp311-cp311-musllinux_1_1_x86_64.whl", "not manylinux"),
        ("x-1.0.tar.gz", "not a wheel"),
        ("x-1.0-cp312-abi3-manylinux2014_x86_64.whl", "cp312-abi3"),
    ],
)
def test_incompatible_wheels_say_why(filename: str, expected: str) -> None:
    problem = PY311.wheel_problem(filename)
    assert problem is not None and expected in problem


def test_arm64_is_a_parameter() -> None:
    target = Target("python3.11", arch="arm64")
    assert target.wheel_problem("x-1.0-cp311-cp311-manylinux_2_17_aarch64.whl") is None
    assert "not aarch64" in (target.wheel_problem("x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl") or "")
    assert target.platforms()[-1] == "manylinux2014_aarch64"


def test_platform_list_covers_2014_through_the_ceiling() -> None:
    tags = PY311.platforms()
    assert tags[0] == "manylinux_2_26_x86_64" and "manylinux_2_17_x86_64" in tags
    assert "manylinux_2_27_x86_64" not in tags and tags[-1] == "manylinux2014_x86_64"
    assert Target("python3.13").platforms()[0] == "manylinux_2_34_x86_64"


def test_the_default_target_is_the_tables_default_on_amazon_linux_2023() -> None:
    target = Target()
    assert target.runtime == runtimes.DEFAULT and target.python == "3.13" and target.glibc == (2, 34)
    assert (
        target.wheel_problem("numpy-2.5.5-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl")
        is None
    )
    assert "cp311" in (target.wheel_problem("numpy-1.26.4-cp311-cp311-manylinux2014_x86_64.whl") or "")
    assert "glibc 2.35" in (target.wheel_problem("x-1.0-cp313-cp313-manylinux_2_35_x86_64.whl") or "")


@pytest.mark.parametrize(
    ("runtime", "arch", "expected"),
    [("python3.13", "sparc", "architecture 'sparc'"), ("python2.7", "x86_64", "runtime 'python2.7'")],
)
def test_malformed_target_is_rejected_naming_the_choices(runtime: str, arch: str, expected: str) -> None:
    with pytest.raises(PackagingError, match=expected) as info:
        Target(runtime, arch)
    assert "choose one of" in str(info.value)


def test_a_missing_interpreter_refuses_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtimes, "interpreter", lambda row: None)
    with pytest.raises(PackagingError, match=r"pyenv install 3\.13"):
        Target("python3.13").interpreter()
