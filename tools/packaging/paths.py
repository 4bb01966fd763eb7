"""Where inputs and outputs live in the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
LAYERS = ROOT / "lambda-layers"
FUNCTIONS = ROOT / "lambda-functions"
BUILD = ROOT / "build"
CACHE = BUILD / "cache"
ENCODER = BUILD / "encoder"
PACKAGING_CODE = Path(__file__).resolve().parent


def code_files(*modules: str) -> list[Path]:
    """The builder modules that shape an artifact's bytes: a change to them invalidates its cache."""
    return sorted(PACKAGING_CODE / f"{module}.py" for module in ("artifact", "errors", *modules))
