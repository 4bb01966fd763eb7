"""Build the services of a refresh from the process settings (shared by the handler and the CLI)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from thoth.refresh_service.embed import Embedder, SentenceTransformerEmbedder
from thoth.refresh_service.parse import max_file_bytes
from thoth.refresh_service.pipeline import Services
from thoth.refresh_service.publish import keep_versions
from thoth.shared.config import Settings, get_settings
from thoth.shared.secrets import Secrets
from thoth.shared.state import state_store
from thoth.shared.storage import object_store


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """One model per process: warm Lambda invocations reuse it."""
    return SentenceTransformerEmbedder()


def cache_dir(settings: Settings) -> Path:
    """Where git clones live: THOTH_CACHE_DIR, /tmp on Lambda (only it is writable), else THOTH_HOME/cache."""
    if os.environ.get("THOTH_CACHE_DIR"):
        return Path(os.environ["THOTH_CACHE_DIR"])
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return Path("/tmp/thoth-cache")
    return settings.home / "cache"


def build_services(settings: Settings | None = None, embedder: Embedder | None = None) -> Services:
    """Object store, state store, embedder and limits from the environment (validated)."""
    settings = settings or get_settings()
    return Services(
        store=object_store(settings),
        state=state_store(settings),
        embedder=embedder or default_embedder(),
        settings=settings,
        max_bytes=max_file_bytes(),
        keep=keep_versions(),
        cache_dir=cache_dir(settings),
        secrets=Secrets(settings),
    )
