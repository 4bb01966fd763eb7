"""The one error type the build raises: a cause a user can act on, plus the fix."""

from __future__ import annotations

from thoth.shared.errors import ThothError


class PackagingError(ThothError):
    """A build stopped on purpose; the message names the cause and the fix."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(f"{cause}; {fix}")
        self.cause = cause
        self.fix = fix
