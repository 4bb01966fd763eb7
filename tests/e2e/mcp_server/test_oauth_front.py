"""The authorization-server front end to end: the official SDK's OAuth client signs in through `serve`.

The upstream is shaped like Cognito (no registration, no `code_challenge_methods_supported`: see
tests/support/front.py), so the SDK could not use it directly; through the front it finds RFC 8414
metadata, registers (DCR) or names its metadata document (CIMD), runs the code flow with PKCE, gets a
token Thoth minted for its /mcp, lists the tools and searches. The CIMD document is served over https
on loopback with a CA the test makes (trusted by the server through SSL_CERT_FILE), which the server
accepts only because THOTH_OAUTH_CIMD_ALLOW_LOOPBACK=on (refused on Lambda).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.support.front import cognito_like_upstream, https_documents, sign_in
from tests.support.git_hosts import make_tls
from tests.support.issuers import free_port, thoth_server
from tests.support.mcp_clients import MemoryTokens, offline_env

pytestmark = pytest.mark.e2e
QUERY = "how do I request time off"
REDIRECT = "http://127.0.0.1:33418/callback"


async def _session(
    url: str, storage: MemoryTokens, asked: list[str], metadata_url: str | None = None
) -> tuple[Any, Any]:
    import httpx2
    from mcp.client import Client
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata

    redirected: dict[str, str] = {}

    async def browser(authorization_url: str) -> None:
        asked.append(authorization_url)
        redirected.update(await asyncio.to_thread(sign_in, authorization_url))

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(
            code=redirected["code"], state=redirected.get("state"), iss=redirected.get("iss")
        )

    provider = OAuthClientProvider(
        server_url=f"{url}/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="thoth-front-e2e",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser,
        callback_handler=callback,
        client_metadata_url=metadata_url,
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30.0, read=60.0)) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        listing = await client.list_tools()
        result = await client.call_tool("search_handbook", {"query": QUERY, "limit": 2})
        return listing, result


def _front_env(home: Path, upstream_env: dict[str, str], **extra: str) -> dict[str, str]:
    # An OAuth-only server: no API keys; the only way in is a token the front minted.
    return offline_env(home, **upstream_env, **extra)


def _check_signed_in(
    url: str, storage: MemoryTokens, asked: list[str], listing: Any, result: Any
) -> dict[str, Any]:
    assert listing.tools[0].name == "search_handbook"
    assert not result.is_error and "time-off" in result.structured_content["results"][0]["path"]
    assert len(asked) == 1
    request = parse_qs(urlsplit(asked[0]).query)
    assert urlsplit(asked[0]).path == "/oauth/authorize"
    assert request["code_challenge_method"] == ["S256"] and request["resource"] == [f"{url}/mcp"]
    token = storage.tokens.access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == url and claims["aud"] == f"{url}/mcp" and claims["sub"] == "alice@example.com"
    assert storage.tokens.refresh_token
    return claims


def test_sdk_client_signs_in_by_dcr_through_the_front(handbook_home: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        cognito_like_upstream(f"{url}/oauth/callback") as upstream,
        thoth_server(_front_env(handbook_home, upstream.env()), port=port) as (_, proc),
    ):
        metadata = httpx.get(f"{url}/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == url and metadata["code_challenge_methods_supported"] == ["S256"]
        assert metadata["client_id_metadata_document_supported"] is True
        resource = httpx.get(f"{url}/.well-known/oauth-protected-resource/mcp").json()
        assert resource["authorization_servers"] == [url]

        storage, asked = MemoryTokens(), []
        listing, result = asyncio.run(_session(url, storage, asked))
        claims = _check_signed_in(url, storage, asked, listing, result)
        assert claims["client_id"] == storage.client.client_id and claims["client_id"].count(".") == 2
        upstream_leg = httpx.get(asked[0], follow_redirects=False).headers["location"]
        assert upstream_leg.startswith(upstream.issuer)  # the browser goes upstream with Thoth's one callback
        assert parse_qs(urlsplit(upstream_leg).query)["redirect_uri"] == [f"{url}/oauth/callback"]

        # The refresh token rotates: the new pair works, the old refresh token is refused and,
        # being a replay, revokes its family (the new one stops working too).
        old = storage.tokens.refresh_token
        form = {"grant_type": "refresh_token", "client_id": storage.client.client_id}
        fresh = httpx.post(f"{url}/oauth/token", data={**form, "refresh_token": old}).json()
        assert fresh["refresh_token"] != old and fresh["access_token"].count(".") == 2
        replay = httpx.post(f"{url}/oauth/token", data={**form, "refresh_token": old})
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        after = httpx.post(f"{url}/oauth/token", data={**form, "refresh_token": fresh["refresh_token"]})
        assert after.json()["error"] == "invalid_grant"
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        headers = {"authorization": f"Bearer {fresh['access_token']}", "accept": "application/json"}
        assert httpx.post(f"{url}/mcp", json=ping, headers=headers).status_code == 200
    output = proc.stdout.read() if proc.stdout else ""
    for secret in (storage.tokens.access_token, old, fresh["refresh_token"], upstream.client_secret):
        assert secret not in output


def test_sdk_client_signs_in_by_cimd_through_the_front(handbook_home: Path, tmp_path: Path) -> None:
    ca = make_tls(tmp_path / "tls")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        https_documents(ca) as host,
        cognito_like_upstream(f"{url}/oauth/callback") as upstream,
    ):
        document_url = host.base + "/clients/thoth-e2e.json"
        host.json(
            "/clients/thoth-e2e.json",
            {
                "client_id": document_url,
                "client_name": "thoth CIMD e2e",
                "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            },
        )
        env = _front_env(
            handbook_home, upstream.env(), THOTH_OAUTH_CIMD_ALLOW_LOOPBACK="on", SSL_CERT_FILE=str(ca.ca_file)
        )
        with thoth_server(env, port=port):
            storage, asked = MemoryTokens(), []
            listing, result = asyncio.run(_session(url, storage, asked, metadata_url=document_url))
            claims = _check_signed_in(url, storage, asked, listing, result)
            assert claims["client_id"] == document_url and storage.client.client_id == document_url
            assert host.requests == ["/clients/thoth-e2e.json"]  # fetched once, then cached
