"""The front's pieces without I/O: settings, signed client ids, CIMD rules, the SSRF guard, the key ring."""

from __future__ import annotations

import socket
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from thoth.mcp_server.settings import http_settings
from thoth.mcp_server.transport.auth.front import cimd, clients, upstream
from thoth.mcp_server.transport.auth.front.keys import KeyRing, parse_keys, signing_key
from thoth.shared.errors import ConfigError

UPSTREAM = {
    "THOTH_OAUTH_UPSTREAM": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
    "THOTH_OAUTH_UPSTREAM_CLIENT_ID": "app",
}
CIMD_URL = "https://client.example/oauth/metadata.json"


def pem(private: Any) -> str:
    return str(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing((signing_key(ec.generate_private_key(ec.SECP256R1())),))


# --- settings ---


def test_the_upstream_turns_the_front_on() -> None:
    oauth = http_settings(UPSTREAM).oauth
    assert oauth is not None and oauth.front is not None
    assert oauth.front.upstream == UPSTREAM["THOTH_OAUTH_UPSTREAM"] and oauth.front.client_id == "app"
    assert oauth.algorithms == ("ES256", "RS256") and oauth.front.scopes == ("thoth/search",)
    assert oauth.front.upstream_scopes == ("openid", "email") and not oauth.front.cimd_allow_loopback


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"THOTH_OAUTH_ISSUER": "https://issuer.example"}, "Thoth is the issuer"),
        ({"THOTH_OAUTH_AUDIENCE": "x"}, "unset THOTH_OAUTH_AUDIENCE"),
        ({"THOTH_OAUTH_UPSTREAM": "http://idp.example"}, "plain http"),
        (
            {"THOTH_OAUTH_CIMD_ALLOW_LOOPBACK": "on", "AWS_LAMBDA_FUNCTION_NAME": "thoth"},
            "refused on AWS Lambda",
        ),
    ],
    ids=["with-issuer", "with-audience", "http-upstream", "loopback-cimd-on-lambda"],
)
def test_front_settings_refusals_name_the_fix(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        http_settings({**UPSTREAM, **extra})


def test_front_settings_without_the_upstream_are_refused() -> None:
    with pytest.raises(ConfigError, match="without THOTH_OAUTH_UPSTREAM"):
        http_settings({"THOTH_OAUTH_UPSTREAM_CLIENT_ID": "app"})


# --- signed client ids ---


def test_a_registration_round_trips_and_its_secret_is_derived(ring: KeyRing) -> None:
    metadata = {
        "redirect_uris": ["https://app.example/cb"],
        "token_endpoint_auth_method": "client_secret_post",
    }
    client_id, secret = clients.register(
        ring, {**metadata, "grant_types": ["authorization_code", "refresh_token"]}
    )
    client = clients.registered_client(ring, client_id)
    assert client is not None and client.redirect_uris == ("https://app.example/cb",)
    assert (
        secret is not None
        and client.check_client_secret(secret)
        and not client.check_client_secret(secret + "x")
    )
    assert client.check_endpoint_auth_method("client_secret_post", "token")
    assert not client.check_endpoint_auth_method("none", "token")
    assert client.check_redirect_uri("https://app.example/cb") and not client.check_redirect_uri(
        "https://app.example/cb/"
    )
    public_id, no_secret = clients.register(ring, {**metadata, "token_endpoint_auth_method": "none"})
    assert no_secret is None and clients.registered_client(ring, public_id) is not None


def test_forged_or_foreign_client_ids_describe_no_client(ring: KeyRing) -> None:
    client_id, _ = clients.register(ring, {"redirect_uris": ["https://app.example/cb"]})
    other = KeyRing((signing_key(ec.generate_private_key(ec.SECP256R1())),))
    head, body, signature = client_id.split(".")
    key = ring.derived("client-id", ring.current.kid)
    unsigned = jwt.encode(
        {"redirect_uris": ["https://evil.example"], "auth": "none", "grants": [], "iat": 1}, key, "HS256"
    )
    for forged in (
        f"{head}.{body}.{signature[::-1]}",
        f"{head}.{body[:-2]}AA.{signature}",
        unsigned,  # the right key but no kid/typ header
        client_id + "x" * 5000,
        "not-a-client-id",
    ):
        assert clients.registered_client(ring, forged) is None
    assert clients.registered_client(other, client_id) is None  # another deployment's (or a retired) key


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://claude.ai/api/mcp/auth_callback", True),
        ("https://chatgpt.com/connector/oauth/abc123", True),
        ("http://127.0.0.1:33418/callback", True),
        ("http://localhost:6274/oauth/callback", True),
        ("http://[::1]:8080/cb", True),
        ("http://example.com/cb", False),
        ("cursor://anysphere.cursor-retrieval/oauth/callback", False),
        ("https://app.example/cb#fragment", False),
        ("https://user:pw@app.example/cb", False),
        ("/relative", False),
    ],
)
def test_redirect_uri_rule(uri: str, ok: bool) -> None:
    assert (clients.redirect_uri_problem(uri) is None) is ok


