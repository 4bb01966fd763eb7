"""`nox -s refresh_remote -- <env> [source]`: invoke the deployed refresh function and print its report."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import lambda_ops


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
