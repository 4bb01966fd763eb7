"""The runtime table: lookups that name the choices, deprecation notes, finding an interpreter per row."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tools import runtimes
from tools.ops import doctor

ROW = runtimes.get(runtimes.DEFAULT)


def test_the_default_is_python313_on_amazon_linux_2023_with_snapstart_on_both_arches() -> None:
    assert (ROW.identifier, ROW.python, ROW.os, ROW.glibc) == (
        "python3.13",
        "3.13",
        "Amazon Linux 2023",
        (2, 34),
    )
    assert ROW.architectures == ("x86_64", "arm64") and ROW.snap_start
    assert runtimes.for_python("3.13") is ROW and ROW.lock == "mcp-layer-python3.13"


def test_unknown_runtime_python_and_arch_name_the_choices() -> None:
    with pytest.raises(ValueError, match=r"choose one of python3\.13, python3\.11"):
        runtimes.get("python3.9")
    with pytest.raises(ValueError, match=r"no supported runtime runs Python 2\.7"):
        runtimes.for_python("2.7")
    with pytest.raises(ValueError, match=r"'s390x' is not offered by python3\.13"):
        runtimes.check_arch(ROW, "s390x")


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2029, 1, 1), "in 180 days"),
        (date(2029, 7, 1), "AWS deprecated python3.13 on 2029-06-30 (no security patches)"),
        (date(2029, 9, 1), "updating functions is blocked since 2029-08-31"),
    ],
)
def test_deprecation_notes_carry_aws_dates(today: date, expected: str) -> None:
    note = ROW.deprecation_note(today)
    assert note is not None and expected in note


def test_no_note_while_deprecation_is_far_off() -> None:
    assert ROW.deprecation_note(ROW.deprecated - timedelta(days=runtimes.WARN_DAYS + 1)) is None


def config(runtime: str, arch: str = "x86_64") -> dict[str, object]:
    return {"Runtime": runtime, "Architectures": [arch], "SnapStart": {"ApplyOn": "PublishedVersions"}}


def test_doctor_passes_a_current_runtime_and_reports_snapstart() -> None:
    check = doctor.runtime_check(config(ROW.identifier), date(2027, 1, 1))
    assert check.ok and not check.warn
    assert check.line().startswith(f"OK  runtime: {ROW.identifier} x86_64 (Amazon Linux 2023, glibc 2.34)")
    assert "SnapStart PublishedVersions" in check.detail and "2029-06-30" in check.detail


def test_doctor_warns_with_the_date_within_180_days_and_fails_after() -> None:
    soon = doctor.runtime_check(config(ROW.identifier), ROW.deprecated - timedelta(days=30))
    assert soon.ok and soon.warn and soon.line().startswith("WARN runtime:")
    assert f"AWS deprecates {ROW.identifier} on {ROW.deprecated} (in 30 days)" in soon.detail
    past = doctor.runtime_check(config(ROW.identifier), ROW.deprecated + timedelta(days=1))
    assert not past.ok and "nox -s build_layer" in past.detail


def test_doctor_refuses_a_runtime_outside_the_table() -> None:
    check = doctor.runtime_check(config("python3.9"), date(2027, 1, 1))
    assert not check.ok and "not supported" in check.detail and "set mcp_runtime" in check.detail


def test_terraform_gets_every_row_with_its_arches_and_snapstart() -> None:
    table = json.loads(runtimes.terraform_table())
    assert set(table) == set(runtimes.RUNTIMES)
    assert table["python3.13"] == {"architectures": ["x86_64", "arm64"], "snap_start": True}
    assert table["python3.11"]["snap_start"] is False


def test_interpreter_is_the_newest_pyenv_patch_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("3.13.0", "3.13.10", "3.13.2", "3.130.1"):
        python = tmp_path / "versions" / version / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text("")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setattr(sys, "version_info", (3, 11, 7))
    assert runtimes.find_python("3.13") == tmp_path / "versions" / "3.13.10" / "bin" / "python"


def test_no_interpreter_is_none_and_the_fix_names_pyenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "version_info", (3, 11, 7))
    assert runtimes.find_python("3.13") is None
    assert "pyenv install 3.13" in runtimes.missing_interpreter(ROW)
