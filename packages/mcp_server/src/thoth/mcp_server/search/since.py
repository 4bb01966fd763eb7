"""recent_changes' `since`: an ISO date or time, or a duration back from now such as 7d, 12h or 2w."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

from thoth.mcp_server.protocol.tools import ToolArgumentError

_DURATION: Final = re.compile(r"(\d{1,6})\s*([hdw])", re.IGNORECASE)
_HOURS: Final = {"h": 1, "d": 24, "w": 24 * 7}
_FORMS: Final = "an ISO date such as 2026-11-30 (UTC), a time such as 2026-11-30T09:00:00Z, or 7d, 12h, 2w"


def parse_since(value: str, now: datetime, window_days: int) -> datetime:
    """The UTC moment `value` names; ToolArgumentError for garbage, the future, or past the window."""
    text = value.strip()
    shown = repr(text[:40])
    duration = _DURATION.fullmatch(text)
    if duration:
        hours = int(duration.group(1)) * _HOURS[duration.group(2).lower()]
        if hours == 0:
            raise ToolArgumentError(f"argument 'since' = {shown} is no time at all; use e.g. 1d or 12h")
        if hours > window_days * 24:
            raise _too_far(shown, window_days)
        return now - timedelta(hours=hours)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ToolArgumentError(
            f"argument 'since' = {shown} is not a date or a duration; use {_FORMS}"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment > now:
        raise ToolArgumentError(
            f"argument 'since' = {shown} is in the future (now is {now.isoformat(timespec='seconds')}); "
            "give a past date, or a duration such as 7d"
        )
    if now - moment > timedelta(days=window_days):
        raise _too_far(shown, window_days)
    return moment


def _too_far(shown: str, window_days: int) -> ToolArgumentError:
    return ToolArgumentError(
        f"argument 'since' = {shown} reaches back more than {window_days} days, and changes are kept "
        f"for {window_days} days only; use since={window_days}d or less"
    )