# --- client ID metadata documents ---


@pytest.mark.parametrize(
    "url",
    [
        "http://client.example/metadata.json",
        "https://client.example/",
        "https://client.example",
        "https://client.example/a/../metadata.json",
        "https://user@client.example/metadata.json",
        "https://client.example/metadata.json#x",
    ],
)
def test_cimd_urls_must_be_https_with_a_clean_path(url: str) -> None:
    with pytest.raises(cimd.CimdError):
        cimd.check_url(url)


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    monkeypatch.setattr(cimd.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.0.0.8",),
        ("169.254.169.254",),  # the instance metadata service
        ("127.0.0.1",),
        ("::1",),
        ("fd00::1",),
        ("100.64.0.1",),
        ("93.184.215.14", "192.168.1.1"),  # one private answer among public ones is enough to refuse
    ],
)
def test_cimd_hosts_on_non_public_addresses_are_refused(
    monkeypatch: pytest.MonkeyPatch, addresses: tuple[str, ...]
) -> None:
    _resolving_to(monkeypatch, *addresses)
    with pytest.raises(cimd.CimdError, match="non-public address"):
        cimd.vetted_addresses("client.example", 443, allow_loopback=False)


def test_loopback_passes_only_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "127.0.0.1")
    assert cimd.vetted_addresses("localhost", 443, allow_loopback=True) == ["127.0.0.1"]
    _resolving_to(monkeypatch, "10.0.0.8")
    with pytest.raises(cimd.CimdError):
        cimd.vetted_addresses("client.example", 443, allow_loopback=True)  # private stays refused
    _resolving_to(monkeypatch, "93.184.215.14")
    assert cimd.vetted_addresses("client.example", 443, allow_loopback=False) == ["93.184.215.14"]


def _document(**changes: Any) -> dict[str, Any]:
    return {"client_id": CIMD_URL, "redirect_uris": ["https://client.example/cb"], **changes}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_document(client_id="https://other.example/metadata.json"), "differs from its URL"),
        (_document(redirect_uris=[]), "no redirect_uris"),
        (_document(redirect_uris=["http://client.example/cb"]), "neither https"),
        (_document(token_endpoint_auth_method="client_secret_basic"), "'none'"),
        (_document(client_secret="s3cret"), "'none'"),
        (_document(grant_types=["client_credentials"]), "grant_types"),
    ],
)
def test_unusable_cimd_documents(document: dict[str, Any], message: str) -> None:
    with pytest.raises(cimd.CimdError, match=message):
        cimd.client_from_document(CIMD_URL, document)


def test_cimd_documents_are_cached() -> None:
    fetched: list[str] = []

    def fetch(url: str, allow_loopback: bool) -> dict[str, Any]:
        fetched.append(url)
        return _document()

    now = [0.0]
    cache = cimd.CimdClients(fetch, clock=lambda: now[0])
    assert cache.client(CIMD_URL, False).redirect_uris == ("https://client.example/cb",)
    cache.client(CIMD_URL, False)
    now[0] += cimd.CACHE_TTL_S + 1
    cache.client(CIMD_URL, False)
    assert len(fetched) == 2


# --- the key ring ---


