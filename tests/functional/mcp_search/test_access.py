"""Per-caller source access through the whole server: every tool x allowed/denied x API key/OAuth token.

Two sources are live: the sample `handbook` and `vault` (one page only some callers may read). Four
callers: a plain key (every source), a key limited to handbook, a token in the `staff` group (both,
by THOTH_SOURCE_ACCESS) and a token with no group (the policy's default: handbook). A caller that may
not read vault must never see its name, its pages or its counts in any tool's answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.mcp_app import META, Reply, call, modern, modern_headers, post, request
from tests.support.mcp_search import embed, markdown_chunks, publish
from tests.support.oauth_issuer import AUDIENCE, ISSUER, Issuer
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.search.catalog import CATALOG
from thoth.mcp_server.settings import OAuthSettings
from thoth.mcp_server.transport.auth.authenticator import Authenticator
from thoth.mcp_server.transport.auth.oauth_tokens import TokenVerifier
from thoth.shared.index import Chunk, LivePointer

Corpus = tuple[list[Chunk], npt.NDArray[np.float32]]
FULL_KEY = "full-key-0123456789abcdef"
HANDBOOK_KEY = "handbook-key-0123456789abcdef"
SECRET = "vault"
VAULT_PAGE = "# Merger plans\n\n## Project Zephyr\n\nThe zephyr acquisition closes in March; keep it quiet.\n"
POLICY = {"groups": {"staff": ["handbook", SECRET]}, "default": ["handbook"]}


class World(NamedTuple):
    app: App
    issuer: Issuer


@pytest.fixture
def app(
    published: LivePointer, tmp_path: Path, encoder_fingerprint: str, monkeypatch: pytest.MonkeyPatch
) -> World:
    root = tmp_path / "vault-src"
    root.mkdir()
    (root / "merger.md").write_text(VAULT_PAGE, encoding="utf-8")
    chunks = markdown_chunks(root, SECRET)
    publish(SECRET, "v1", chunks, embed([c.keyword_text for c in chunks]), encoder_fingerprint)
    keys = [FULL_KEY, {"key": HANDBOOK_KEY, "sources": ["handbook"]}]
    monkeypatch.setenv("THOTH_API_KEYS", json.dumps(keys))
    monkeypatch.setenv("THOTH_OAUTH_ISSUER", ISSUER)
    monkeypatch.setenv("THOTH_OAUTH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("THOTH_SOURCE_ACCESS", json.dumps(POLICY))
    issuer = Issuer()

    def verifier(settings: OAuthSettings) -> TokenVerifier:
        return TokenVerifier(settings, fetch=issuer.fetch)

    return World(App(catalog=CATALOG, auth=Authenticator(verifiers=verifier)), issuer)


def _bearer(world: World, caller: str) -> str:
    if caller == "key-full":
        return FULL_KEY
    if caller == "key-handbook":
        return HANDBOOK_KEY
    groups = ["staff"] if caller == "token-staff" else None
    return world.issuer.token(**({"cognito:groups": groups} if groups else {}))


def tool(world: World, caller: str, name: str, arguments: dict[str, Any]) -> Reply:
    event = modern("tools/call", {"name": name, "arguments": arguments})
    event["headers"].update({"authorization": f"Bearer {_bearer(world, caller)}", "host": "thoth.example"})
    reply = call(world.app, event)
    assert reply.status == 200, reply.text
    return reply


CALLERS = {"key-full": True, "key-handbook": False, "token-staff": True, "token-default": False}
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_handbook", {"query": "zephyr acquisition merger plans", "limit": 10}),
    ("search_handbook", {"query": "vacation days", "limit": 10}),
    ("list_topics", {}),
    ("index_status", {}),
    ("get_handbook_section", {"path": "merger.md"}),
    ("search", {"query": "zephyr acquisition merger plans"}),
]


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize(("name", "arguments"), CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CALLS)])
def test_every_tool_shows_only_the_callers_sources(
    app: World, caller: str, name: str, arguments: dict[str, Any]
) -> None:
    reply = tool(app, caller, name, arguments)
    if CALLERS[caller]:
        if name != "search_handbook" or "zephyr" in arguments["query"]:
            assert SECRET in reply.text, f"{caller} may read {SECRET}: {name} should show it"
        assert not reply.result.get("isError"), reply.text
    else:
        assert SECRET not in reply.text and "zephyr" not in reply.text.lower().replace(
            "zephyr acquisition merger plans", ""
        )
        if name == "get_handbook_section":  # the same answer as for a page that does not exist
            missing = tool(app, caller, name, {"path": "nowhere.md"})
            assert reply.result["isError"] and missing.result["isError"]
            assert "no page with path" in reply.text
        elif name in ("list_topics", "index_status"):
            assert "handbook" in reply.text and not reply.result.get("isError")


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("name", ["search_handbook", "list_topics", "get_handbook_section"])
def test_a_denied_source_is_the_same_error_as_a_missing_one(app: World, caller: str, name: str) -> None:
    base: dict[str, Any] = {
        "search_handbook": {"query": "merger"},
        "list_topics": {},
        "get_handbook_section": {"path": "merger.md"},
    }[name]
    named = tool(app, caller, name, {**base, "source": SECRET})
    missing = tool(app, caller, name, {**base, "source": "nosuch"})
    assert missing.result["isError"]
    if CALLERS[caller]:
        assert not named.result.get("isError"), named.text
    else:
        assert named.result["isError"]
        assert named.text.replace(SECRET, "X") == missing.text.replace("nosuch", "X")
        assert "live sources: handbook" in named.text


def test_a_cursor_minted_for_one_caller_is_refused_for_another(app: World) -> None:
    arguments = {"path": "engineering/incident-management.md", "max_chars": 500}
    first = tool(app, "key-full", "get_handbook_section", arguments)
    cursor = first.result["structuredContent"]["next_cursor"]
    assert cursor
    mine = tool(app, "key-full", "get_handbook_section", {**arguments, "cursor": cursor})
    assert not mine.result.get("isError"), mine.text
    for other in ("key-handbook", "token-default", "token-staff"):
        replayed = tool(app, other, "get_handbook_section", {**arguments, "cursor": cursor})
        if other == "token-staff":  # the same policy (every live source): the same world, the cursor works
            continue
        assert replayed.result["isError"] and "other credentials" in replayed.text


def test_two_keys_see_different_worlds(app: World) -> None:
    full = tool(app, "key-full", "index_status", {}).result["structuredContent"]
    limited = tool(app, "key-handbook", "index_status", {}).result["structuredContent"]
    assert sorted(s["source"] for s in full["sources"]) == ["handbook", SECRET]
    assert [s["source"] for s in limited["sources"]] == ["handbook"]


def test_a_policy_naming_an_unknown_source_fails_with_the_fix(
    app: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_SOURCE_ACCESS", json.dumps({"groups": {"staff": ["handbok"]}}))
    reply = tool(app, "key-full", "search_handbook", {"query": "vacation"})
    assert reply.result["isError"]
    assert "handbok" in reply.text and "THOTH_SOURCE_ACCESS" in reply.text
    health = CATALOG.index_health()
    assert health["status"] == "degraded" and "handbok" in health["reason"]


def read(world: World, caller: str, uri: str) -> Reply:
    body = request("resources/read", {"uri": uri, "_meta": dict(META)})
    headers = {**modern_headers("resources/read", uri), "host": "thoth.example"}
    return call(world.app, post(body, {**headers, "authorization": f"Bearer {_bearer(world, caller)}"}))


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_fetch_and_resources_answer_a_denied_source_as_a_missing_one(app: World, caller: str) -> None:
    named = tool(app, caller, "fetch", {"id": f"thoth://{SECRET}/merger.md#project-zephyr"})
    missing = tool(app, caller, "fetch", {"id": "thoth://nosuch/merger.md#project-zephyr"})
    read_named = read(app, caller, f"thoth://{SECRET}/merger.md#project-zephyr")
    read_missing = read(app, caller, "thoth://nosuch/merger.md#project-zephyr")
    assert missing.result["isError"] and read_missing.error["code"] == -32602
    if CALLERS[caller]:
        assert not named.result.get("isError") and "zephyr acquisition" in named.text
        assert "zephyr acquisition" in read_named.result["contents"][0]["text"]
        return
    assert named.text.replace(SECRET, "X") == missing.text.replace("nosuch", "X")
    assert "live sources: handbook" in named.text and "acquisition" not in named.text
    assert read_named.status == read_missing.status == 400
    assert json.dumps(read_named.error).replace(SECRET, "X") == json.dumps(read_missing.error).replace(
        "nosuch", "X"
    )
