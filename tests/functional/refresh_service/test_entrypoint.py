"""The refresh image's entrypoint: awslambdaric against a Runtime API, one invocation elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

HANDLERS = """
def echo(event, context):
    return {"status": "ok", "event": event, "remaining_ok": context.get_remaining_time_in_millis() > 0}

def boom(event, context):
    raise RuntimeError("refresh failed on purpose")

def context(event, context):
    return {
        "name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "memory_mb": context.memory_limit_in_mb,
    }
"""


@pytest.fixture
def handler_path(tmp_path: Path) -> Path:
    (tmp_path / "fake_handlers.py").write_text(HANDLERS)
    return tmp_path


def run(args: list[str], handler_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": f"{handler_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    environment.pop("AWS_LAMBDA_RUNTIME_API", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service.entrypoint", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def last_json(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return result


def test_local_invocation_prints_the_result(handler_path: Path) -> None:
    proc = run(["fake_handlers.echo"], handler_path, stdin='{"source": "handbook"}')
    assert proc.returncode == 0, proc.stderr
    assert last_json(proc.stdout) == {"status": "ok", "event": {"source": "handbook"}, "remaining_ok": True}


def test_event_from_file(handler_path: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"mode": "full"}')
    proc = run(["fake_handlers.echo"], handler_path, LAMBDA_EVENT_FILE=str(event))
    assert last_json(proc.stdout)["event"] == {"mode": "full"}


@pytest.mark.parametrize(
    ("args", "stdin", "code", "error"),
    [
        ([], "", 2, None),
        (["nodots"], "", 2, None),
        (["fake_handlers.echo"], "{not json", 2, "InvalidEvent"),
        (["fake_handlers.boom"], "{}", 1, "RuntimeError"),
        (["fake_handlers.missing"], "{}", 1, "AttributeError"),
        (["no_such_module.handler"], "{}", 1, "ModuleNotFoundError"),
    ],
)
def test_bad_input_gives_a_clear_error(
    handler_path: Path, args: list[str], stdin: str, code: int, error: str | None
) -> None:
    proc = run(args, handler_path, stdin=stdin)
    assert proc.returncode == code
    if error is None:
        assert "usage:" in proc.stderr
    else:
        assert last_json(proc.stdout)["errorType"] == error


def test_function_name_and_timeout_come_from_the_environment(handler_path: Path) -> None:
    default = last_json(run(["fake_handlers.context"], handler_path, stdin="{}").stdout)
    assert default["name"] == "thoth-local-refresh-service" and 850_000 < default["remaining_ms"] <= 900_000
    proc = run(
        ["fake_handlers.context"],
        handler_path,
        stdin="{}",
        AWS_LAMBDA_FUNCTION_NAME="thoth-dev-refresh",
        AWS_LAMBDA_FUNCTION_TIMEOUT="120",
    )
    result = last_json(proc.stdout)
    assert result["name"] == "thoth-dev-refresh" and 60_000 < result["remaining_ms"] <= 120_000
    assert result["memory_mb"] == 3008


@pytest.mark.parametrize("value", ["fifteen minutes", "0", "901", "9" * 5000])
def test_malformed_timeout_is_refused_with_the_fix(handler_path: Path, value: str) -> None:
    proc = run(["fake_handlers.echo"], handler_path, stdin="{}", AWS_LAMBDA_FUNCTION_TIMEOUT=value)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "AWS_LAMBDA_FUNCTION_TIMEOUT=" in proc.stderr and "between 1.0 and 900.0" in proc.stderr


def test_unreadable_event_file_names_the_variable(handler_path: Path, tmp_path: Path) -> None:
    proc = run(["fake_handlers.echo"], handler_path, LAMBDA_EVENT_FILE=str(tmp_path / "missing.json"))
    assert proc.returncode == 2
    assert "LAMBDA_EVENT_FILE=" in proc.stderr and "unset it to read the event from stdin" in proc.stderr


class RuntimeApi(BaseHTTPRequestHandler):
    """Just enough of the Lambda Runtime API for one invocation."""

    protocol_version = "HTTP/1.1"

    events: list[bytes] = []
    responses: dict[str, Any] = {}
    done = threading.Event()

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if not self.path.endswith("/runtime/invocation/next") or not self.events:
            time.sleep(30)  # no more work: hold the client until the test ends
            return
        body = self.events.pop(0)
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:0:function:f")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-0-0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.responses[self.path] = json.loads(self.rfile.read(length) or b"null")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.done.set()


@pytest.fixture
def runtime_api() -> Iterator[str]:
    RuntimeApi.events = [b'{"source": "handbook", "mode": "incremental"}']
    RuntimeApi.responses = {}
    RuntimeApi.done = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_on_lambda_the_runtime_interface_client_serves_the_handler(
    handler_path: Path, runtime_api: str
) -> None:
    environment = {**os.environ, "PYTHONPATH": str(handler_path), "AWS_LAMBDA_RUNTIME_API": runtime_api}
    proc = subprocess.Popen(
        [sys.executable, "-m", "thoth.refresh_service.entrypoint", "fake_handlers.echo"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert RuntimeApi.done.wait(30), "awslambdaric never posted a response"
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    response = RuntimeApi.responses["/2018-06-01/runtime/invocation/req-1/response"]
    assert response["status"] == "ok"
    assert response["event"] == {"source": "handbook", "mode": "incremental"}
