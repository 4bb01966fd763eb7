"""Authlib's authorization server with Thoth's storage: the grants, PKCE, tokens, refresh rotation.

Authlib does the OAuth: request validation, client authentication at the token endpoint, PKCE
verification, RFC 6749 error responses. What is Thoth's is the glue: requests in and responses out,
clients from signed ids or CIMD URLs, codes and refresh tokens in the state table, and the access
token, which Thoth mints itself: a JWT (RFC 9068) signed with the front's key, `aud` = this server's
/mcp (RFC 8707). Passing the upstream's token through instead would not work with Cognito, whose
access tokens carry no `aud` and name only Thoth's own app client, so every MCP client's token would
look alike and none would be bound to this resource; minted tokens are verified by the same
resource-server code as any issuer's (transport/auth/oauth_tokens.py), with `keys.own_fetch` as JWKS.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import jwt
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge

from thoth.mcp_server.settings import FrontSettings
from thoth.mcp_server.transport.auth.front import store
from thoth.mcp_server.transport.auth.front.cimd import CLIENTS, CimdError, is_metadata_url
from thoth.mcp_server.transport.auth.front.clients import AUTH_METHODS, Client, registered_client
from thoth.mcp_server.transport.auth.front.keys import KeyRing
from thoth.shared.errors import ThothError

ACCESS_TOKEN_TTL_S: Final = 3600
MAX_STATE_CHARS: Final = 1024
_DESCRIPTION_UNSAFE = str.maketrans({'"': "'", "\\": "/"})


def description(text: str) -> str:
    """`text` as an RFC 6749 error_description may carry it (%x20-21 / %x23-5B / %x5D-7E, bounded)."""
    cleaned = text.translate(_DESCRIPTION_UNSAFE)
    return "".join(ch for ch in cleaned if 0x20 <= ord(ch) <= 0x7E)[:300]


class InvalidTargetError(OAuth2Error, ThothError):  # type: ignore[misc]
    """RFC 8707: the `resource` is not this server's /mcp (an Authlib error response, and a ThothError)."""

    error = "invalid_target"
    status_code = 400

    def __init__(self, description: str | None = None, **kwargs: Any) -> None:
        OAuth2Error.__init__(self, description=description, **kwargs)


class Context(NamedTuple):
    """What one request of the front needs: who Thoth is (per the URL reached), its keys and settings."""

    issuer: str
    resource: str
    settings: FrontSettings
    keys: KeyRing


@dataclass(frozen=True)
class Subject:
    """The signed-in user a grant speaks for, and the token family and resource it belongs to."""

    sub: str
    family: str
    resource: str
    email: str | None = None
    groups: tuple[str, ...] = ()  # the upstream's groups (cognito:groups): THOTH_SOURCE_ACCESS maps them


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: dict[str, list[str]] = {}
        for name, value in pairs:
            self._data.setdefault(name, value)
            self._datalist.setdefault(name, []).append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class FrontRequest(OAuth2Request):  # type: ignore[misc]
    """An HTTP request as Authlib reads it: the query (GET) or form (POST) parameters, and the headers."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], pairs: list[tuple[str, str]]) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(pairs)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _CodeRecord:
    """A consumed authorization code, as Authlib's grant and PKCE extension read it."""

    def __init__(self, grant: dict[str, Any]) -> None:
        self.grant = grant
        self.code_challenge = grant.get("challenge")
        self.code_challenge_method = "S256"

    def get_redirect_uri(self) -> str | None:
        return self.grant.get("redirect_uri")

    def get_scope(self) -> str:
        return str(self.grant.get("scope") or "")


class _RefreshRecord:
    def __init__(self, grant: dict[str, Any]) -> None:
        self.grant = grant

    def check_client(self, client: Client) -> bool:
        return bool(self.grant.get("client_id") == client.get_client_id())

    def get_scope(self) -> str:
        return str(self.grant.get("scope") or "")


def _subject(grant: dict[str, Any]) -> Subject:
    groups = tuple(str(group) for group in grant.get("groups") or ())
    return Subject(
        str(grant["sub"]), str(grant["family"]), str(grant["resource"]), grant.get("email"), groups
    )


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE required for every client, S256 only (plain is refused)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: Final = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256; plain is refused")
        super().validate_code_challenge(grant, redirect_uri)


