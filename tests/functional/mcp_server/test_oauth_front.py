"""The authorization-server front in process: every refusal the issue lists, and what a client relies on.

The handler serves on a local socket (LocalServer), the upstream is oidc-provider-mock shaped like
Cognito (tests/support/front.py), the state table is SQLite in THOTH_HOME; codes are made by real
sign-ins through the upstream, never written into the table by hand.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.support.front import Upstream, cognito_like_upstream, https_documents, sign_in
from tests.support.git_hosts import make_tls
from tests.support.mcp_app import FakeCatalog
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.transport.auth.front import cimd, store
from thoth.mcp_server.transport.local_server import LocalServer
from thoth.shared.state import SqliteStateStore

REDIRECT = "http://127.0.0.1:33418/callback"
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}


@dataclass
class Front:
    url: str
    upstream: Upstream

    def register(self, **metadata: Any) -> dict[str, Any]:
        body = {
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            **metadata,
        }
        answer = httpx.post(f"{self.url}/oauth/register", json=body)
        assert answer.status_code == 201, answer.text
        registered: dict[str, Any] = answer.json()
        return registered

    def authorize_url(self, client_id: str, verifier: str, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": "client-state-1",
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
            "resource": f"{self.url}/mcp",
            "scope": "thoth/search",
        }
        params.update(overrides)
        return f"{self.url}/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})

    def code(self, client_id: str, verifier: str) -> str:
        answer = sign_in(self.authorize_url(client_id, verifier))
        assert answer["state"] == "client-state-1" and answer["iss"] == self.url
        return answer["code"]

    def token(self, **form: str) -> httpx.Response:
        return httpx.post(f"{self.url}/oauth/token", data=form)

    def exchange(self, client_id: str, code: str, verifier: str, **extra: str) -> httpx.Response:
        form = {"grant_type": "authorization_code", "client_id": client_id, "code": code}
        form.update(redirect_uri=REDIRECT, code_verifier=verifier, resource=f"{self.url}/mcp")
        return self.token(**{**form, **extra})


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def verifier() -> str:
    return secrets.token_urlsafe(48)


def refused(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"


def redirected_error(url: str) -> dict[str, list[str]]:
    """The error a client's redirect URI receives (the front checked client and redirect URI first)."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Clock:
    """The front's state table on a clock the test moves (codes, pending sign-ins, refresh tokens)."""
    now = Clock()
    table = SqliteStateStore(tmp_path / "front-state.sqlite3", clock=now)
    monkeypatch.setattr(store, "store", lambda: table)
    return now


