"""Day-two commands: `rollback`, `logs` and `refresh_remote`."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from tools.deploy import lambda_ops, smoke
from tools.deploy.errors import DeployError
from tools.deploy.session import Session

FUNCTIONS = ("mcp-server", "refresh-service")


def _function(session: Session, which: str) -> str:
    if which not in FUNCTIONS:
        raise DeployError(f"unknown function {which!r}; use one of {', '.join(FUNCTIONS)}")
    return session.env.mcp_function if which == "mcp-server" else session.env.refresh_function


def _version_smoke(session: Session, which: str, function: str, version: str) -> smoke.SmokeResult:
    """Smoke-test a published version before `live` points at it (never after)."""
    if which == "refresh-service":
        got = session.cli.run("lambda", "get-function", "--function-name", function, "--qualifier", version)
        return smoke.refresh_service(session, function, version, str(got.get("Code", {}).get("ImageUri", "")))
    if session.env.embedded:
        return smoke.run_local(session, function, version)
    return smoke.invoke_version(session, function, version)


def rollback(session: Session, which: str = "mcp-server", to: str | None = None) -> int:
    """Move `live` to the newest older version that passes its smoke test (or to `to`, if it passes)."""
    function = _function(session, which)
    current = lambda_ops.alias_version(session, function)
    versions = lambda_ops.list_versions(session, function)
    if to is not None:
        if not to.isdigit():
            raise DeployError(f"--to {to!r} is not a version number; pick one of {', '.join(versions)}")
        if to not in versions:
            raise DeployError(f"{function} has no version {to}; published versions: {', '.join(versions)}")
        if to == current:
            print(f"rollback {session.env.name}: {function} `live` already on version {to}; nothing to do")
            return 0
        candidates = [to]
    else:
        candidates = [v for v in reversed(versions) if current.isdigit() and int(v) < int(current)]
        if not candidates:
            raise DeployError(
                f"{function}: `live` is on version {current} and there is no older version to go to"
            )
    for version in candidates:
        try:
            result = _version_smoke(session, which, function, version)
        except DeployError as exc:
            result = smoke.SmokeResult(False, "error", str(exc))
        if result.passed:
            lambda_ops.move_alias(session, function, version)
            print(f"rollback {session.env.name}: {function} `live` {current} -> {version} ({result.detail})")
            return 0
        print(f"  version {version} fails its smoke test ({result.detail}); not moving `live` there")
    raise DeployError(
        f"{function}: no older version passes its smoke test ({', '.join(candidates)}); `live` stays on "
        f"{current}; deploy a fix instead"
    )


def parse_since(since: str) -> int:
    """`30s`, `15m`, `1h`, `2d` -> milliseconds."""
    units = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
    number, unit = since[:-1], since[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise DeployError(f"--since {since!r} is not a duration; use e.g. 30s, 15m, 1h or 2d")
    return int(number) * units[unit]


def logs(session: Session, which: str = "mcp-server", follow: bool = False, since: str = "1h") -> int:
    """Print a function's log events (like `aws logs tail`, which awscli v1 lacks); --follow polls."""
    function = _function(session, which)
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


def refresh_remote(session: Session, source: str = "all") -> int:
    """Invoke the refresh function's `live` alias and print its run report."""
    if session.env.embedded:
        raise DeployError(
            "moto cannot execute Lambda code, so `refresh_remote` needs a real environment; "
            "refresh locally with `nox -s refresh` instead"
        )
    if source == "all":
        payload: dict[str, object] = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    else:
        payload = {"source": source}
    function = session.env.refresh_function
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        meta = session.cli.run(
            "lambda",
            "invoke",
            "--function-name",
            function,
            "--qualifier",
            lambda_ops.ALIAS,
            "--cli-binary-format",
            "raw-in-base64-out",
            "--cli-read-timeout",
            "960",
            "--payload",
            json.dumps(payload),
            str(out),
        )
        report = json.loads(out.read_text() or "{}")
    print(json.dumps(report, indent=2, sort_keys=True))
    if meta.get("FunctionError") or report.get("status") == "error":
        raise DeployError(
            f"the refresh of {source} failed: {report.get('error') or meta.get('FunctionError')}"
        )
    return 0
