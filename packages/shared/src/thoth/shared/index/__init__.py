"""The index-version format: the refresh service writes it, the MCP server reads it.

The names below load on first use (PEP 562): `format`, `table` and `expect` are numpy-free, and
the MCP server's /health path reads a manifest through them without paying for numpy and
zstandard, which the loaders import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thoth.shared.index.fetch import open_version as open_version
    from thoth.shared.index.format import FILES as FILES
    from thoth.shared.index.format import FORMAT_VERSION as FORMAT_VERSION
    from thoth.shared.index.format import Chunk as Chunk
    from thoth.shared.index.format import Manifest as Manifest
    from thoth.shared.index.format import ModelInfo as ModelInfo
    from thoth.shared.index.format import version_prefix as version_prefix
    from thoth.shared.index.keyword import KeywordIndex as KeywordIndex
    from thoth.shared.index.loaded import LoadedIndex as LoadedIndex
    from thoth.shared.index.loaded import Pages as Pages
    from thoth.shared.index.reader import download_version as download_version
    from thoth.shared.index.reader import load_version as load_version
    from thoth.shared.index.table import memory_budget as memory_budget
    from thoth.shared.index.writer import verify_version as verify_version
    from thoth.shared.index.writer import write_version as write_version
    from thoth.shared.live import LivePointer as LivePointer
    from thoth.shared.live import list_live as list_live
    from thoth.shared.live import read_live as read_live
    from thoth.shared.live import swap_live as swap_live

_HOMES = {
    "thoth.shared.index.fetch": ("open_version",),
    "thoth.shared.index.format": (
        "FILES",
        "FORMAT_VERSION",
        "Chunk",
        "Manifest",
        "ModelInfo",
        "version_prefix",
    ),
    "thoth.shared.index.keyword": ("KeywordIndex",),
    "thoth.shared.index.loaded": ("LoadedIndex", "Pages"),
    "thoth.shared.index.reader": ("download_version", "load_version"),
    "thoth.shared.index.table": ("memory_budget",),
    "thoth.shared.index.writer": ("verify_version", "write_version"),
    "thoth.shared.live": ("LivePointer", "list_live", "read_live", "swap_live"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME_OF])