def test_keys_rotate_by_prepending_and_every_key_is_published() -> None:
    old, new = (
        ec.generate_private_key(ec.SECP256R1()),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    ring = KeyRing(parse_keys(pem(new) + pem(old)))
    assert ring.current.algorithm == "RS256" and [k.algorithm for k in ring.keys] == ["RS256", "ES256"]
    published = ring.jwks()["keys"]
    assert {k["kid"] for k in published} == {k.kid for k in ring.keys}
    assert all("d" not in k and "p" not in k for k in published)
    assert ring.derived("client-id", ring.keys[0].kid) != ring.derived("client-secret", ring.keys[0].kid)
    assert ring.derived("client-id", ring.keys[0].kid) != ring.derived("client-id", ring.keys[1].kid)


@pytest.mark.parametrize(
    "text",
    ["", "not a key", pem(ed25519.Ed25519PrivateKey.generate()), pem(rsa.generate_private_key(65537, 1024))],
    ids=["empty", "garbage", "ed25519", "rsa-1024"],
)
def test_unusable_signing_keys_name_the_fix(text: str) -> None:
    with pytest.raises(ConfigError, match=r"PEM|cannot sign"):
        parse_keys(text)


def test_seeds_derive_the_same_key_everywhere_and_rotate_like_pem() -> None:
    seed, new_seed = "s" * 20 + "0123456789abcdefghijklmnop", "n" * 43
    ring = KeyRing(parse_keys(seed))
    again = KeyRing(parse_keys(f"  {seed}\n"))
    assert ring.current.algorithm == "ES256" and ring.current.kid == again.current.kid
    rotated = KeyRing(parse_keys(f"{new_seed}\n{seed}"))
    assert [k.kid for k in rotated.keys][1] == ring.current.kid and rotated.current.kid != ring.current.kid
    with pytest.raises(ConfigError, match="43"):
        parse_keys("short-seed")


class _Secrets:
    def __init__(self, value: str | None) -> None:
        self.value = value

    def get(self, name: str) -> str | None:
        assert name == "oauth-client-secret"
        return self.value


@pytest.mark.parametrize(
    ("configured", "stored", "expected"),
    [
        ("app", "s3cret", ("app", "s3cret")),
        ("app", None, ("app", None)),
        (None, '{"client_id": "tf-app", "client_secret": "s3cret"}', ("tf-app", "s3cret")),
        ("tf-app", '{"client_id": "tf-app", "client_secret": "s3cret"}', ("tf-app", "s3cret")),
    ],
)
def test_upstream_credentials(
    configured: str | None, stored: str | None, expected: tuple[str, str | None]
) -> None:
    assert upstream.credentials(configured, _Secrets(stored)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("configured", "stored", "message"),
    [
        (None, None, "no upstream client id"),
        (None, "s3cret", "no upstream client id"),
        ("other", '{"client_id": "tf-app", "client_secret": "s3cret"}', "differs"),
        (None, '{"client_secret": "s3cret"}', "lacks a string client_id"),
        (None, "{not json", "not JSON"),
    ],
)
def test_upstream_credentials_refusals(configured: str | None, stored: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        upstream.credentials(configured, _Secrets(stored))  # type: ignore[arg-type]


def test_minted_tokens_carry_the_upstream_groups_for_source_access(ring: KeyRing) -> None:
    from thoth.mcp_server.settings import FrontSettings
    from thoth.mcp_server.transport.auth.front.server import Context, FrontServer, Subject

    settings = FrontSettings("https://idp.example", "app", ("openid",), ("thoth/search",))
    context = Context("https://thoth.example", "https://thoth.example/mcp", settings, ring)
    client = clients.Client("client-1", ("https://app.example/cb",))
    subject = Subject("alice", "family-1", context.resource, None, ("staff",))
    token = FrontServer(context)._tokens("authorization_code", client, subject, "thoth/search")
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["groups"] == ["staff"] and claims["aud"] == "https://thoth.example/mcp"
    assert claims["iss"] == "https://thoth.example" and claims["client_id"] == "client-1"
    assert token["refresh_token"] and token["expires_in"] == 3600
