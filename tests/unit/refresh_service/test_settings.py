"""Refresh settings: read once from the environment; every malformed value names the variable and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from thoth.refresh_service.settings import (
    DEFAULT_FUNCTION_NAME,
    OFFLINE_MODEL_ENV,
    RefreshSettings,
    load_refresh_settings,
    load_runtime_settings,
    use_offline_model_env,
)
from thoth.shared.env import BY_NAME, declared
from thoth.shared.errors import ConfigError


def test_defaults() -> None:
    settings = load_refresh_settings({})
    assert settings == RefreshSettings(2 * 1024 * 1024, 3, None, None)


def test_max_file_bytes_setting() -> None:
    assert load_refresh_settings({}).max_file_bytes == 2 * 1024 * 1024
    assert load_refresh_settings({"THOTH_MAX_FILE_BYTES": "1024"}).max_file_bytes == 1024
    for bad in ("-1", "2MB", "0"):
        with pytest.raises(ConfigError, match="THOTH_MAX_FILE_BYTES"):
            load_refresh_settings({"THOTH_MAX_FILE_BYTES": bad})


def test_values_are_stripped_and_blank_means_default() -> None:
    settings = load_refresh_settings(
        {
            "THOTH_MAX_FILE_BYTES": " 4096 ",
            "THOTH_KEEP_VERSIONS": "   ",
            "THOTH_QUEUE_URL": "",
            "THOTH_SOURCES_CONFIG": " store:config/sources.toml\n",
        }
    )
    assert settings == RefreshSettings(4096, 3, None, "store:config/sources.toml")


def test_every_field_from_the_environment() -> None:
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/thoth-refresh"
    settings = load_refresh_settings(
        {
            "THOTH_MAX_FILE_BYTES": "1",
            "THOTH_KEEP_VERSIONS": "1000",
            "THOTH_QUEUE_URL": url,
            "THOTH_SOURCES_CONFIG": "/srv/sources.yaml",
        }
    )
    assert settings == RefreshSettings(1, 1000, url, "/srv/sources.yaml")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("THOTH_MAX_FILE_BYTES", "2MB", "is not an integer; set a byte count between 1 and 2147483648"),
        ("THOTH_MAX_FILE_BYTES", "1.5", "is not an integer"),
        ("THOTH_MAX_FILE_BYTES", "0", "is out of range; set a byte count between 1 and 2147483648"),
        ("THOTH_MAX_FILE_BYTES", "-1", "is out of range"),
        ("THOTH_MAX_FILE_BYTES", "2147483649", "is out of range"),
        ("THOTH_MAX_FILE_BYTES", "9" * 30, "is out of range"),
        (
            "THOTH_KEEP_VERSIONS",
            "three",
            "is not an integer; set a whole number of versions between 1 and 1000",
        ),
        ("THOTH_KEEP_VERSIONS", "0", "is out of range; set a whole number of versions between 1 and 1000"),
        ("THOTH_KEEP_VERSIONS", "1001", "is out of range"),
        ("THOTH_KEEP_VERSIONS", "nan", "is not an integer"),
        ("THOTH_QUEUE_URL", "thoth-refresh", "is not an SQS queue URL"),
        ("THOTH_QUEUE_URL", "https://", "is not an SQS queue URL"),
        ("THOTH_QUEUE_URL", "ftp://sqs.example/q", "unset it to refresh without fan-out"),
        ("THOTH_SOURCES_CONFIG", "store:", "names no object; set store:config/sources.yaml"),
        ("THOTH_SOURCES_CONFIG", "store:   ", "names no object"),
    ],
)
def test_malformed_values_name_the_variable_and_the_fix(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_refresh_settings({name: value})
    assert str(excinfo.value).startswith(f"{name}=")
    assert message in str(excinfo.value)


def test_a_huge_value_is_refused_and_not_echoed_whole() -> None:
    huge = "9" * 5000  # past Python's 4300-digit limit for int()
    with pytest.raises(ConfigError, match="THOTH_MAX_FILE_BYTES") as excinfo:
        load_refresh_settings({"THOTH_MAX_FILE_BYTES": huge})
    assert len(str(excinfo.value)) < 200


def test_runtime_defaults_for_a_local_invocation() -> None:
    runtime = load_runtime_settings({})
    assert runtime.runtime_api is None and runtime.event_file is None
    assert runtime.function_name == DEFAULT_FUNCTION_NAME
    assert runtime.timeout_s == 900.0


def test_runtime_from_the_environment(tmp_path: Path) -> None:
    runtime = load_runtime_settings(
        {
            "LAMBDA_EVENT_FILE": str(tmp_path / "event.json"),
            "AWS_LAMBDA_FUNCTION_NAME": "thoth-dev-refresh",
            "AWS_LAMBDA_FUNCTION_TIMEOUT": "120",
        }
    )
    assert runtime.event_file == tmp_path / "event.json"
    assert runtime.function_name == "thoth-dev-refresh" and runtime.timeout_s == 120.0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fifteen minutes", "is not a number; set it to seconds between 1.0 and 900.0"),
        ("0", "is out of range; set it to seconds between 1.0 and 900.0"),
        ("901", "is out of range"),
        ("1e400", "is out of range"),
        ("nan", "is out of range"),
        ("9" * 5000, "is out of range"),
    ],
)
def test_malformed_timeout_names_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_runtime_settings({"AWS_LAMBDA_FUNCTION_TIMEOUT": value})
    assert str(excinfo.value).startswith("AWS_LAMBDA_FUNCTION_TIMEOUT=") and message in str(excinfo.value)
    assert len(str(excinfo.value)) < 200


def test_behind_the_runtime_api_the_timeout_variable_is_not_read() -> None:
    runtime = load_runtime_settings(
        {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_TIMEOUT": "x"}
    )
    assert runtime.runtime_api == "127.0.0.1:9001" and runtime.timeout_s == 900.0


def test_offline_model_environment_keeps_what_the_user_set() -> None:
    env = {"HF_HUB_OFFLINE": "0"}
    use_offline_model_env(env)
    assert env == {**OFFLINE_MODEL_ENV, "HF_HUB_OFFLINE": "0"}


def test_every_variable_the_refresh_service_reads_is_declared() -> None:
    ours = set(declared("refresh_service"))
    expected = {"THOTH_MAX_FILE_BYTES", "THOTH_KEEP_VERSIONS", "THOTH_QUEUE_URL", "THOTH_SOURCES_CONFIG"}
    assert expected | {"LAMBDA_EVENT_FILE"} | set(OFFLINE_MODEL_ENV) <= ours
    assert all(BY_NAME[name].help for name in ours)
