"""Who may read which source: the one place that maps callers to sources.

Two kinds of caller. An API key is an entry of the api-key secret (THOTH_API_KEYS locally):
a plain key string reads every source, an object `{"key": "...", "sources": ["handbook"]}`
only the sources it names. An OAuth access token reads what THOTH_SOURCE_ACCESS grants its
groups (Cognito's `cognito:groups`, or `groups`) and scopes:

    {"groups": {"staff": ["handbook", "internal"]}, "scopes": {"thoth/internal": ["internal"]},
     "default": ["handbook"]}

A token gets the union of what its groups and scopes grant, plus `default` (nothing when absent).
`"*"` grants every source. Without THOTH_SOURCE_ACCESS every token reads every source, as before.

The result, a frozenset of source names or None for "every source", rides on the request's
Deadline (protocol/tools.py) to the tools; the search registry filters by it. Which sources
exist is known only from the live pointers, so a policy naming an unknown source is refused
when the registry reads them (the first tool call or /health), not at process start.
Imports nothing heavy: the transport's auth path loads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Final, NamedTuple

from thoth.mcp_server.settings import source_access
from thoth.shared.errors import ConfigError

# The index format's source-name rule (thoth.shared.index.format.NAME_RE; that package is too heavy
# for the auth path, and a unit test keeps the two equal).
SOURCE_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
EVERY_SOURCE: Final = "*"
POLICY_VAR: Final = "THOTH_SOURCE_ACCESS"
GROUP_CLAIMS: Final = ("cognito:groups", "groups")
_POLICY_FIX: Final = (
    'set it to JSON like {"groups": {"staff": ["handbook", "internal"]}, '
    '"scopes": {"thoth/internal": ["internal"]}, "default": ["handbook"]}'
)

Sources = frozenset[str] | None  # None: every source


class TokenPolicy(NamedTuple):
    """THOTH_SOURCE_ACCESS parsed: sources per group, per scope, and for every token."""

    groups: Mapping[str, Sources]
    scopes: Mapping[str, Sources]
    default: Sources

    def named(self) -> frozenset[str]:
        """Every source name the policy mentions (to check against the live ones)."""
        found: set[str] = set(self.default or ())
        for table in (self.groups, self.scopes):
            for sources in table.values():
                found.update(sources or ())
        return frozenset(found)


def source_list(value: Any, where: str) -> Sources:
    """A JSON list of source names (or ["*"]) as a frozenset; None for every source."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where} must be a list of source names, e.g. ["handbook"] (or ["*"] for all)')
    if EVERY_SOURCE in value:
        return None
    for name in value:
        if not SOURCE_NAME_RE.fullmatch(name):
            raise ConfigError(
                f"{where} names {name[:64]!r}, not a source name; use the names of sources.yaml "
                "(1-63 of a-z, 0-9, '-', '_')"
            )
    return frozenset(value)


def union(grants: Iterable[Sources]) -> Sources:
    """What several grants add up to (None wins: every source)."""
    total: set[str] = set()
    for grant in grants:
        if grant is None:
            return None
        total.update(grant)
    return frozenset(total)


def _table(raw: dict[str, Any], key: str) -> dict[str, Sources]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(
            f"{POLICY_VAR}: {key!r} must be an object mapping a {key[:-1]} to sources; {_POLICY_FIX}"
        )
    return {str(name): source_list(sources, f"{POLICY_VAR}: {key}.{name}") for name, sources in value.items()}


@lru_cache(maxsize=4)
def _parse_policy(raw: str) -> TokenPolicy:
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{POLICY_VAR} is not valid JSON; {_POLICY_FIX}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{POLICY_VAR} must be a JSON object; {_POLICY_FIX}")
    unknown = sorted(set(value) - {"groups", "scopes", "default"})
    if unknown:
        raise ConfigError(f"{POLICY_VAR} has unknown key(s) {', '.join(unknown)[:80]}; {_POLICY_FIX}")
    default = source_list(value["default"], f"{POLICY_VAR}: default") if "default" in value else frozenset()
    return TokenPolicy(_table(value, "groups"), _table(value, "scopes"), default)


def token_policy(env: Mapping[str, str] | None = None) -> TokenPolicy | None:
    """THOTH_SOURCE_ACCESS parsed (cached per value), or None when unset; ConfigError with the fix."""
    raw = source_access(env)
    return None if raw is None else _parse_policy(raw)


def claim_words(claims: Mapping[str, Any], names: Iterable[str]) -> frozenset[str]:
    """The words the claims `names` hold, each a space-separated string or a list of strings (other
    shapes and members count for nothing): how tokens carry groups and scopes alike."""
    found: set[str] = set()
    for name in names:
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return frozenset(found)


def claim_groups(claims: Mapping[str, Any]) -> frozenset[str]:
    """The groups a token's claims name (`cognito:groups` or `groups`: a list or a space-separated string)."""
    return claim_words(claims, GROUP_CLAIMS)


def token_sources(groups: frozenset[str], scopes: frozenset[str], policy: TokenPolicy | None) -> Sources:
    """The sources a verified token may read under `policy` (None policy: every source)."""
    if policy is None:
        return None
    grants: list[Sources] = [policy.default]
    grants += [policy.groups[g] for g in sorted(groups) if g in policy.groups]
    grants += [policy.scopes[s] for s in sorted(scopes) if s in policy.scopes]
    return union(grants)


def unknown_sources(allowed: Sources, live: Iterable[str]) -> list[str]:
    """Source names a grant makes that no live index has (sorted)."""
    return sorted(set(allowed or ()) - set(live))


def check_policy_sources(live: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """ConfigError when THOTH_SOURCE_ACCESS names a source that has no live index."""
    policy = token_policy(env)
    if policy is None:
        return
    missing = unknown_sources(policy.named(), live)
    if missing:
        raise ConfigError(
            f"{POLICY_VAR} names source(s) {', '.join(missing)[:200]} that no live index has; "
            "correct the name(s) to those of sources.yaml, or publish the source with the refresh service"
        )
