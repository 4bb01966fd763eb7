"""recent_changes' `since`: durations, ISO dates and times, and the values it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search.since import parse_since

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        (" 3D ", NOW - timedelta(days=3)),
        ("90d", NOW - timedelta(days=90)),
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T09:30:00Z", datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
        ("2026-11-30T10:30:00+01:00", datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
    ],
)
def test_accepted_forms(value: str, expected: datetime) -> None:
    assert parse_since(value, NOW, 90) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "not a date or a duration; use an ISO date"),
        ("7", "not a date or a duration"),
        ("-7d", "not a date or a duration"),
        ("7y", "not a date or a duration"),
        ("2026-13-01", "not a date or a duration"),
        ("0d", "no time at all"),
        ("2026-12-07", "in the future"),
        ("2026-12-06T12:00:01Z", "in the future"),
        ("91d", "more than 90 days"),
        ("13w", "more than 90 days"),
        ("999999d", "more than 90 days"),
        ("9999999999999d", "not a date or a duration"),
        ("2020-01-01", "use since=90d or less"),
        ("0001-01-01", "more than 90 days"),
    ],
)
def test_refused_values_say_why_and_what_to_use(value: str, message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        parse_since(value, NOW, 90)


def test_the_window_follows_the_retention_setting() -> None:
    assert parse_since("30d", NOW, 30) == NOW - timedelta(days=30)
    with pytest.raises(ToolArgumentError, match="kept for 30 days"):
        parse_since("31d", NOW, 30)
