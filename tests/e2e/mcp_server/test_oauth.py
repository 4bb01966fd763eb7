"""OAuth end to end: `serve` as a resource server, real issuers, the official SDK client.

1. A Cognito user pool (moto server process): the SDK client sends the pool's access token.
2. oidc-provider-mock: the SDK client starts from the 401 challenge alone and runs its own OAuth
   flow (RFC 9728 discovery, dynamic client registration, authorization code with an S256 PKCE
   challenge, the provider's consent form submitted automatically, RFC 8707 resource), then lists
   and searches. (oidc-provider-mock 0.3.4 accepts the PKCE parameters but does not check the
   verifier; what is tested here is that the client sends them and Thoth accepts the token.)
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.cognito import create_pool
from tests.support.issuers import moto_server, oidc_provider, thoth_server
from tests.support.mcp_clients import KEY, MemoryTokens, offline_env, sdk_client

pytestmark = pytest.mark.e2e
QUERY = "how do I request time off"


async def _list_and_search(client: Any) -> tuple[list[str], Any]:
    listing = await client.list_tools()
    result = await client.call_tool("search_handbook", {"query": QUERY, "limit": 2})
    return [t.name for t in listing.tools], result


def test_sdk_client_with_a_cognito_access_token(handbook_home) -> None:  # type: ignore[no-untyped-def]
    with moto_server() as endpoint:
        pool = create_pool(endpoint)
        env = offline_env(
            handbook_home, THOTH_API_KEYS=KEY, **pool.env(THOTH_OAUTH_RESOURCE="http://127.0.0.1/mcp")
        )
        with thoth_server(env) as (url, _):
            token = pool.sign_in()["AccessToken"]

            async def session(mode: str, credential: str) -> tuple[list[str], Any]:
                async with sdk_client(url, mode, key=credential) as client:
                    return await _list_and_search(client)

            for mode in ("legacy", "auto"):
                tools, result = asyncio.run(session(mode, token))
                assert tools[0] == "search_handbook"
                assert not result.is_error and "time-off" in result.structured_content["results"][0]["path"]
            assert asyncio.run(session("auto", KEY))[0][0] == "search_handbook"  # API keys still work

            bare = httpx.post(f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert bare.status_code == 401
            challenge = bare.headers["www-authenticate"]
            assert (
                'resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"' in challenge
            )
            metadata = httpx.get(f"{url}/.well-known/oauth-protected-resource/mcp").json()
            assert (
                metadata["authorization_servers"] == [pool.issuer]
                and metadata["resource"] == "http://127.0.0.1/mcp"
            )
            id_token = httpx.post(
                f"{url}/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={
                    "authorization": f"Bearer {pool.sign_in()['IdToken']}",
                    "accept": "application/json",
                },
            )
            assert (
                id_token.status_code == 401
                and 'error="invalid_token"' in id_token.headers["www-authenticate"]
            )


async def _oauth_session(
    url: str, mode: str, storage: MemoryTokens, consents: list[str]
) -> tuple[list[str], Any]:
    import httpx2
    from mcp.client import Client
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata

    redirected: dict[str, str] = {}

    async def consent(authorization_url: str) -> None:
        """The user's browser: open the provider's form and submit it as alice (automatic consent)."""
        consents.append(authorization_url)
        async with httpx2.AsyncClient() as browser:
            answer = await browser.post(authorization_url, data={"sub": "alice@example.com"})
        assert answer.status_code in (302, 303), answer.text[:500]
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        redirected.update({k: v[0] for k, v in query.items()})

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=redirected["code"], state=redirected.get("state"))

    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="thoth-e2e",
            redirect_uris=["http://127.0.0.1:33418/callback"],
            token_endpoint_auth_method="client_secret_post",
        ),
        storage=storage,
        redirect_handler=consent,
        callback_handler=callback,
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30.0, read=60.0)) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
    ):
        return await _list_and_search(client)


def test_sdk_client_signs_in_from_the_challenge(handbook_home, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with oidc_provider() as issuer:
        # An OAuth-only server: no API keys at all; the only way in is a token from the issuer.
        env = offline_env(handbook_home, THOTH_OAUTH_ISSUER=issuer, THOTH_OAUTH_SCOPES="thoth/search")
        with thoth_server(env) as (url, proc):
            storage, consents = MemoryTokens(), []
            tools, result = asyncio.run(_oauth_session(url, "auto", storage, consents))
            assert tools[0] == "search_handbook" and not result.is_error
            assert result.structured_content["results"], result
            assert len(consents) == 1
            asked = parse_qs(urlsplit(consents[0]).query)
            assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
            assert asked["resource"] == [f"{url}/mcp"]  # RFC 8707: the token is bound to this server
            assert "thoth/search" in asked["scope"][0].split()  # from the challenge's scope
            token = storage.tokens.access_token
            assert token.count(".") == 2  # a JWT, verified against the provider's JWKS
            tools, _ = asyncio.run(_oauth_session(url, "legacy", storage, consents))
            assert len(consents) == 1  # the stored token is reused: no second sign-in
            forged = token[:-8] + ("A" * 8 if not token.endswith("A" * 8) else "B" * 8)
            headers = {"authorization": f"Bearer {forged}", "accept": "application/json"}
            refused = httpx.post(
                f"{url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers
            )
            assert (
                refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
            )
        output = proc.stdout.read() if proc.stdout else ""
        assert token not in output
