"""Repository invariants: namespace layout, one-way imports, editable siblings, fresh locks."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tools import locks

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "thoth-shared": "shared",
    "thoth-mcp-server": "mcp_server",
    "thoth-refresh-service": "refresh_service",
}
LOCK_OF = {
    "mcp_server": [*locks.runtime_locks(), "dev"],
    "refresh_service": ["refresh", "dev"],
    "shared": ["dev"],
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked(lock: str) -> set[str]:
    text = (REPO / "requirements" / f"{lock}.txt").read_text()
    return {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


def test_thoth_is_a_namespace_package() -> None:
    for directory in PACKAGES.values():
        assert not (REPO / "packages" / directory / "src" / "thoth" / "__init__.py").exists()
        assert (REPO / "packages" / directory / "src" / "thoth" / directory / "py.typed").exists()


def test_shared_never_imports_a_service() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "packages/shared/src").rglob("*.py")
        if re.search(r"thoth\.(mcp_server|refresh_service)", path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("dist", sorted(PACKAGES))
def test_siblings_are_installed_editable_from_this_tree(dist: str) -> None:
    direct_url = importlib.metadata.distribution(dist).read_text("direct_url.json")
    assert direct_url, f"{dist} was installed from an index, not from packages/"
    info = json.loads(direct_url)
    assert info.get("dir_info", {}).get("editable") is True
    assert Path(info["url"].removeprefix("file://")).resolve() == REPO / "packages" / PACKAGES[dist]


@pytest.mark.parametrize("package", sorted(LOCK_OF))
def test_every_dependency_is_locked(package: str) -> None:
    project = tomllib.loads((REPO / "packages" / package / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]} - set(PACKAGES)
    for lock in LOCK_OF[package]:
        if lock == "dev" or package != "shared":
            missing = wanted - _locked(lock)
            assert not missing, f"{package} needs {missing} but requirements/{lock}.txt lacks them"


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """What the locks are compiled from: requirements/ and each package's pyproject.toml."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "requirements", copy / "requirements")
    for directory in PACKAGES.values():
        (copy / "packages" / directory).mkdir(parents=True)
        shutil.copy(REPO / "packages" / directory / "pyproject.toml", copy / "packages" / directory)
    return copy


def _lock_check(root: Path) -> tuple[bool, str]:
    """What `nox -s lock -- --check` reports for every lock of `root`."""
    return locks.check(list(locks.LOCKS), root, locks.target_from_env())


def test_lock_check_passes_on_this_tree(repo_copy: Path) -> None:
    fresh, message = _lock_check(repo_copy)
    assert fresh, message
    assert "locks up to date" in message


def test_lock_check_names_stale_locks(repo_copy: Path) -> None:
    with open(repo_copy / "requirements" / "refresh.in", "a") as handle:
        handle.write("rich\n")
    fresh, message = _lock_check(repo_copy)
    assert not fresh
    assert "requirements/refresh.txt" in message and "requirements/dev.txt" in message
    assert "requirements/mcp-layer" not in message


def test_pyproject_change_makes_every_runtime_lock_stale(repo_copy: Path) -> None:
    path = repo_copy / "packages" / "mcp_server" / "pyproject.toml"
    path.write_text(path.read_text().replace('"tokenizers>=0.15"', '"tokenizers>=0.16"'))
    fresh, message = _lock_check(repo_copy)
    assert not fresh
    assert all(f"requirements/{name}.txt" in message for name in locks.runtime_locks())


def test_the_shared_layer_input_reaches_every_runtime_lock_and_only_them(repo_copy: Path) -> None:
    with open(repo_copy / "requirements" / "mcp-layer.in", "a") as handle:
        handle.write("# a comment changes the inputs\n")
    stale = locks.stale_locks(list(locks.LOCKS), repo_copy, locks.target_from_env())
    assert sorted(stale) == sorted(
        f"requirements/{n}.txt (inputs changed since it was compiled)" for n in locks.runtime_locks()
    )


