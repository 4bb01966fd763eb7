"""Fixtures for refresh functional tests: the real model, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.refresh import CountingEmbedder, make_services
from thoth.refresh_service.embed import Embedder
from thoth.refresh_service.runs import Services


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    """all-MiniLM-L6-v2, shared by every test (and by the handler through runtime.default_embedder)."""
    from thoth.refresh_service.runtime import default_embedder

    embedder = default_embedder()
    embedder.encode(["warm up"])
    return embedder


@pytest.fixture
def embedder(real_embedder: Embedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture
def services(tmp_path: Path, embedder: CountingEmbedder) -> Services:
    return make_services(tmp_path / "home", embedder)
