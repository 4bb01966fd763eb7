"""`nox -s refresh_remote -- <env> [source]`: invoke the deployed refresh function and print its report.

In `local` moto cannot run Lambda code, so the refresh handler runs in this process on the embedded
AWS instead (tools/ops/rehearsal.py), with the event the schedule would send.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import lambda_ops


def scheduled_event(session: Session) -> dict[str, Any]:
    """The event the EventBridge schedule sends the refresh function's `live` alias, read from the rule.

    A target without custom input (infra/modules/refresh_service) receives EventBridge's own
    "Scheduled Event"; a target with `Input` receives that JSON instead.
    """
    env, cli = session.env, session.cli
    alias = cli.try_run(
        "lambda", "get-alias", "--function-name", env.refresh_function, "--name", lambda_ops.ALIAS,
        missing=("ResourceNotFoundException",),
    )  # fmt: skip
    fix = f"run `nox -s infra -- {env.name} apply` (it creates the function, its alias and the schedule)"
    if alias is None:
        raise DeployError(f"{env.refresh_function} has no `{lambda_ops.ALIAS}` alias; {fix}")
    target_arn = str(alias["AliasArn"])
    names = cli.run("events", "list-rule-names-by-target", "--target-arn", target_arn).get("RuleNames", [])
    for name in names:
        rule = cli.run("events", "describe-rule", "--name", name)
        if not rule.get("ScheduleExpression"):
            continue
        targets = cli.run("events", "list-targets-by-rule", "--rule", name).get("Targets", [])
        target = next((t for t in targets if t.get("Arn") == target_arn), None)
        if target is None:
            continue
        if target.get("InputPath") or target.get("InputTransformer"):
            raise DeployError(f"rule {name} reshapes its event (InputPath/InputTransformer); send it by hand")
        if target.get("Input"):
            return dict(json.loads(target["Input"]))
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": session.account_id(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": env.region,
            "resources": [str(rule["Arn"])],
            "detail": {},
        }
    raise DeployError(f"no EventBridge schedule targets {target_arn}; {fix}")


def event_for(session: Session, source: str) -> dict[str, Any]:
    """`all`: the scheduled event (every source, incremental); else a manual refresh of one source."""
    return scheduled_event(session) if source == "all" else {"source": source}


def refresh_remote(session: Session, source: str = "all") -> int:
    """Invoke the refresh function's `live` alias and print its run report."""
    if session.env.embedded:
        from tools.ops import rehearsal

        return rehearsal.refresh(session, source)
    payload = event_for(session, source)
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