def _check_resource(grant: Any, requested: str | None, redirect_uri: str | None = None) -> None:
    """RFC 8707: the token may be for this server's /mcp only (absent means that one)."""
    context: Context = grant.server.context
    if requested is not None and requested.rstrip("/") != context.resource.rstrip("/"):
        raise InvalidTargetError(
            f"resource must be this server's MCP endpoint, {context.resource}",
            redirect_uri=redirect_uri,
            state=grant.request.payload.state,
        )


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: Final = list(AUTH_METHODS)

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        data = self.request.payload.data
        _check_resource(self, data.get("resource"), redirect_uri)
        state = data.get("state")
        if not state or len(state) > MAX_STATE_CHARS:
            raise InvalidRequestError(
                f"send a state parameter (1 to {MAX_STATE_CHARS} characters)", redirect_uri=redirect_uri
            )
        self.request.scope = self.server.granted_scope(data.get("scope"))
        return redirect_uri

    def save_authorization_code(self, code: str, request: FrontRequest) -> None:
        subject: Subject = request.user
        data = request.payload.data
        grant = {
            "client_id": request.client.get_client_id(),
            "redirect_uri": data.get("redirect_uri"),
            "scope": request.scope,
            "challenge": data.get("code_challenge"),
            "sub": subject.sub,
            "email": subject.email,
            "groups": list(subject.groups),
            "family": subject.family,
            "resource": subject.resource,
        }
        store.save(store.CODE, code, grant, store.CODE_TTL_S)

    def query_authorization_code(self, code: str, client: Client) -> _CodeRecord | None:
        grant = store.take_code(code) if isinstance(code, str) else None
        if grant is None or grant.get("client_id") != client.get_client_id():
            return None
        return _CodeRecord(grant)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        _check_resource(self, self.request.payload.data.get("resource"))

    def delete_authorization_code(self, authorization_code: _CodeRecord) -> None:
        """Nothing to do: `query_authorization_code` consumed it."""

    def authenticate_user(self, authorization_code: _CodeRecord) -> Subject:
        return _subject(authorization_code.grant)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: Final = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def validate_token_request(self) -> None:
        super().validate_token_request()
        _check_resource(self, self.request.payload.data.get("resource"))

    def authenticate_refresh_token(self, refresh_token: str) -> _RefreshRecord | None:
        grant = store.take_refresh(refresh_token)
        return _RefreshRecord(grant) if grant else None

    def authenticate_user(self, refresh_token: _RefreshRecord) -> Subject:
        return _subject(refresh_token.grant)

    def revoke_old_credential(self, refresh_token: _RefreshRecord) -> None:
        """Nothing to do: `authenticate_refresh_token` rotated it."""


class FrontServer(AuthorizationServer):  # type: ignore[misc]
    """One request's authorization server (cheap to build: the issuer depends on the URL reached)."""

    def __init__(self, context: Context) -> None:
        super().__init__(scopes_supported=None)  # unknown scopes are dropped, not refused: `granted_scope`
        self.context = context
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_token_generator("default", self._tokens)

    def granted_scope(self, requested: str | None) -> str:
        """The front's scopes the client asked for (all of them when it named none of them)."""
        offered = self.context.settings.scopes
        wanted = [scope for scope in (requested or "").split() if scope in offered]
        return " ".join(wanted or offered)

    def query_client(self, client_id: Any) -> Client | None:
        if not isinstance(client_id, str) or not client_id:
            return None
        if is_metadata_url(client_id):
            try:
                return CLIENTS.client(client_id, self.context.settings.cimd_allow_loopback)
            except CimdError as exc:
                raise InvalidClientError(description=description(str(exc))) from None
        return registered_client(self.context.keys, client_id)

    def _tokens(
        self,
        grant_type: str,
        client: Client,
        user: Subject | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None
        now = int(time.time())
        key = self.context.keys.current
        claims = {
            "iss": self.context.issuer,
            "sub": user.sub,
            "aud": user.resource,
            "client_id": client.get_client_id(),
            "scope": scope or "",
            "iat": now,
            "exp": now + ACCESS_TOKEN_TTL_S,
            "jti": str(uuid.uuid4()),
        }
        if user.groups:
            claims["groups"] = list(user.groups)
        access = jwt.encode(
            claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid, "typ": "at+jwt"}
        )
        token = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": ACCESS_TOKEN_TTL_S,
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: FrontRequest) -> None:
        refresh = token.get("refresh_token")
        if not refresh:
            return
        subject: Subject = request.user
        store.open_family(subject.family)
        grant = {
            "client_id": request.client.get_client_id(),
            "scope": token.get("scope", ""),
            "sub": subject.sub,
            "email": subject.email,
            "groups": list(subject.groups),
            "family": subject.family,
            "resource": subject.resource,
        }
        store.save(store.REFRESH, refresh, grant, store.REFRESH_TTL_S)

    def create_oauth2_request(self, request: FrontRequest) -> FrontRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, dict[str, str]]:
        return status, body, {str(name).lower(): str(value) for name, value in headers}

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's hook for framework signals: nothing listens here."""
