"""Where the authorization-server front answers (a leaf: the router reads it on every request)."""

from __future__ import annotations

from typing import Final

AS_METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
OPENID_METADATA_PATH: Final = "/.well-known/openid-configuration"
AUTHORIZE_PATH: Final = "/oauth/authorize"
TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 - a path
REGISTER_PATH: Final = "/oauth/register"
CALLBACK_PATH: Final = "/oauth/callback"
JWKS_PATH: Final = "/oauth/jwks"
FRONT_PATHS: Final = frozenset(
    {
        AS_METADATA_PATH,
        OPENID_METADATA_PATH,
        AUTHORIZE_PATH,
        TOKEN_PATH,
        REGISTER_PATH,
        CALLBACK_PATH,
        JWKS_PATH,
    }
)
