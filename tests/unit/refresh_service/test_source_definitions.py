"""Sources config: YAML and TOML, and every malformed value names the entry, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from thoth.refresh_service.sources.definitions import load_config, parse_config, redact_url
from thoth.shared.errors import ConfigError
from thoth.shared.storage import LocalObjectStore

REPO = Path(__file__).resolve().parents[3]


def test_sample_sources_yaml_is_valid() -> None:
    store = LocalObjectStore(REPO / "nonexistent")
    sources = load_config(store, str(REPO / "samples" / "sources.yaml"))
    assert list(sources) == ["sample-handbook", "hugo-sample", "gitlab-handbook", "runbooks"]
    sample = sources["sample-handbook"]
    assert sample.kind == "dir" and Path(sample.location) == REPO / "samples" / "handbook"
    assert sample.include == ("**/*.md", "**/*.txt")
    gitlab = sources["gitlab-handbook"]
    assert (
        gitlab.ref == "main" and gitlab.strip_prefix == "content/" and gitlab.token_secret == "gitlab-token"
    )
    assert gitlab.markup == "auto" and sources["hugo-sample"].include == ("**/*.md",)


def test_toml_config_with_defaults() -> None:
    text = '[[sources]]\nname = "hb"\nkind = "git"\nlocation = "https://gitlab.example/hb.git"\n'
    source = parse_config(text, "toml", "sources.toml")["hb"]
    assert source.include == ("**/*.md",) and source.exclude == () and source.ref is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [", "is not valid YAML"),
        ("{}", "top-level 'sources' list"),
        ("sources: []", "top-level 'sources' list"),
        ("sources: [42]", "a source must be a mapping"),
        ("sources: [{name: Bad Name, kind: dir, location: x}]", "name 'Bad Name' is invalid"),
        ("sources: [{name: a, kind: ftp, location: x}]", "kind 'ftp' is invalid; use one of git, dir, s3"),
        ("sources: [{name: a, kind: dir}]", "location is missing"),
        ("sources: [{name: a, kind: s3, location: 'https://x'}]", "not an s3://bucket/prefix URL"),
        ("sources: [{name: a, kind: dir, location: x, ref: main}]", "only git sources have one"),
        ("sources: [{name: a, kind: dir, location: x, include: []}]", "include must be a glob"),
        (
            "sources: [{name: a, kind: dir, location: x, base_url: 'ftp://x'}]",
            "base_url 'ftp://x' is not an http(s) URL",
        ),
        ("sources: [{name: a, kind: dir, location: x, colour: red}]", "unknown field(s) colour"),
        (
            "sources: [{name: a, kind: git, location: x, token_secret: aws-root}]",
            "token_secret 'aws-root' is unknown",
        ),
        (
            "sources: [{name: a, kind: dir, location: x}, {name: a, kind: dir, location: y}]",
            "source name 'a' is used twice",
        ),
    ],
)
def test_malformed_configs_are_rejected_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(text, "yaml", "sources.yaml")
    assert message in str(excinfo.value)
    assert "sources.yaml" in str(excinfo.value)


def test_bad_toml_and_bad_file_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[[sources]\n", "toml", "s.toml")
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(ConfigError, match=r"must end in \.yaml, \.yml or \.toml"):
        load_config(store, str(tmp_path / "sources.json"))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(store, str(tmp_path / "missing.yaml"))


def test_config_from_the_object_store(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with pytest.raises(ConfigError, match="no sources are configured"):
        load_config(store, "")
    store.put("config/sources.yaml", b"sources: [{name: hb, kind: s3, location: 's3://docs-bucket/hb/'}]")
    assert load_config(store, "")["hb"].location == "s3://docs-bucket/hb/"
    store.put("config/other.toml", b'[[sources]]\nname = "x"\nkind = "dir"\nlocation = "/srv/docs"\n')
    assert load_config(store, "store:config/other.toml")["x"].kind == "dir"
    store.put("config/binary.yaml", b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(store, "store:config/binary.yaml")


def test_redact_url_removes_credentials() -> None:
    assert redact_url("https://oauth2:glpat-123@gitlab.example/x.git") == "https://gitlab.example/x.git"
    assert redact_url("/local/path") == "/local/path"
