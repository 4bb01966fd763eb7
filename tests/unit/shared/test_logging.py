"""JSON log lines with request ids and extras; registered secrets never appear."""

from __future__ import annotations

import json
import logging

import pytest

from thoth.shared import logging as tlog


@pytest.fixture
def capture(capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    tlog.configure("DEBUG")
    return capsys


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_one_json_object_per_line(capture: pytest.CaptureFixture[str]) -> None:
    tlog.set_request_id("req-123")
    try:
        tlog.get_logger("thoth.test").info("indexed %d files", 3, extra={"source": "handbook"})
    finally:
        tlog.set_request_id(None)
    [record] = lines(capture)
    assert record["level"] == "INFO"
    assert record["message"] == "indexed 3 files"
    assert record["logger"] == "thoth.test"
    assert record["request_id"] == "req-123"
    assert record["source"] == "handbook"


def test_registered_secret_is_redacted_everywhere(capture: pytest.CaptureFixture[str]) -> None:
    secret = "glpat-SuperSecretToken123"
    tlog.register_secret(secret)
    log = tlog.get_logger("thoth.test")
    log.warning("cloning https://oauth2:%s@gitlab.com/x.git", secret, extra={"token": secret})
    try:
        raise RuntimeError(f"auth failed with {secret}")
    except RuntimeError:
        log.exception("boom")
    out = capture.readouterr().out
    assert secret not in out
    assert out.count(tlog.REDACTED) >= 3
    assert all(json.loads(line) for line in out.splitlines())


def test_configure_is_idempotent(capture: pytest.CaptureFixture[str]) -> None:
    tlog.configure("INFO")
    tlog.configure("INFO")
    logging.getLogger("x").info("once")
    assert len(lines(capture)) == 1
