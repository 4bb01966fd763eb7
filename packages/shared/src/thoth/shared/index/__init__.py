"""The index-version format: the refresh service writes it, the MCP server reads it."""

from __future__ import annotations

from thoth.shared.index.fetch import open_version
from thoth.shared.index.format import (
    FILES,
    FORMAT_VERSION,
    Chunk,
    Manifest,
    ModelInfo,
    version_prefix,
)
from thoth.shared.index.keyword import KeywordIndex
from thoth.shared.index.loaded import LoadedIndex, Pages
from thoth.shared.index.reader import download_version, load_version
from thoth.shared.index.table import memory_budget
from thoth.shared.index.writer import verify_version, write_version
from thoth.shared.live import LivePointer, list_live, read_live, swap_live

__all__ = [
    "FILES",
    "FORMAT_VERSION",
    "Chunk",
    "KeywordIndex",
    "LivePointer",
    "LoadedIndex",
    "Manifest",
    "ModelInfo",
    "Pages",
    "download_version",
    "list_live",
    "load_version",
    "memory_budget",
    "open_version",
    "read_live",
    "swap_live",
    "verify_version",
    "version_prefix",
    "write_version",
]
