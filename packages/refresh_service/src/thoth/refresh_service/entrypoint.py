"""Container entrypoint: AWS's runtime interface client on Lambda, one local invocation elsewhere.

The image builds on a Debian python:3.11 base, not the AWS Lambda python3.11 base image: that one
runs on glibc 2.26, and torch 2.13's CPU wheels need glibc 2.28 (manylinux_2_28). awslambdaric is
the runtime interface client the AWS base images use themselves; it serves the Lambda Runtime API.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
from typing import Any

from thoth.refresh_service.settings import RuntimeSettings, load_runtime_settings
from thoth.shared.errors import ConfigError
from thoth.shared.lambda_context import LocalContext

USAGE = "usage: python -m thoth.refresh_service.entrypoint <module.function>"


def invoke_once(
    handler_name: str, raw_event: str, runtime: RuntimeSettings | None = None
) -> tuple[int, dict[str, Any]]:
    """(exit code, result) of calling the handler once on a JSON event, like `sam local invoke`."""
    try:
        event = json.loads(raw_event) if raw_event.strip() else {}
    except ValueError as exc:
        return 2, {"errorType": "InvalidEvent", "errorMessage": f"the event is not JSON: {exc}"}
    try:
        runtime = runtime or load_runtime_settings()
    except ConfigError as exc:
        return 2, {"errorType": "ConfigError", "errorMessage": str(exc)}
    module_name, _, attribute = handler_name.rpartition(".")
    context = LocalContext(runtime.function_name, runtime.timeout_s)
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
    try:
        runtime = load_runtime_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if runtime.runtime_api:
        from awslambdaric.__main__ import main as ric_main  # only inside the image / on Lambda

        ric_main([argv[0], argv[1]])
        return 0
    if runtime.event_file is not None:
        try:
            raw = runtime.event_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(
                f"error: LAMBDA_EVENT_FILE={str(runtime.event_file)!r} cannot be read ({exc}); "
                "point it at a JSON event file or unset it to read the event from stdin",
                file=sys.stderr,
            )
            return 2
    else:
        raw = sys.stdin.read()
    code, result = invoke_once(argv[1], raw, runtime)
    print(json.dumps(result, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main())
