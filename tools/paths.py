"""Where the repository's inputs and outputs live, for build, deploy and bench alike (stdlib only)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
LAYERS = ROOT / "lambda-layers"
FUNCTIONS = ROOT / "lambda-functions"
BUILD = ROOT / "build"
CACHE = BUILD / "cache"
ENCODER = BUILD / "encoder"
CONTAINER_RECORD = BUILD / "container.json"
