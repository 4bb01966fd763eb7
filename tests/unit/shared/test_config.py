"""Settings validation: every bad value names the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from thoth.shared.config import load_settings
from thoth.shared.errors import ConfigError


def test_defaults_use_local_backends() -> None:
    settings = load_settings({})
    assert settings.environment == "local"
    assert not settings.uses_s3 and not settings.uses_dynamodb
    assert settings.home == Path(".thoth")
    assert settings.secrets_backend == "env"
    assert settings.log_level == "INFO"


def test_aws_settings() -> None:
    settings = load_settings(
        {
            "ENVIRONMENT": "dev",
            "S3_BUCKET_NAME": "thoth-dev-bucket",
            "DYNAMODB_TABLE_NAME": "thoth-dev-mcp-state",
            "LOG_LEVEL": "debug",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        }
    )
    assert settings.uses_s3 and settings.uses_dynamodb
    assert settings.secrets_backend == "aws"
    assert settings.log_level == "DEBUG"
    assert settings.secret_name("api-key") == "thoth/dev/api-key"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"ENVIRONMENT": "Prod!"}, "ENVIRONMENT"),
        ({"S3_BUCKET_NAME": "UPPER_case"}, "S3_BUCKET_NAME"),
        ({"S3_BUCKET_NAME": "a..b"}, "S3_BUCKET_NAME"),
        ({"DYNAMODB_TABLE_NAME": "x"}, "DYNAMODB_TABLE_NAME"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"THOTH_SECRETS_BACKEND": "vault"}, "THOTH_SECRETS_BACKEND"),
        ({"AWS_ENDPOINT_URL": "localhost:5000"}, "AWS_ENDPOINT_URL"),
        ({"THOTH_AWS_TIMEOUT_S": "soon"}, "THOTH_AWS_TIMEOUT_S"),
        ({"THOTH_AWS_TIMEOUT_S": "-1"}, "THOTH_AWS_TIMEOUT_S"),
        ({"THOTH_HOEM": "/tmp/x"}, "THOTH_HOEM"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)


def test_bucket_error_says_how_to_use_local_store() -> None:
    with pytest.raises(ConfigError, match=r"unset it to use the local store"):
        load_settings({"S3_BUCKET_NAME": "Bad Bucket"})


def test_home_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ConfigError, match="THOTH_HOME"):
        load_settings({"THOTH_HOME": str(path)})


def test_blank_values_count_as_unset() -> None:
    settings = load_settings({"S3_BUCKET_NAME": "  ", "ENVIRONMENT": ""})
    assert not settings.uses_s3 and settings.environment == "local"