@pytest.fixture
def front(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[Front]:
    monkeypatch.delenv("THOTH_API_KEYS")
    server = LocalServer(App(catalog=FakeCatalog()), port=0).start()
    try:
        with cognito_like_upstream(f"{server.url}/oauth/callback") as upstream:
            for name, value in upstream.env().items():
                monkeypatch.setenv(name, value)
            yield Front(server.url, upstream)
    finally:
        server.stop()


def test_metadata_is_rfc8414_and_names_this_issuer(front: Front) -> None:
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    document = httpx.get(f"{front.url}/.well-known/oauth-authorization-server").json()
    AuthorizationServerMetadata(document).validate()  # Authlib's RFC 8414 checks
    assert document["issuer"] == front.url
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "none" in document["token_endpoint_auth_methods_supported"]
    assert document["client_id_metadata_document_supported"] is True
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["response_types_supported"] == ["code"]
    assert set(document["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert httpx.get(f"{front.url}/.well-known/openid-configuration").json() == document
    keys = httpx.get(document["jwks_uri"]).json()["keys"]
    assert [key["alg"] for key in keys] == ["ES256"] and "d" not in keys[0]  # public parts only
    resource = httpx.get(f"{front.url}/.well-known/oauth-protected-resource/mcp").json()
    assert resource["authorization_servers"] == [front.url]


def test_a_signed_in_client_gets_a_token_bound_to_mcp(front: Front) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    tokens = front.exchange(client_id, front.code(client_id, secret), secret).json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert (
        claims["aud"] == f"{front.url}/mcp"
        and claims["iss"] == front.url
        and claims["scope"] == "thoth/search"
    )
    headers = {"authorization": f"Bearer {tokens['access_token']}", "accept": "application/json"}
    assert httpx.post(f"{front.url}/mcp", json=PING, headers=headers).status_code == 200


def test_a_confidential_client_authenticates_with_its_derived_secret(front: Front) -> None:
    registered = front.register(token_endpoint_auth_method="client_secret_basic")
    client_id, client_secret = registered["client_id"], registered["client_secret"]
    secret = verifier()
    code = front.code(client_id, secret)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": secret,
    }
    wrong = httpx.post(f"{front.url}/oauth/token", data=form, auth=(client_id, client_secret + "x"))
    refused(wrong, "invalid_client", 401)
    code = front.code(client_id, secret)
    answer = httpx.post(
        f"{front.url}/oauth/token", data={**form, "code": code}, auth=(client_id, client_secret)
    )
    assert answer.status_code == 200 and answer.json()["access_token"]


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(front: Front) -> None:
    client_id = front.register()["client_id"]
    answer = httpx.get(front.authorize_url(client_id, verifier(), redirect_uri="http://127.0.0.1:9/evil"))
    refused(answer, "invalid_request")
    assert "location" not in answer.headers


def test_a_mismatched_redirect_uri_at_the_token_endpoint_is_refused(front: Front) -> None:
    client_id = front.register(redirect_uris=[REDIRECT, "http://127.0.0.1:33419/callback"])["client_id"]
    secret = verifier()
    code = front.code(client_id, secret)
    refused(
        front.exchange(client_id, code, secret, redirect_uri="http://127.0.0.1:33419/callback"),
        "invalid_grant",
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"resource": "https://elsewhere.example/mcp"}, "invalid_target"),
        ({"state": None}, "invalid_request"),
    ],
    ids=["plain-pkce", "pkce-without-method", "no-pkce", "wrong-resource", "no-state"],
)
def test_authorize_refusals_reach_the_client_with_iss(
    front: Front, overrides: dict[str, str | None], error: str
) -> None:
    client_id = front.register()["client_id"]
    answer = redirected_error(front.authorize_url(client_id, verifier(), **overrides))
    assert answer["error"] == [error] and answer["iss"] == [front.url]


def test_a_forged_client_id_is_refused(front: Front) -> None:
    client_id = front.register()["client_id"]
    head, payload, signature = client_id.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["redirect_uris"] = ["https://attacker.example/callback"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for forged in (
        f"{head}.{forged_payload}.{signature}",
        f"{head}.{payload}.{signature[:-4]}AAAA",
        "made-up",
    ):
        answer = httpx.get(
            front.authorize_url(forged, verifier(), redirect_uri="https://attacker.example/callback")
        )
        refused(answer, "invalid_client")


def test_a_wrong_verifier_burns_the_code(front: Front) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    code = front.code(client_id, secret)
    refused(front.exchange(client_id, code, verifier()), "invalid_grant")
    refused(front.exchange(client_id, code, secret), "invalid_grant")  # one attempt per code


def test_a_missing_verifier_is_refused(front: Front) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    form = {"grant_type": "authorization_code", "client_id": client_id, "redirect_uri": REDIRECT}
    refused(front.token(**form, code=front.code(client_id, secret)), "invalid_request")


def test_a_reused_code_is_refused_and_revokes_what_it_issued(front: Front) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    code = front.code(client_id, secret)
    first = front.exchange(client_id, code, secret).json()
    refused(front.exchange(client_id, code, secret), "invalid_grant")
    refresh = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": first["refresh_token"]}
    refused(front.token(**refresh), "invalid_grant")  # RFC 6749 section 4.1.2: revoke on code reuse


def test_an_expired_code_is_refused(front: Front, clock: Clock) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    code = front.code(client_id, secret)
    clock.now += store.CODE_TTL_S + 1
    refused(front.exchange(client_id, code, secret), "invalid_grant")


def test_a_code_for_another_client_or_resource_is_refused(front: Front) -> None:
    client_id, other = front.register()["client_id"], front.register(client_name="other")["client_id"]
    secret = verifier()
    refused(front.exchange(other, front.code(client_id, secret), secret), "invalid_grant")
    code = front.code(client_id, secret)
    refused(
        front.exchange(client_id, code, secret, resource="https://elsewhere.example/mcp"), "invalid_target"
    )


def test_a_replayed_rotated_refresh_token_revokes_the_family(front: Front) -> None:
    client_id = front.register()["client_id"]
    secret = verifier()
    tokens = front.exchange(client_id, front.code(client_id, secret), secret).json()
    form = {"grant_type": "refresh_token", "client_id": client_id}
    rotated = front.token(**form, refresh_token=tokens["refresh_token"]).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    refused(front.token(**form, refresh_token=tokens["refresh_token"]), "invalid_grant")
    refused(front.token(**form, refresh_token=rotated["refresh_token"]), "invalid_grant")


def test_a_pending_sign_in_serves_once_and_expires(front: Front, clock: Clock) -> None:
    client_id = front.register()["client_id"]
    to_upstream = httpx.get(front.authorize_url(client_id, verifier()), follow_redirects=False)
    state = parse_qs(urlsplit(to_upstream.headers["location"]).query)["state"][0]
    clock.now += store.PENDING_TTL_S + 1
    refused(httpx.get(f"{front.url}/oauth/callback", params={"state": state, "code": "x"}), "invalid_request")
    refused(
        httpx.get(f"{front.url}/oauth/callback", params={"state": "made-up", "code": "x"}), "invalid_request"
    )


def test_an_upstream_refusal_reaches_the_client(front: Front) -> None:
    client_id = front.register()["client_id"]
    to_upstream = httpx.get(front.authorize_url(client_id, verifier()), follow_redirects=False)
    state = parse_qs(urlsplit(to_upstream.headers["location"]).query)["state"][0]
    answer = redirected_error(
        f"{front.url}/oauth/callback?" + urlencode({"state": state, "error": "access_denied"})
    )
    assert answer["error"] == ["access_denied"] and answer["state"] == ["client-state-1"]


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://example.com/callback"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/callback"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ],
    ids=["plain-http", "custom-scheme", "fragment", "none", "client-credentials", "private-key-jwt"],
)
def test_registration_refusals(front: Front, metadata: dict[str, Any], error: str) -> None:
    body = {"redirect_uris": [REDIRECT], **metadata}
    refused(httpx.post(f"{front.url}/oauth/register", json=body), error)


