"""OAuth with tokens from a real issuer: a Cognito user pool on a moto server (keys fetched over HTTP)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from tests.support.cognito import CognitoPool, create_pool
from tests.support.mcp_app import KEY, FakeCatalog, call, post
from thoth.mcp_server.lambda_handler import App
from tools.embedded_aws import moto_server

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
HOST = {"host": "thoth.example"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def pool(moto_endpoint: str) -> CognitoPool:
    return create_pool(moto_endpoint)


@pytest.fixture
def oauth_env(monkeypatch: pytest.MonkeyPatch, pool: CognitoPool) -> CognitoPool:
    for name, value in pool.env().items():
        monkeypatch.setenv(name, value)
    return pool


def bearer(token: str) -> dict[str, str]:
    return {**HOST, "authorization": f"Bearer {token}"}


def test_a_cognito_access_token_lists_the_tools(oauth_env: CognitoPool) -> None:
    app = App(catalog=FakeCatalog())
    tokens = oauth_env.sign_in()
    reply = call(app, post(TOOLS, bearer(tokens["AccessToken"]), auth=False))
    assert reply.status == 200 and [t["name"] for t in reply.result["tools"]] == ["echo", "route"]
    assert call(app, post(PING, {**HOST, "x-api-key": KEY}, auth=False)).status == 200  # keys still work


def test_cognito_id_tokens_and_other_app_clients_are_refused(oauth_env: CognitoPool) -> None:
    app = App(catalog=FakeCatalog())
    ours, theirs = oauth_env.sign_in(), oauth_env.sign_in(client_id=oauth_env.other_client_id)
    for token, reason in ((ours["IdToken"], "not an access token"), (theirs["AccessToken"], "no audience")):
        reply = call(app, post(PING, bearer(token), auth=False))
        assert reply.status == 401 and reason in reply.json["message"], reply.text
        assert 'error="invalid_token"' in reply.headers["www-authenticate"]


def test_a_tampered_cognito_token_is_refused(oauth_env: CognitoPool) -> None:
    token = oauth_env.sign_in()["AccessToken"]
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["username"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    reply = call(App(catalog=FakeCatalog()), post(PING, bearer(f"{head}.{forged}.{signature}"), auth=False))
    assert reply.status == 401 and "signature" in reply.json["message"]


def test_a_required_scope_the_token_lacks_is_403(
    oauth_env: CognitoPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_SCOPES", "thoth/search")  # password sign-ins carry only the admin scope
    reply = call(
        App(catalog=FakeCatalog()), post(PING, bearer(oauth_env.sign_in()["AccessToken"]), auth=False)
    )
    assert reply.status == 403 and 'error="insufficient_scope"' in reply.headers["www-authenticate"]
    monkeypatch.setenv("THOTH_OAUTH_SCOPES", "aws.cognito.signin.user.admin")
    assert (
        call(
            App(catalog=FakeCatalog()), post(PING, bearer(oauth_env.sign_in()["AccessToken"]), auth=False)
        ).status
        == 200
    )


def test_an_unreachable_jwks_fails_closed(oauth_env: CognitoPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_OAUTH_JWKS_URL", "http://127.0.0.1:9/jwks")  # the discard port: nothing answers
    reply = call(
        App(catalog=FakeCatalog()), post(PING, bearer(oauth_env.sign_in()["AccessToken"]), auth=False)
    )
    assert reply.status == 503 and reply.json["error"] == "auth_unavailable"
