"""THOTH_OAUTH_* settings: read once per distinct value, validated with errors that name the fix."""

from __future__ import annotations

import pytest

from thoth.mcp_server.settings import http_settings
from thoth.shared.errors import ConfigError

ISSUER = "https://auth.example.com/realms/thoth"


def oauth(**env: str):  # type: ignore[no-untyped-def]
    return http_settings({"THOTH_OAUTH_ISSUER": ISSUER, "THOTH_OAUTH_SCOPES": "thoth/search", **env}).oauth


def test_off_unless_an_issuer_is_set() -> None:
    assert http_settings({}).oauth is None


def test_defaults() -> None:
    settings = oauth()
    assert settings is not None
    assert (settings.issuer, settings.audiences, settings.scopes) == (ISSUER, (), ("thoth/search",))
    assert (settings.jwks_url, settings.resource, settings.algorithms, settings.leeway_s) == (
        None,
        None,
        ("RS256",),
        60.0,
    )


def test_lists_are_parsed_and_deduplicated() -> None:
    settings = oauth(
        THOTH_OAUTH_AUDIENCE=" https://thoth.example/mcp , app-client ,app-client",
        THOTH_OAUTH_SCOPES="thoth/search  openid thoth/search",
        THOTH_OAUTH_ALGORITHMS="rs256, es256 EdDSA",
        THOTH_OAUTH_LEEWAY_S="5",
    )
    assert settings is not None
    assert settings.audiences == ("https://thoth.example/mcp", "app-client")
    assert settings.scopes == ("thoth/search", "openid")
    assert settings.algorithms == ("RS256", "ES256", "EdDSA")
    assert settings.leeway_s == 5.0


@pytest.mark.parametrize("url", ["http://127.0.0.1:9400", "http://localhost:8080/realms/x", "http://[::1]:1"])
def test_plain_http_only_on_this_machine(url: str) -> None:
    settings = oauth(THOTH_OAUTH_ISSUER=url)
    assert settings is not None and settings.issuer == url


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"THOTH_OAUTH_ISSUER": "http://auth.example.com"}, "plain http"),
        ({"THOTH_OAUTH_ISSUER": "auth.example.com"}, "not an absolute http(s) URL"),
        ({"THOTH_OAUTH_ISSUER": "ftp://auth.example.com"}, "not an absolute http(s) URL"),
        ({"THOTH_OAUTH_ISSUER": "https://user:pw@auth.example.com"}, "credentials"),
        ({"THOTH_OAUTH_ISSUER": "https://auth.example.com/?x=1"}, "a query"),
        ({"THOTH_OAUTH_ISSUER": "https://auth.example.com/#f"}, "fragment"),
        ({"THOTH_OAUTH_ISSUER": "https://[::1"}, "not a URL"),
        ({"THOTH_OAUTH_ISSUER": "https://auth.exämple.com"}, "non-ASCII"),
        ({"THOTH_OAUTH_JWKS_URL": "http://keys.example.com/jwks"}, "THOTH_OAUTH_JWKS_URL"),
        ({"THOTH_OAUTH_RESOURCE": "mcp"}, "THOTH_OAUTH_RESOURCE"),
        ({"THOTH_OAUTH_ALGORITHMS": "HS256"}, "refused: unsigned or shared-secret"),
        ({"THOTH_OAUTH_ALGORITHMS": "RS256,none"}, "refused"),
        ({"THOTH_OAUTH_ALGORITHMS": "hs512"}, "refused"),
        ({"THOTH_OAUTH_ALGORITHMS": "RS999"}, "use some of RS256"),
        ({"THOTH_OAUTH_SCOPES": 'thoth"search'}, "not a valid scope"),
        ({"THOTH_OAUTH_AUDIENCE": "https://a.example/mcp,bad audience"}, "THOTH_OAUTH_AUDIENCE"),
        ({"THOTH_OAUTH_LEEWAY_S": "3600"}, "between 0.0 and 300.0"),
        ({"THOTH_OAUTH_LEEWAY_S": "soon"}, "not a number"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match="THOTH_OAUTH_") as caught:
        oauth(**env)
    assert fragment in str(caught.value)


def test_oauth_with_neither_audience_nor_scopes_refuses_to_start() -> None:
    # Only the default audience (this server's URL) would let an OpenID ID token for it pass.
    with pytest.raises(ConfigError, match="ID token issued for this server would pass") as caught:
        http_settings({"THOTH_OAUTH_ISSUER": ISSUER})
    assert "set THOTH_OAUTH_SCOPES" in str(caught.value)
    assert oauth(THOTH_OAUTH_SCOPES="", THOTH_OAUTH_AUDIENCE="api://thoth") is not None
    assert oauth() is not None


def test_oauth_settings_without_an_issuer_are_a_mistake() -> None:
    with pytest.raises(ConfigError, match="THOTH_OAUTH_SCOPES set without THOTH_OAUTH_ISSUER"):
        http_settings({"THOTH_OAUTH_SCOPES": "thoth/search"})


def test_a_bad_setting_makes_mcp_and_health_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.mcp_app import call, event, make_app, post

    monkeypatch.setenv("THOTH_OAUTH_ISSUER", "http://auth.example.com")
    app = make_app()
    assert call(app, post({"jsonrpc": "2.0", "id": 1, "method": "ping"})).status == 503
    assert call(app, event("GET", "/health")).status == 503
    assert call(app, event("GET", "/.well-known/oauth-protected-resource")).status == 503