# --- client ID metadata documents ---


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    ca = make_tls(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_file))  # the test CA, for this process's TLS clients
    cimd.CLIENTS._cache.clear()
    with https_documents(ca) as host:
        yield host


def _cimd(host: Any, path: str = "/client.json", **changes: Any) -> str:
    url = host.base + path
    host.json(
        path, {"client_id": url, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", **changes}
    )
    return str(url)


def test_a_cimd_client_signs_in_when_loopback_is_allowed(
    front: Front, documents: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_CIMD_ALLOW_LOOPBACK", "on")
    client_id = _cimd(documents)
    secret = verifier()
    tokens = front.exchange(client_id, front.code(client_id, secret), secret).json()
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["client_id"] == client_id


def test_a_cimd_url_on_a_loopback_address_is_refused(front: Front, documents: Any) -> None:
    answer = httpx.get(front.authorize_url(_cimd(documents), verifier()))
    refused(answer, "invalid_client")
    assert "non-public address" in answer.json()["error_description"] and documents.requests == []


@pytest.mark.parametrize(
    ("serve", "reason"),
    [
        ((302, {"location": "/elsewhere.json"}, b""), "redirects"),
        ((200, {"content-type": "application/json"}, b"{" + b" " * 6000 + b"}"), "larger than"),
        ((200, {"content-type": "text/html"}, b"<html>hello</html>"), "not JSON"),
    ],
    ids=["redirect", "oversized", "not-json"],
)
def test_unusable_cimd_documents_are_refused(
    front: Front, documents: Any, monkeypatch: pytest.MonkeyPatch, serve: Any, reason: str
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_CIMD_ALLOW_LOOPBACK", "on")
    documents.documents["/bad.json"] = serve
    answer = httpx.get(front.authorize_url(documents.base + "/bad.json", verifier()))
    refused(answer, "invalid_client")
    assert reason in answer.json()["error_description"]


def test_a_cimd_document_naming_another_client_id_is_refused(
    front: Front, documents: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_CIMD_ALLOW_LOOPBACK", "on")
    url = _cimd(documents, client_id="https://other.example/client.json")
    answer = httpx.get(front.authorize_url(url, verifier()))
    refused(answer, "invalid_client")
    assert "differs from its URL" in answer.json()["error_description"]


def test_plain_http_is_served_only_on_loopback(front: Front) -> None:
    metadata = f"{front.url}/.well-known/oauth-authorization-server"
    answer = httpx.get(metadata, headers={"host": "thoth.example"})
    refused(answer, "invalid_request", 403)
    assert "https only" in answer.json()["error_description"]
