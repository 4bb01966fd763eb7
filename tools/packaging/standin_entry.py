"""A tiny stand-in for the Lambda runtime interface client: `entry <module.function>`.

Reads the event as JSON from $LAMBDA_EVENT_FILE (default: stdin), calls the handler once with a
context that has the usual attributes, prints the JSON result as the last stdout line.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid


class Context:
    def __init__(self, name: str, timeout_s: float) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
        self.memory_limit_in_mb = 3008
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "standin"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    if len(sys.argv) != 2 or "." not in sys.argv[1]:
        print("usage: lambda-entrypoint <module.function>", file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    module_name, _, attribute = sys.argv[1].rpartition(".")
    path = os.environ.get("LAMBDA_EVENT_FILE")
    if path:
        with open(path) as handle:
            event = json.load(handle)
    else:
        raw = sys.stdin.read()
        event = json.loads(raw) if raw.strip() else {}
    context = Context(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "thoth-refresh"), 900.0)
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
        result = handler(event, context)
    except Exception as exc:
        traceback.print_exc()
        print(json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}))
        sys.exit(1)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
