"""The OAuth 2.1 resource server: RFC 9728 metadata, the 401/403 challenge, and every way a token fails."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.mcp_app import KEY, call, event, post
from tests.support.oauth_issuer import (
    AUDIENCE,
    ISSUER,
    JWKS_URL,
    SCOPE,
    Clock,
    Issuer,
    hs256_with_public_key,
    oauth_app,
    rsa_key,
    unsigned_token,
)
from thoth.mcp_server.transport.auth import jwks

PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
HOST = {"host": "thoth.example"}
CHALLENGE = re.compile(r'^Bearer realm="thoth-mcp"(, [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*")*$')


@pytest.fixture(autouse=True)
def _oauth_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_OAUTH_ISSUER", ISSUER)
    monkeypatch.setenv("THOTH_OAUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("THOTH_OAUTH_SCOPES", SCOPE)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


def bearer(token: str) -> dict[str, str]:
    return {**HOST, "authorization": f"Bearer {token}"}


def ping(issuer: Issuer, headers: dict[str, str], clock: Clock | None = None) -> Any:
    return call(oauth_app(issuer, clock), post(PING, headers, auth=False))


def params(challenge: str) -> dict[str, str]:
    assert CHALLENGE.match(challenge), challenge
    return dict(re.findall(r'([a-z_]+)="([^"]*)"', challenge))


# -- RFC 9728 metadata -------------------------------------------------------------------------------


def check_rfc9728(document: dict[str, Any], url: str) -> None:
    """The fields RFC 9728 section 2 defines, with the types and values it requires."""
    resource = document["resource"]
    parts = urlsplit(resource)
    assert parts.scheme in ("https", "http") and parts.netloc and not parts.fragment
    if urlsplit(url).path != "/.well-known/oauth-protected-resource":  # section 3.3: the path-inserted form
        assert url == f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"
    servers = document["authorization_servers"]
    assert isinstance(servers, list) and servers and all(urlsplit(s).scheme == "https" for s in servers)
    assert isinstance(document["scopes_supported"], list)
    assert set(document["bearer_methods_supported"]) <= {"header", "body", "query"}
    assert document["bearer_methods_supported"] == ["header"]  # never a token in a URL or a body
    assert all(isinstance(v, str | list) for v in document.values())


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]
)
def test_metadata_is_served_at_both_well_known_paths(issuer: Issuer, path: str) -> None:
    reply = call(oauth_app(issuer), event("GET", path, HOST))
    assert reply.status == 200 and reply.headers["access-control-allow-origin"] == "*"
    document = reply.json
    check_rfc9728(
        document, f"https://thoth.example{path}".replace("https://thoth.example", "http://thoth.example")
    )
    assert document["resource"] == "http://thoth.example/mcp"  # inferred: plain http off Lambda
    assert document["authorization_servers"] == [ISSUER]
    assert document["scopes_supported"] == [SCOPE]
    assert issuer.fetches == []  # serving metadata never contacts the issuer


def test_metadata_uses_the_configured_resource_and_aws_domain(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "thoth-mcp-server")
    ev = event("GET", "/.well-known/oauth-protected-resource/mcp", {"host": "spoofed.example"})
    ev["requestContext"]["domainName"] = "abc.lambda-url.us-east-1.on.aws"
    document = call(oauth_app(issuer), ev).json
    assert document["resource"] == "https://abc.lambda-url.us-east-1.on.aws/mcp"  # AWS's name, not the Host
    monkeypatch.setenv("THOTH_OAUTH_RESOURCE", "https://thoth.example.com/mcp")
    document = call(oauth_app(issuer), ev).json
    assert document["resource"] == "https://thoth.example.com/mcp"


def test_metadata_methods_and_other_paths(issuer: Issuer) -> None:
    app = oauth_app(issuer)
    assert call(app, event("POST", "/.well-known/oauth-protected-resource", HOST, "{}")).status == 405
    head = call(app, event("HEAD", "/.well-known/oauth-protected-resource/mcp", HOST))
    assert head.status == 200 and head.text == ""
    preflight = call(
        app, event("OPTIONS", "/.well-known/oauth-protected-resource", {**HOST, "origin": "https://x"})
    )
    assert preflight.status == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert call(app, event("GET", "/.well-known/oauth-protected-resource/other", HOST)).status == 404
    assert (
        call(app, event("GET", "/.well-known/oauth-protected-resource", {"host": "bad host!"})).status == 400
    )


def test_metadata_respects_the_host_allowlist(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_ALLOWED_HOSTS", "thoth.example")
    app = oauth_app(issuer)
    assert call(app, event("GET", "/.well-known/oauth-protected-resource", HOST)).status == 200
    assert (
        call(app, event("GET", "/.well-known/oauth-protected-resource", {"host": "evil.example"})).status
        == 421
    )


def test_no_metadata_without_oauth(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("THOTH_OAUTH_ISSUER", "THOTH_OAUTH_AUDIENCE", "THOTH_OAUTH_SCOPES"):
        monkeypatch.delenv(name)
    app = oauth_app(issuer)
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        assert call(app, event("GET", path, HOST)).status == 404
    challenge = call(app, post(PING, HOST, auth=False)).headers["www-authenticate"]
    assert challenge == 'Bearer realm="thoth-mcp"'  # header-configured clients see no OAuth hint


# -- the challenge -----------------------------------------------------------------------------------


def test_no_credentials_get_the_challenge(issuer: Issuer) -> None:
    reply = ping(issuer, HOST)
    assert reply.status == 401 and reply.json["error"] == "unauthorized"
    found = params(reply.headers["www-authenticate"])
    assert found == {
        "realm": "thoth-mcp",
        "resource_metadata": "http://thoth.example/.well-known/oauth-protected-resource/mcp",
        "scope": SCOPE,
    }
    assert issuer.fetches == []  # a request without a token never costs an issuer round trip


def test_a_valid_token_is_accepted_and_keys_are_cached(issuer: Issuer) -> None:
    app = oauth_app(issuer)
    for _ in range(3):
        assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 200
    # discovered once: RFC 8414's path-inserted URL first (404 here), then OpenID Connect Discovery
    assert issuer.fetches == [
        "https://issuer.example/.well-known/oauth-authorization-server/realms/thoth",
        f"{ISSUER}/.well-known/openid-configuration",
        JWKS_URL,
    ]


def test_api_keys_keep_working_beside_oauth(issuer: Issuer) -> None:
    app = oauth_app(issuer)
    assert call(app, post(PING, {**HOST, "authorization": f"Bearer {KEY}"}, auth=False)).status == 200
    assert call(app, post(PING, {**HOST, "x-api-key": KEY}, auth=False)).status == 200
    wrong = call(app, post(PING, {**HOST, "x-api-key": "wrong-key-0123456789"}, auth=False))
    assert wrong.status == 401 and params(wrong.headers["www-authenticate"])["error"] == "invalid_token"
    assert issuer.fetches == []


def test_oauth_only_deployments_refuse_anything_but_tokens(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("THOTH_API_KEYS")
    assert ping(issuer, bearer(issuer.token())).status == 200
    reply = ping(issuer, bearer("some-opaque-token-0123456789"))
    assert reply.status == 401 and "not an access token" in reply.json["message"]
    assert ping(issuer, HOST).status == 401


def test_default_audience_is_this_servers_mcp_url(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THOTH_OAUTH_AUDIENCE")
    ok = issuer.token(aud="http://thoth.example/mcp")
    assert ping(issuer, bearer(ok)).status == 200
    elsewhere = issuer.token(aud="http://other.example/mcp")
    assert ping(issuer, bearer(elsewhere)).status == 401
    # the expected audience follows the name the request reached, never a client-chosen Host on Lambda
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "thoth-mcp-server")
    ev = post(
        PING,
        {"host": "other.example", "authorization": f"Bearer {issuer.token(aud='https://other.example/mcp')}"},
        auth=False,
    )
    ev["requestContext"]["domainName"] = "thoth.example"
    assert call(oauth_app(issuer), ev).status == 401


def _forged(issuer: Issuer) -> dict[str, str]:
    other = Issuer(keys={"k1": rsa_key()})
    ec_issuer = Issuer(keys={"k1": ec.generate_private_key(ec.SECP256R1())})
    return {
        "bad signature": other.token(),  # same kid, another key
        "alg none": unsigned_token(issuer.claims(), {"alg": "none", "typ": "JWT", "kid": "k1"}),
        "HS256 keyed with the public key": hs256_with_public_key(issuer, issuer.claims()),
        "ES256 claiming an RSA kid": ec_issuer.token(algorithm="ES256"),
        "expired": issuer.token(exp=1_000_000, iat=999_000),
        "not yet valid (nbf)": issuer.token(nbf=4_000_000_000),
        "issued in the future (iat)": issuer.token(iat=4_000_000_000, exp=4_000_000_300),
        "no exp": issuer.token(exp=None),
        "wrong issuer": issuer.token(iss="https://evil.example"),
        "wrong audience": issuer.token(aud="https://other.example/mcp"),
        "no audience": issuer.token(aud=None),
        "an ID token": issuer.token(token_use="id"),
        "unknown kid": issuer.token(kid="k9", key=issuer.keys["k1"]),
        "tampered payload": issuer.token().rsplit(".", 2)[0]
        + ".eyJzdWIiOiJhZG1pbiJ9."
        + issuer.token().rsplit(".", 1)[1],
        "garbage": "eyJhbGciOi.not-base64!.x".replace("!", ""),
        "oversized": issuer.token(padding="x" * 5600),  # over 8,000 characters, under the 8 kB header cap
    }


@pytest.mark.parametrize(
    "case",
    [
        "bad signature", "alg none", "HS256 keyed with the public key", "ES256 claiming an RSA kid",
        "expired", "not yet valid (nbf)", "issued in the future (iat)", "no exp", "wrong issuer",
        "wrong audience", "no audience", "an ID token", "unknown kid", "tampered payload", "garbage",
        "oversized",
    ],
)  # fmt: skip
def test_every_bad_token_is_401_invalid_token(issuer: Issuer, case: str) -> None:
    token = _forged(issuer)[case]
    if case == "oversized":
        assert 8000 < len(token) < 8150
    reply = ping(issuer, bearer(token))
    assert reply.status == 401, reply.text
    found = params(reply.headers["www-authenticate"])
    assert found["error"] == "invalid_token" and found["resource_metadata"].endswith(
        "/oauth-protected-resource/mcp"
    )
    assert "scope" not in found  # asking for a scope would not fix a bad token
    assert reply.json["error"] == "invalid_token" and reply.json["message"].startswith("invalid token: ")
    assert token[-20:] not in reply.text


def test_missing_scope_is_403_insufficient_scope(issuer: Issuer) -> None:
    reply = ping(issuer, bearer(issuer.token(scope="openid profile")))
    assert reply.status == 403
    found = params(reply.headers["www-authenticate"])
    assert found["error"] == "insufficient_scope" and found["scope"] == SCOPE
    assert SCOPE in reply.json["message"]


@pytest.mark.parametrize("claims", [{"scp": [SCOPE, "x"], "scope": None}, {"scp": SCOPE, "scope": None}])
def test_scp_claims_count_as_scopes(issuer: Issuer, claims: dict[str, Any]) -> None:
    assert ping(issuer, bearer(issuer.token(**claims))).status == 200  # Okta and Entra ID use scp


def test_cognito_access_tokens_match_on_client_id(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_OAUTH_AUDIENCE", "app-client-123")
    cognito = issuer.token(aud=None, client_id="app-client-123", token_use="access")
    assert ping(issuer, bearer(cognito)).status == 200
    assert (
        ping(issuer, bearer(issuer.token(aud=None, client_id="other-client", token_use="access"))).status
        == 401
    )
    # client_id counts only for access tokens without aud
    assert ping(issuer, bearer(issuer.token(aud=None, client_id="app-client-123"))).status == 401


def test_es256_keys_work_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = Issuer(keys={"e1": ec.generate_private_key(ec.SECP256R1())})
    token = issuer.token(kid="e1", algorithm="ES256")
    assert ping(issuer, bearer(token)).status == 401  # RS256 only by default
    monkeypatch.setenv("THOTH_OAUTH_ALGORITHMS", "RS256 ES256")
    assert ping(issuer, bearer(token)).status == 200


def test_an_unknown_kid_refetches_at_most_once_a_minute(issuer: Issuer) -> None:
    clock = Clock()
    app = oauth_app(issuer, clock)
    assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 200
    fetched = len(issuer.fetches)
    issuer.keys["k2"] = rsa_key()  # rotated in just now
    clock.now += 5
    for _ in range(20):  # a flood of tokens with a new kid: no fetch within the minute
        assert call(app, post(PING, bearer(issuer.token(kid="k2")), auth=False)).status == 401
    assert len(issuer.fetches) == fetched
    clock.now += jwks.UNKNOWN_KID_REFETCH_S
    assert call(app, post(PING, bearer(issuer.token(kid="k2")), auth=False)).status == 200
    assert len(issuer.fetches) == fetched + 1


def test_keys_are_refetched_after_their_ttl(issuer: Issuer) -> None:
    clock = Clock()
    app = oauth_app(issuer, clock)
    assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 200
    fetched = len(issuer.fetches)
    clock.now += jwks.KEYS_TTL_S + 1
    assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 200
    assert issuer.fetches[fetched:] == [JWKS_URL]  # the jwks_uri is remembered; no second discovery


def test_a_jwks_outage_fails_closed_with_503_and_a_log_line(
    issuer: Issuer, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer.down = True
    clock = Clock()
    app = oauth_app(issuer, clock)
    reply = call(app, post(PING, bearer(issuer.token()), auth=False))
    assert (
        reply.status == 503
        and reply.json["error"] == "auth_unavailable"
        and reply.headers["retry-after"] == "5"
    )
    out = capsys.readouterr().out
    assert "oauth signing keys unavailable" in out and "connection refused" in out
    fetched = len(issuer.fetches)
    assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 503
    assert len(issuer.fetches) == fetched  # during the outage requests fail at once, no fetch storm
    issuer.down = False
    clock.now += jwks.RETRY_AFTER_FAILURE_S
    assert call(app, post(PING, bearer(issuer.token()), auth=False)).status == 200


def test_metadata_naming_another_issuer_is_not_trusted(issuer: Issuer) -> None:
    issuer.metadata_issuer = "https://evil.example"  # RFC 8414 section 3.3
    assert ping(issuer, bearer(issuer.token())).status == 503


def test_symmetric_and_encryption_keys_in_the_jwks_are_ignored(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_JWKS_URL", JWKS_URL)
    issuer.extra_jwks = [
        {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
        {**issuer.jwk("k1"), "kid": "enc", "use": "enc"},
    ]
    app = oauth_app(issuer)
    for kid in ("sym", "enc"):
        token = issuer.token(kid=kid, key=issuer.keys["k1"])
        assert call(app, post(PING, bearer(token), auth=False)).status == 401
    assert issuer.fetches == [JWKS_URL]  # THOTH_OAUTH_JWKS_URL skips discovery


def test_a_token_in_the_url_is_refused(issuer: Issuer) -> None:
    ev = post(PING, bearer(issuer.token()), auth=False)
    ev["rawQueryString"] = f"access_token={issuer.token()}"
    reply = call(oauth_app(issuer), ev)
    assert reply.status == 400 and "Authorization header" in reply.json["message"]


def test_tokens_never_reach_the_logs(issuer: Issuer, capsys: pytest.CaptureFixture[str]) -> None:
    app = oauth_app(issuer)
    good, bad = issuer.token(), issuer.token(aud="https://other.example/mcp")
    call(app, post(PING, bearer(good), auth=False))
    call(app, post(PING, bearer(bad), auth=False))
    out = capsys.readouterr().out
    assert '"auth": "oauth"' in out
    for token in (good, bad):
        assert token not in out and token.split(".")[2] not in out


def test_browser_clients_can_read_the_challenge(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_ALLOWED_ORIGINS", "https://app.example")
    reply = ping(issuer, {**HOST, "origin": "https://app.example"})
    assert reply.status == 401 and "www-authenticate" in reply.headers["access-control-expose-headers"]
    body = json.loads(reply.text)
    assert "oauth-protected-resource" in body["message"]


def test_a_single_key_without_kid_verifies_tokens_with_or_without_one(
    issuer: Issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_OAUTH_JWKS_URL", JWKS_URL)
    issuer.keys = {"k1": issuer.keys["k1"]}
    original = issuer.jwk

    def without_kid(kid: str) -> dict[str, Any]:
        return {k: v for k, v in original(kid).items() if k != "kid"}

    issuer.jwk = without_kid  # type: ignore[method-assign]
    app = oauth_app(issuer)
    for kid in ("k1", ""):
        assert (
            call(app, post(PING, bearer(issuer.token(kid=kid, key=issuer.keys["k1"])), auth=False)).status
            == 200
        )