def test_a_runtime_lock_resolves_under_its_runtimes_python_and_wheels_only(repo_copy: Path) -> None:
    from tools import runtimes

    for name in locks.runtime_locks():
        lock = locks.LOCKS[name]
        assert lock.runtime is not None
        assert locks.python_of(lock, "x86_64") == runtimes.get(lock.runtime).python
        assert "--only-binary=:all:" in locks.pip_compile_args(lock, repo_copy, repo_copy / "out.txt")
        assert f"# target: {lock.runtime} (" in lock.output(REPO).read_text()


def test_missing_lock_is_named_with_the_fix(repo_copy: Path) -> None:
    (repo_copy / "requirements" / "lint.txt").unlink()
    fresh, message = _lock_check(repo_copy)
    assert not fresh and "requirements/lint.txt (missing)" in message
    assert "run `nox -s lock`" in message


def test_lock_header_records_the_digest_check_compares(repo_copy: Path) -> None:
    lock = locks.LOCKS["lint"]
    compiled = repo_copy / "compiled.txt"
    compiled.write_text("ruff==0.0.1 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    with open(lock.source(repo_copy), "a") as handle:
        handle.write("# a comment changes the inputs\n")
    assert locks.stale_locks(["lint"], repo_copy, "x86_64") != []
    written = locks.write_lock(lock, repo_copy, "x86_64", compiled)
    assert written.read_text().endswith(compiled.read_text())
    assert locks.stale_locks(["lint"], repo_copy, "x86_64") == []


def test_every_session_has_a_docstring() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "--list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    sessions = [line for line in result.stdout.splitlines() if line[:2] in ("* ", "- ")]
    assert len(sessions) >= 5
    undocumented = [line for line in sessions if " -> " not in line]
    assert undocumented == []


def test_lint_lock_pins_the_same_ruff_as_dev() -> None:
    def pin(lock: str) -> str:
        match = re.search(r"^ruff==(\S+)", (REPO / "requirements" / f"{lock}.txt").read_text(), re.M)
        assert match, f"requirements/{lock}.txt does not pin ruff"
        return match.group(1)

    assert pin("lint") == pin("dev")


def test_lint_covers_every_python_file_of_the_sources() -> None:
    """ruff check and format share one exclude list; no source under tools/, packages/, tests/ is in it."""
    tracked = subprocess.run(
        ["git", "ls-files", "--", "tools/*.py", "packages/*.py", "tests/*.py", "noxfile.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    listed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--show-files", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files = [Path(line.strip()).resolve() for line in listed if line.strip().endswith(".py")]
    seen = {str(path.relative_to(REPO)) for path in files}
    assert len(tracked) > 100 and any(path.startswith("tools/build/") for path in tracked)
    assert sorted(set(tracked) - seen) == [], "pyproject.toml's extend-exclude hides these from ruff"


def test_lock_session_pins_the_same_pip_tools_as_dev() -> None:
    def pin(lock: str) -> str:
        text = (REPO / "requirements" / f"{lock}.txt").read_text()
        match = re.search(r"^pip-tools==(\S+)", text, re.M)
        assert match, f"requirements/{lock}.txt does not pin pip-tools"
        return match.group(1)

    assert pin("pip-tools") == pin("dev")


SYS_PATH_EDIT = re.compile(r"sys\.path\s*(\[[^\]]*\]\s*=|\+?=|\.(insert|append|extend)\()")


def test_tools_is_a_package_run_without_path_tricks() -> None:
    assert (REPO / "tools" / "__init__.py").is_file()
    assert not (REPO / "tools" / "packaging").exists(), "tools/packaging would shadow PyPA's packaging"
    offenders = []
    for path in [REPO / "noxfile.py", *sorted((REPO / "tools").rglob("*.py"))]:
        text = path.read_text()
        if SYS_PATH_EDIT.search(text) or '"-P"' in text or "python -P" in text:
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], "pass paths with PYTHONPATH or run `python -m tools.<module>` from the root"


def test_sys_path_guard_catches_the_edits_it_names() -> None:
    for edit in ('sys.path[0:0] = ["x"]', "sys.path[:] = []", 'sys.path.insert(0, "x")', "sys.path += []"):
        assert SYS_PATH_EDIT.search(edit), edit
    assert not SYS_PATH_EDIT.search("print(sys.path[0])")
