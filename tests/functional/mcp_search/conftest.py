"""Fixtures for the MCP search functional tests (defined in tests/support/mcp_search.py)."""

from __future__ import annotations

from tests.support.mcp_search import (  # noqa: F401  (pytest fixtures, used by name)
    built_encoder,
    encoder_env,
    encoder_fingerprint,
    published,
    sample_corpus,
)
