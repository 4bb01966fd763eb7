"""`nox -s logs -- <env>`: a function's log events, like `aws logs tail` (which awscli v1 lacks)."""

from __future__ import annotations

import time

from tools.aws.errors import DeployError
from tools.aws.session import Session


def parse_since(since: str) -> int:
    """`30s`, `15m`, `1h`, `2d` -> milliseconds."""
    units = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    number, unit = since[:-1], since[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise DeployError(f"--since {since!r} is not a duration; use e.g. 30s, 15m, 1h or 2d")
    return int(number) * units[unit]


def logs(session: Session, which: str = "mcp-server", follow: bool = False, since: str = "1h") -> int:
    """Print a function's log events (like `aws logs tail`, which awscli v1 lacks); --follow polls."""
    function = session.env.function(which)
    group = f"/aws/lambda/{function}"
    start = int(time.time() * 1000) - parse_since(since)
    seen: set[str] = set()
    shown = 0
    while True:
        found = session.cli.try_run(
            "logs",
            "filter-log-events",
            "--log-group-name",
            group,
            "--start-time",
            str(start),
            missing=("ResourceNotFoundException",),
        )
        if found is None:
            raise DeployError(
                f"log group {group} does not exist; run `nox -s infra -- {session.env.name} apply`"
            )
        for event in found.get("events", []):
            if event["eventId"] in seen:
                continue
            seen.add(event["eventId"])
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["timestamp"] / 1000))
            print(f"{stamp} {event.get('logStreamName', '')} {event['message'].rstrip()}")
            start = max(start, int(event["timestamp"]))
            shown += 1
        if not follow:
            break
        time.sleep(2)
    print(f"logs {session.env.name}: {shown} event(s) from {group} in the last {since}")
    return 0
