"""Every error class Thoth defines derives from ThothError, so one place can map failures to callers."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from thoth.shared.errors import ThothError

PACKAGES = Path(__file__).resolve().parents[2] / "packages"


def _thoth_modules() -> list[str]:
    """Every module of the three distributions, from their source trees (editable installs hide them)."""
    names = []
    for path in sorted(PACKAGES.glob("*/src/thoth/**/*.py")):
        parts = path.relative_to(PACKAGES).with_suffix("").parts[2:]  # drop <dist>/src
        names.append(".".join(p for p in parts if p != "__init__"))
    return names


def test_every_error_class_derives_from_thoth_error() -> None:
    strays = []
    modules = _thoth_modules()
    assert len(modules) > 60 and "thoth.mcp_server.protocol.dispatch" in modules
    for name in modules:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, BaseException) and not issubclass(cls, ThothError):
                strays.append(f"{name}.{cls.__name__}")
    assert strays == []
