"""Fixtures for the security tests: the refresh fixtures, and a CA the git client trusts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.functional.refresh_service.conftest import embedder, real_embedder, services
from tests.support.git_hosts import Tls, make_tls

__all__ = ["embedder", "real_embedder", "services", "tls"]


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Tls:
    """A throwaway CA for the fake https git hosts, trusted through SSL_CERT_FILE (OpenSSL's default)."""
    made = make_tls(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(made.ca_file))
    return made
