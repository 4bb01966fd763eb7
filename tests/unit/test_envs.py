"""The shared nox environments (tools/envs.py): reused only when complete and current, else redone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools import envs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text(
        "# header\nruff==1 \\\n    --hash=sha256:00\nnumpy==2 \\\n    --hash=sha256:11\n"
    )
    return tmp_path


def _install(plan: envs.Plan) -> None:
    """What the noxfile does between start and finish: a venv with a bin/python."""
    (plan.path / "bin").mkdir(parents=True)
    (plan.path / "bin" / "python").write_text("")


def test_a_complete_install_is_reused_and_counts_its_packages(root: Path) -> None:
    plan = envs.plan(root, "dev", "digest-1")
    assert plan.packages == 2 and plan.path == root / ".nox" / "dev"
    assert envs.state(plan) == "missing"
    envs.start(plan)
    _install(plan)
    assert envs.state(plan) == "broken"  # started, not finished
    assert "ready" in envs.finish(plan)
    assert envs.state(plan) == "ready"


def test_an_interrupted_install_is_broken_and_start_removes_it(root: Path) -> None:
    plan = envs.plan(root, "dev", "d")
    envs.start(plan)
    _install(plan)
    (plan.path / "half-installed-package").write_text("x")
    # The session was stopped here: the next one finds it broken and starts over from nothing.
    assert envs.state(plan) == "broken"
    assert "did not finish" in " ".join(envs.announce(plan, "broken"))
    envs.start(plan)
    assert not plan.path.exists()


def test_a_venv_without_a_marker_is_never_reused(root: Path) -> None:
    plan = envs.plan(root, "dev", "d")
    _install(plan)  # e.g. left by an older noxfile, or made by hand
    assert envs.state(plan) == "broken"


def test_a_changed_lock_is_not_reused(root: Path) -> None:
    old = envs.plan(root, "dev", "before")
    envs.start(old)
    _install(old)
    envs.finish(old)
    assert envs.state(envs.plan(root, "dev", "after")) == "changed"


def test_a_marker_without_its_interpreter_is_broken(root: Path) -> None:
    plan = envs.plan(root, "dev", "d")
    envs.start(plan)
    plan.path.mkdir(parents=True)
    envs.finish(plan)
    assert envs.state(plan) == "broken"


def test_the_first_install_says_what_how_big_and_once(root: Path) -> None:
    text = " ".join(envs.announce(envs.plan(root, "dev", "d"), "missing"))
    assert "creating it once" in text and "2 pinned packages" in text and "GB" in text
    assert "reuses it" in text


def test_the_noxfile_runs_dev_sessions_in_one_environment() -> None:
    """Every session that needs the dev lock asks for the same shared environment, none makes its own."""
    text = (REPO / "noxfile.py").read_text()
    assert 'default_venv_backend = "none"' in text
    assert "session.install(" not in text
    # A session that installs nothing: nox must not probe for uv (its "uv binary not found." noise).
    run = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "-s", "lock", "--", "--check"],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
    )  # fmt: skip
    assert "Running session lock" in run.stderr
    assert "uv binary" not in run.stdout + run.stderr
