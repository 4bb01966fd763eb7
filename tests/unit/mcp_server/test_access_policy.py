"""The source-access policy: key entries, THOTH_SOURCE_ACCESS, what a token is granted, bad settings."""

from __future__ import annotations

import json

import pytest

from thoth.mcp_server.access import (
    SOURCE_NAME_RE,
    check_policy_sources,
    claim_groups,
    token_policy,
    token_sources,
    union,
)
from thoth.mcp_server.protocol.tools import Deadline
from thoth.mcp_server.transport.auth.api_keys import ApiKeyAuth, KeyEntry, parse_entries
from thoth.shared.errors import ConfigError
from thoth.shared.index.format import NAME_RE
from thoth.shared.secrets import Secrets

KEY = "plain-key-0123456789abcdef"
LIMITED = "limited-key-0123456789abcdef"


def policy(value: object) -> dict[str, str]:
    return {"THOTH_SOURCE_ACCESS": json.dumps(value)}


def test_the_source_name_rule_is_the_index_formats() -> None:
    assert SOURCE_NAME_RE.pattern == NAME_RE.pattern


def test_key_entries_plain_and_limited() -> None:
    raw = json.dumps(
        [KEY, {"key": LIMITED, "sources": ["handbook", "vault"]}, {"key": KEY + "x", "sources": ["*"]}]
    )
    assert parse_entries(raw) == (
        KeyEntry(KEY, None),
        KeyEntry(LIMITED, frozenset({"handbook", "vault"})),
        KeyEntry(KEY + "x", None),
    )
    assert parse_entries(KEY) == (KeyEntry(KEY, None),)


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"key": LIMITED}, 'exactly "key" and "sources"'),
        ({"key": LIMITED, "sources": ["handbook"], "note": "x"}, 'exactly "key" and "sources"'),
        ({"key": LIMITED, "sources": "handbook"}, "must be a list of source names"),
        ({"key": LIMITED, "sources": ["Hand Book"]}, "not a source name"),
        ({"sources": ["handbook"]}, "non-empty JSON list of keys"),
    ],
)
def test_bad_key_entries_name_the_fix_and_never_the_key(entry: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        parse_entries(json.dumps([entry]))
    assert LIMITED not in str(caught.value)


def test_the_matched_key_brings_its_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps([KEY, {"key": LIMITED, "sources": ["handbook"]}]))
    auth = ApiKeyAuth(Secrets())
    assert auth.check({"authorization": f"Bearer {KEY}"}).sources is None
    limited = auth.check({"x-api-key": LIMITED})
    assert limited.ok and limited.sources == frozenset({"handbook"})
    assert not auth.check({"x-api-key": LIMITED + "0"}).ok


def test_a_token_gets_its_groups_scopes_and_the_default() -> None:
    parsed = token_policy(
        policy({"groups": {"staff": ["vault"]}, "scopes": {"thoth/ops": ["ops"]}, "default": ["handbook"]})
    )
    assert parsed is not None
    assert token_sources(frozenset(), frozenset(), parsed) == frozenset({"handbook"})
    assert token_sources(frozenset({"staff"}), frozenset({"thoth/ops"}), parsed) == {
        "handbook",
        "vault",
        "ops",
    }
    assert token_sources(frozenset({"staff"}), frozenset(), None) is None  # no policy: every source
    admins = token_policy(policy({"groups": {"admins": ["*"]}}))
    assert admins is not None and token_sources(frozenset({"admins"}), frozenset(), admins) is None
    assert token_sources(frozenset({"guests"}), frozenset(), admins) == frozenset()  # no default: nothing


def test_groups_come_from_cognito_or_generic_claims() -> None:
    assert claim_groups({"cognito:groups": ["staff", 3], "groups": "ops dev"}) == {"staff", "ops", "dev"}
    assert claim_groups({}) == frozenset()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ('{"group": {}}', "unknown key"),
        ('{"groups": ["staff"]}', "must be an object"),
        ('{"groups": {"staff": "handbook"}}', "groups.staff must be a list"),
        ('{"default": ["../etc"]}', "not a source name"),
    ],
)
def test_a_malformed_policy_names_the_fix(raw: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        token_policy({"THOTH_SOURCE_ACCESS": raw})


def test_a_policy_naming_an_unknown_source_is_refused() -> None:
    env = policy({"groups": {"staff": ["handbook", "vualt"]}})
    with pytest.raises(ConfigError, match=r"vualt.*no live index"):
        check_policy_sources(["handbook", "vault"], env)
    check_policy_sources(["handbook", "vualt"], env)
    check_policy_sources(["handbook"], {})


def test_a_deadline_narrows_but_never_widens() -> None:
    base = Deadline(10.0)
    assert base.for_caller(None) is base and base.sources is None
    narrowed = base.for_caller(frozenset({"a", "b"}))
    assert narrowed.at == 10.0 and narrowed.sources == {"a", "b"}
    assert narrowed.for_caller(frozenset({"b", "c"})).sources == {"b"}
    assert union([frozenset({"a"}), None]) is None
