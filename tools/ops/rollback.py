"""`nox -s rollback -- <env>`: move `live` back to the newest older version that passes its smoke test."""

from __future__ import annotations

from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import lambda_ops, version_smoke


def _version_smoke(session: Session, which: str, function: str, version: str) -> version_smoke.SmokeResult:
    """Smoke-test a published version before `live` points at it (never after)."""
    if which == "refresh-service":
        got = session.cli.run("lambda", "get-function", "--function-name", function, "--qualifier", version)
        return version_smoke.refresh_service(
            session, function, version, str(got.get("Code", {}).get("ImageUri", ""))
        )
    if session.env.embedded:
        return version_smoke.run_local(session, function, version)
    return version_smoke.invoke_version(session, function, version)


def rollback(session: Session, which: str = "mcp-server", to: str | None = None) -> int:
    """Move `live` to the newest older version that passes its smoke test (or to `to`, if it passes)."""
    function = session.env.function(which)
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
            result = version_smoke.SmokeResult(False, "error", str(exc))
        if result.passed:
            lambda_ops.move_alias(session, function, version)
            print(f"rollback {session.env.name}: {function} `live` {current} -> {version} ({result.detail})")
            return 0
        print(f"  version {version} fails its smoke test ({result.detail}); not moving `live` there")
    raise DeployError(
        f"{function}: no older version passes its smoke test ({', '.join(candidates)}); `live` stays on "
        f"{current}; deploy a fix instead"
    )
