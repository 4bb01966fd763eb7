"""Container entrypoint: AWS's runtime interface client on Lambda, one local invocation elsewhere.

The image builds on a Debian python:3.11 base, not the AWS Lambda python3.11 base image: that one
runs on glibc 2.26, and torch 2.13's CPU wheels need glibc 2.28 (manylinux_2_28). awslambdaric is
the runtime interface client the AWS base images use themselves; it serves the Lambda Runtime API.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any

USAGE = "usage: python -m thoth.refresh_service.entrypoint <module.function>"


class LocalContext:
    """The attributes of a Lambda context that handlers read, for a local invocation."""

    def __init__(self, function_name: str, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 3008
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke_once(handler_name: str, raw_event: str) -> tuple[int, dict[str, Any]]:
    """(exit code, result) of calling the handler once on a JSON event, like `sam local invoke`."""
    try:
        event = json.loads(raw_event) if raw_event.strip() else {}
    except ValueError as exc:
        return 2, {"errorType": "InvalidEvent", "errorMessage": f"the event is not JSON: {exc}"}
    module_name, _, attribute = handler_name.rpartition(".")
    timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "900"))
    context = LocalContext(
        os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "thoth-local-refresh-service"), timeout_s
    )
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
        result = handler(event, context)
    except Exception as exc:
        traceback.print_exc()
        return 1, {"errorType": type(exc).__name__, "errorMessage": str(exc)}
    return 0, result if isinstance(result, dict) else {"result": result}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    if len(argv) != 2 or "." not in argv[1]:
        print(USAGE, file=sys.stderr)
        return 2
    if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
        from awslambdaric.__main__ import main as ric_main  # only inside the image / on Lambda

        ric_main([argv[0], argv[1]])
        return 0
    path = os.environ.get("LAMBDA_EVENT_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
    else:
        raw = sys.stdin.read()
    code, result = invoke_once(argv[1], raw)
    print(json.dumps(result, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main())
