"""Small fake wheels, sdists and hashed locks in a tmp find-links dir (no index is consulted)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path


def fake_wheel(
    dest: Path, name: str, version: str, tag: str = "py3-none-any", body: str = "VALUE = 42\n"
) -> Path:
    """A minimal but valid wheel with one package `name` (its module prints nothing at import)."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": body,
        f"{module}/tests/test_it.py": "def test(): pass\n",
        f"{module}/stub.pyi": "VALUE: int\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: true\nTag: {tag}\n",
        f"{info}/top_level.txt": f"{module}\n",
    }
    record = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    path = dest / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(member, text)
    return path


def fake_sdist(dest: Path, name: str, version: str) -> Path:
    """A buildable setuptools sdist (pip can prepare its metadata offline)."""
    module = name.replace("-", "_")
    path = dest / f"{module}-{version}.tar.gz"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "pyproject.toml": (
            '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        ),
        f"{module}/__init__.py": "",
    }
    with tarfile.open(path, "w:gz") as archive:
        for rel, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{module}-{version}/{rel}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def hashed_lock(path: Path, files: dict[str, Path], roots: set[str] | None = None) -> Path:
    """A pip-compile-style lock pinning each file's name==version with its sha256."""
    lines = ["# test lock\n"]
    for spec, file in sorted(files.items()):
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        name = spec.split("==")[0]
        via = "-r requirements/test.in" if roots is None or name in roots else "boto3"
        lines.append(f"{spec} \\\n    --hash=sha256:{digest}\n    # via {via}\n")
    path.write_text("".join(lines))
    return path


def offline_pip(links: Path) -> tuple[str, ...]:
    return ("--no-index", "--find-links", str(links))
