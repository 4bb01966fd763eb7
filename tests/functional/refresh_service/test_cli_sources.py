"""The refresh CLI's named sources: `--source NAME [--config FILE]`, and the location form's new flags."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from thoth.refresh_service.__main__ import main, source_from_args
from thoth.shared.config import get_settings

CONFIG = """
sources:
  - {name: handbook, kind: dir, location: docs, base_url: "https://h.example/", markup: hugo}
  - {name: runbooks, kind: dir, location: runbooks}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("THOTH_SOURCES_CONFIG", "S3_BUCKET_NAME", "DYNAMODB_TABLE_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THOTH_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    (tmp_path / "sources.yaml").write_text(CONFIG)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "scan.md").write_bytes(b"\x00binary")  # skipped: no model needed
    return tmp_path


def test_a_named_source_is_refreshed_from_the_config(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--source", "handbook", "--config", str(home / "sources.yaml")]) == 0
    captured = capsys.readouterr()
    assert "dir source 'handbook'" in captured.err and "skipped scan.md: binary file" in captured.err
    assert captured.out.strip().startswith("handbook: ok")


def test_thoth_sources_config_is_the_default_config(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("THOTH_SOURCES_CONFIG", str(home / "sources.yaml"))
    assert main(["--source", "nope"]) == 2
    err = capsys.readouterr().err
    assert f"source 'nope' is not defined in {home / 'sources.yaml'}" in err
    assert "defined sources: handbook, runbooks" in err


def test_location_flags_do_not_mix_with_a_named_source(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--source", "handbook", "--config", str(home / "sources.yaml"), "--strip-prefix", "x/"])
    assert code == 2 and "--strip-prefix describe a location" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [[], ["somewhere", "--source", "handbook"], ["somewhere", "--config", "x.yaml"]]
)
def test_a_location_or_a_source(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and ("--source" in capsys.readouterr().err)


def test_the_location_form_takes_strip_prefix_and_markup(tmp_path: Path) -> None:
    args = argparse.Namespace(
        location=str(tmp_path), name="hb", ref=None, base_url="https://h.example/", include=None,
        exclude=None, strip_prefix="content/", markup="markdown", token_secret=None,
    )  # fmt: skip
    config = source_from_args(args)
    assert (config.kind, config.strip_prefix, config.markup) == ("dir", "content/", "markdown")
