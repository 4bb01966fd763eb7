"""Finding 2: LOG_LEVEL=DEBUG writes no secret: third-party loggers stay at WARNING whatever it says."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from thoth.shared import logging as thoth_logging
from thoth.shared.config import get_settings
from thoth.shared.secrets import Secrets

SECRET = "sk-live-DebugLevelMustNotPrintThis-0123"
INFRA = Path(__file__).resolve().parents[3] / "infra"


@pytest.fixture
def debug_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in thoth_logging.QUIET_LOGGERS}
    thoth_logging.configure("DEBUG", stream="stdout")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ENVIRONMENT", "dev")
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "aws")
    get_settings.cache_clear()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name="thoth/dev/api-key", SecretString=f'["{SECRET}"]')
        client.create_secret(Name="thoth/dev/gitlab-token", SecretString=SECRET[::-1])
        yield


def test_debug_level_keeps_secret_values_out_of_every_line(
    debug_logging: None, secretsmanager: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("thoth.test").debug("thoth's own debug lines still print")
    secrets = Secrets()
    assert secrets.get("api-key") == f'["{SECRET}"]'
    assert secrets.get("gitlab-token") == SECRET[::-1]
    out = capsys.readouterr()
    assert "thoth's own debug lines still print" in out.out
    for value in (SECRET, SECRET[::-1]):
        assert value not in out.out and value not in out.err
    for name in ("botocore", "boto3", "urllib3", "dulwich", "s3transfer"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name


def test_without_the_floor_botocore_would_print_the_secret(
    debug_logging: None, secretsmanager: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control: what the floor prevents is real (botocore logs GetSecretValue's response body)."""
    logging.getLogger("botocore").setLevel(logging.DEBUG)
    Secrets().get("gitlab-token")
    out = capsys.readouterr().out
    assert "Response body" in out  # redacted only if an earlier call already registered the value
    logging.getLogger("botocore").setLevel(logging.WARNING)


def test_no_environment_ships_debug_logging() -> None:
    for tfvars in sorted((INFRA / "environments").glob("*.tfvars")):
        levels = re.findall(r'^\s*log_level\s*=\s*"(\w+)"', tfvars.read_text(), re.M)
        assert "DEBUG" not in [level.upper() for level in levels], f"{tfvars.name} sets LOG_LEVEL=DEBUG"
