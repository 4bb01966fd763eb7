"""Item store: DynamoDB on AWS, SQLite by default; conditional writes and TTL."""

from __future__ import annotations

from thoth.shared.config import Settings, get_settings
from thoth.shared.state.base import Item, StateStore, encode_value
from thoth.shared.state.dynamodb import DynamoStateStore
from thoth.shared.state.sqlite import SqliteStateStore

__all__ = ["DynamoStateStore", "Item", "SqliteStateStore", "StateStore", "encode_value", "state_store"]


def state_store(settings: Settings | None = None) -> StateStore:
    """DynamoDB when DYNAMODB_TABLE_NAME is set, else THOTH_HOME/state.sqlite3."""
    settings = settings or get_settings()
    if settings.dynamodb_table:
        return DynamoStateStore(settings.dynamodb_table, settings=settings)
    return SqliteStateStore(settings.home / "state.sqlite3")
