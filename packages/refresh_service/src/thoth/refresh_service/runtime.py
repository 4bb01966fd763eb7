"""Build the services of a refresh from the process settings (shared by the handler and the CLI)."""

from __future__ import annotations

from functools import lru_cache

from thoth.refresh_service.embed import Embedder, SentenceTransformerEmbedder
from thoth.refresh_service.runs import Services
from thoth.refresh_service.settings import RefreshSettings, load_refresh_settings
from thoth.shared.config import Settings, get_settings
from thoth.shared.secrets import Secrets
from thoth.shared.state import state_store
from thoth.shared.storage import object_store


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """One model per process: warm Lambda invocations reuse it."""
    return SentenceTransformerEmbedder()


def build_services(
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    refresh: RefreshSettings | None = None,
) -> Services:
    """Object store, state store, embedder and limits from the environment (validated)."""
    settings = settings or get_settings()
    refresh = refresh or load_refresh_settings()
    return Services(
        store=object_store(settings),
        state=state_store(settings),
        embedder=embedder or default_embedder(),
        settings=settings,
        refresh=refresh,
        secrets=Secrets(settings),
    )
