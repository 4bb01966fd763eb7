"""Thoth's OAuth 2.1 authorization server before an upstream OpenID provider (Cognito) that signs people in.

Imported only for its own paths (`paths.FRONT_PATHS`): /health, API keys and bearer /mcp never load it
(Authlib alone costs ~50 ms of imports). The resource server verifies the tokens it mints through the
ordinary path (transport/auth/oauth_tokens.py) with `keys.own_fetch` as the JWKS source.
"""
