"""The caller's source policy applied to the live pointers: what a tool may show, and nothing more.

Every tool reaches indexes through the registry, and the registry asks `visible` which live
sources this caller may read (the set rides on the request's Deadline). A source outside it
is handled exactly as a source that does not exist, so no tool can count or hint at it.
"""

from __future__ import annotations

from collections.abc import Sequence

from thoth.mcp_server.access import Sources, unknown_sources
from thoth.shared.errors import ConfigError
from thoth.shared.live import LivePointer

NOTHING_GRANTED = (
    "these credentials may read no source; ask the operator to grant some (THOTH_SOURCE_ACCESS for "
    'OAuth groups and scopes, the api-key secret\'s "sources" for a key)'
)


def visible(pointers: Sequence[LivePointer], allowed: Sources) -> list[LivePointer]:
    """The pointers of the sources `allowed` names (all for None); ConfigError when it names a source
    that has no live index (a typo in the policy, or a source never published)."""
    if allowed is None:
        return list(pointers)
    missing = unknown_sources(allowed, (p.source for p in pointers))
    if missing:
        raise ConfigError(
            f"the source-access policy grants source(s) {', '.join(missing)[:200]} that no live index has; "
            "correct the name in THOTH_SOURCE_ACCESS or the api-key secret, or publish that source first"
        )
    return [p for p in pointers if p.source in allowed]


def scope_tag(allowed: Sources) -> str:
    """What a cursor records of the caller's policy, so a caller with another policy cannot replay it."""
    return "*" if allowed is None else ",".join(sorted(allowed))
