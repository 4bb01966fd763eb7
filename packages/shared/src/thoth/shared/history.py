"""Change records beside the index versions: where they live, how long they are kept, how big they may be.

The refresh writes one record per published version, `history/<source>/<version>.json`, and the
MCP server's recent_changes tool reads them. Version names start with their UTC publish time
(`v20260101-120000-123456-ab12`), so both sides can tell a record's age from its key alone:
the refresh deletes records past the retention window, and a reader fetches only the records
newer than what it was asked about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from thoth.shared.env import env_int
from thoth.shared.errors import IndexFormatError

if TYPE_CHECKING:  # the MCP server's settings read history_days: no storage import on its cold path
    from thoth.shared.storage import ObjectStore

RECORD_FORMAT: Final = 1
PREFIX: Final = "history/"
DEFAULT_DAYS: Final = 90
MAX_DAYS: Final = 3660
MAX_RECORD_BYTES: Final = 4 * 1024 * 1024  # a record past this is refused by readers, trimmed by writers
_VERSION_TIME_RE: Final = re.compile(r"v(\d{8}-\d{6}-\d{6})-")


def history_days(env: Mapping[str, str]) -> int:
    """THOTH_HISTORY_DAYS in `env` (each service's settings module passes it): days a change record is
    kept, and how far back recent_changes may look."""
    return env_int(env, "THOTH_HISTORY_DAYS", DEFAULT_DAYS, 1, MAX_DAYS, unit="a whole number of days")


def record_key(source: str, version: str) -> str:
    return f"{PREFIX}{source}/{version}.json"


def version_time(version: str) -> datetime | None:
    """The UTC publish time a version name starts with (None for a name of another shape)."""
    found = _VERSION_TIME_RE.match(version)
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def record_versions(store: ObjectStore, source: str) -> Iterator[tuple[str, datetime]]:
    """(version, publish time) of every record of `source`, in no particular order."""
    prefix = f"{PREFIX}{source}/"
    for key in store.list(prefix):
        name = key[len(prefix) :]
        if name.endswith(".json") and "/" not in name:
            when = version_time(name[: -len(".json")])
            if when is not None:
                yield name[: -len(".json")], when


def read_record(store: ObjectStore, source: str, version: str) -> dict[str, Any]:
    """One record, checked for its shape; IndexFormatError when it is not a record this code wrote."""
    key = record_key(source, version)
    data = store.get(key)
    if len(data) > MAX_RECORD_BYTES:
        raise IndexFormatError(f"change record {key} is {len(data)} bytes, over {MAX_RECORD_BYTES}")
    try:
        record = json.loads(data)
    except ValueError:
        raise IndexFormatError(f"change record {key} is not JSON") from None
    if (
        not isinstance(record, dict)
        or record.get("format") != RECORD_FORMAT
        or not isinstance(record.get("pages"), list)
    ):
        raise IndexFormatError(f"change record {key} has an unknown format")
    return record
