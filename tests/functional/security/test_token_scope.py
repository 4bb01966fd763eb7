"""Finding 1: the git token reaches only the host of the source that names it, only over https."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.git_hosts import HOST_A, HOST_B, Tls, basic, git_host
from tests.support.refresh import git_init, run
from thoth.refresh_service.runs import Services
from thoth.refresh_service.sources.definitions import SourceConfig, parse_source
from thoth.refresh_service.sources.git import git_snapshot
from thoth.refresh_service.sources.snapshot import SourceError
from thoth.shared.errors import ConfigError
from thoth.shared.secrets import Secrets

TOKEN = "glpat-ScopedTokenValue0123456789"
PAGE = {"a.md": "# A\n\nA page only the token opens.\n"}


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch, services: Services) -> Services:
    monkeypatch.setenv("THOTH_GITLAB_TOKEN", TOKEN)
    services.secrets = Secrets()
    return services


def _source(name: str, url: str, **extra: object) -> SourceConfig:
    return parse_source({"name": name, "kind": "git", "location": url, **extra}, "test")


def test_the_token_goes_only_to_the_host_of_the_source_that_names_it(
    tmp_path: Path, tls: Tls, token_env: Services
) -> None:
    git_init(tmp_path / "private", PAGE)
    git_init(tmp_path / "public", {"b.md": "# B\n\nA public page.\n"})
    with (
        git_host(tmp_path / "private", host=HOST_A, tls=tls, token=TOKEN) as private,
        git_host(tmp_path / "public", host=HOST_B, tls=tls) as public,
    ):
        named = run(_source("private", private.url + "/repo.git", token_secret="gitlab-token"), token_env)
        other = run(_source("public", public.url + "/repo.git"), token_env)
    assert named.status == "ok", named.error
    assert other.status == "ok", other.error
    assert private.requests and all(r.authorization == basic(TOKEN) for r in private.requests)
    # A second source on another host names no token: it gets none (there was a default before).
    assert public.requests and public.authorizations() == []
    assert not public.saw(TOKEN)


def test_a_redirect_to_another_host_carries_no_token(tmp_path: Path, tls: Tls, token_env: Services) -> None:
    git_init(tmp_path / "repo", PAGE)
    with (
        git_host(tmp_path / "repo", host=HOST_B, tls=tls) as mirror,
        git_host(None, host=HOST_A, tls=tls, redirect_to=mirror.url) as origin,
    ):
        report = run(_source("moved", origin.url + "/repo.git", token_secret="gitlab-token"), token_env)
    assert origin.requests, "the configured host was asked first"
    assert mirror.requests, "the redirect was followed"
    assert not mirror.saw(TOKEN) and mirror.authorizations() == []
    assert report.status == "ok", report.error


def test_plain_http_never_carries_the_token(tmp_path: Path, token_env: Services) -> None:
    git_init(tmp_path / "repo", PAGE)
    with git_host(tmp_path / "repo", host=HOST_A) as host:
        url = host.url + "/repo.git"
        with pytest.raises(ConfigError, match="needs an https:// location"):
            _source("clear", url, token_secret="gitlab-token")
        # A definition built in code gets around the parser, not the fetch.
        config = SourceConfig("clear", "git", url, token_secret="gitlab-token")
        report = run(config, token_env)
        with pytest.raises(SourceError, match="refusing to send a token"):
            git_snapshot(config, tmp_path / "cache", TOKEN, None, None)
        anonymous = run(_source("anon", url), token_env)  # public over http: fine, and tokenless
    assert report.status == "error" and "https" in (report.error or "")
    assert anonymous.status == "ok", anonymous.error
    assert not host.saw(TOKEN) and host.authorizations() == []


def test_a_private_repository_without_token_secret_explains_the_fix(
    tmp_path: Path, tls: Tls, token_env: Services
) -> None:
    git_init(tmp_path / "repo", PAGE)
    with git_host(tmp_path / "repo", host=HOST_A, tls=tls, token=TOKEN) as host:
        report = run(_source("private", host.url + "/repo.git"), token_env)
    assert report.status == "error"
    assert "token_secret: gitlab-token" in (report.error or "")
    assert host.authorizations() == []


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://gitlab.example/hb.git", "needs an https:// location"),
        ("HTTP://gitlab.example/hb.git", "needs an https:// location"),
        ("git@gitlab.example:group/hb.git", "authenticates with an SSH key"),
        ("ssh://git@gitlab.example/group/hb.git", "authenticates with an SSH key"),
        ("/srv/git/hb", "needs no token"),
        ("https://", "needs an https://host"),
        ("https://gitlab.example:99999/hb.git", "needs an https://host"),
        ("file:///srv/git/hb", "needs an https://host"),
    ],
)
def test_token_secret_is_refused_where_it_could_leak(location: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _source("hb", location, token_secret="gitlab-token")


def test_token_secret_only_on_git_sources_and_no_password_in_a_location(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only to git sources"):
        parse_source(
            {"name": "d", "kind": "dir", "location": str(tmp_path), "token_secret": "gitlab-token"}, "t"
        )
    with pytest.raises(ConfigError, match="holds a password") as excinfo:
        _source("hb", "https://oauth2:glpat-InTheFile@gitlab.example/hb.git")
    assert "glpat-InTheFile" not in str(excinfo.value)
    origin = _source("hb", "https://GitLab.Example/hb.git", token_secret="gitlab-token").token_origin
    assert origin == ("https", "gitlab.example", 443)
    assert _source("hb", "https://gitlab.example/hb.git").token_origin is None
