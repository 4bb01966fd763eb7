"""Who may call /mcp: API keys, OAuth access tokens (JWTs) against the issuer's JWKS, and their errors."""
