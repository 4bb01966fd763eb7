"""Fixtures for the MCP search functional tests (defined in tests/mcp_search_support.py)."""

from __future__ import annotations

from tests.mcp_search_support import (  # noqa: F401  (pytest fixtures, used by name)
    built_encoder,
    encoder_env,
    encoder_fingerprint,
    published,
    sample_corpus,
)
