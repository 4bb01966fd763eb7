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


# Third-party loggers stay at WARNING or above whatever LOG_LEVEL says: botocore logs response
# bodies (a GetSecretValue answer holds the secret) at DEBUG, before any redaction can know them.
QUIET_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "dulwich", "filelock", "huggingface_hub")
STREAMS = ("stdout", "stderr")


class StreamHandler(logging.Handler):
    """Writes to whatever sys.stdout / sys.stderr is at emit time (Lambda and test capture swap it)."""

    def __init__(self, stream: str = "stdout") -> None:
        super().__init__()
        if stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}")
        self.stream_name = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            out = sys.stdout if self.stream_name == "stdout" else sys.stderr
            out.write(self.format(record) + "\n")
            out.flush()
        except Exception:
            self.handleError(record)


def _is_plain_console(handler: logging.Handler) -> bool:
    # Lambda's runtime installs its own text handler; replace it so every line is JSON.
    if type(handler).__name__ == "LambdaLoggerHandler":
        return True
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stdout, sys.stderr)


def configure(level: str = "INFO", stream: str | None = None) -> None:
    """Route the root logger to one stream as JSON lines (idempotent).

    Lambda reads stdout (the default); command-line tools pass stream="stderr" so stdout carries
    only their result. stream=None keeps the stream an earlier call chose.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, StreamHandler)]
    if ours:
        for handler in ours:
            handler.stream_name = stream or handler.stream_name
    else:
        for old in [h for h in root.handlers if _is_plain_console(h)]:
            root.removeHandler(old)
        handler = StreamHandler(stream or "stdout")
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    floor = max(logging.WARNING, root.level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(floor)


def is_configured() -> bool:
    """True once `configure` has installed Thoth's handler on the root logger."""
    return any(isinstance(h, StreamHandler) for h in logging.getLogger().handlers)


def get_logger(name: str) -> logging.Logger:
    """A standard logger; call `configure` once at process start."""
    return logging.getLogger(name)
