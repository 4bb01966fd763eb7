"""Why a request's credentials were refused, as the endpoint tells the client (no JOSE import here)."""

from __future__ import annotations

from thoth.shared.errors import ThothError


class InvalidToken(ThothError):
    """The token is not one this server accepts (401 invalid_token); the message says why."""


class InsufficientScope(ThothError):
    """A valid token without every required scope (403 insufficient_scope)."""


class KeysUnavailable(ThothError):
    """The issuer's signing keys cannot be fetched right now: refuse the request (503), never guess."""
