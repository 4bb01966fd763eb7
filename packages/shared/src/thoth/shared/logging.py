"""One JSON object per log line for CloudWatch, with secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import Any

REDACTED = "[REDACTED]"
_STD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_secrets: set[str] = set()
_lock = threading.Lock()
_context: dict[str, str] = {}


def register_secret(value: str | None) -> None:
    """Never print `value` again: every later log line replaces it with [REDACTED]."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def set_request_id(request_id: str | None) -> None:
    """Attach the Lambda request id to every line until it is changed."""
    if request_id:
        _context["request_id"] = request_id
    else:
        _context.pop("request_id", None)


def redact(text: str) -> str:
    """`text` with every registered secret replaced."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: level, message, logger, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "time": round(record.created, 3),
        }
        payload.update(_context)
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str, ensure_ascii=False))


class StdoutHandler(logging.Handler):
    """Writes to whatever sys.stdout is at emit time (Lambda and test capture swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _is_plain_console(handler: logging.Handler) -> bool:
    # Lambda's runtime installs its own text handler; replace it so every line is JSON.
    if type(handler).__name__ == "LambdaLoggerHandler":
        return True
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stdout, sys.stderr)


def configure(level: str = "INFO") -> None:
    """Route the root logger to stdout as JSON lines (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(h, StdoutHandler) for h in root.handlers):
        for handler in [h for h in root.handlers if _is_plain_console(h)]:
            root.removeHandler(handler)
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def get_logger(name: str) -> logging.Logger:
    """A standard logger; call `configure` once at process start."""
    return logging.getLogger(name)
