"""Search, then read: resource links, resources/read, get_handbook_section by url, ChatGPT's search/fetch.

Over the sample handbook published with real ONNX vectors, through the real catalog and dispatch.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.mcp_app import META, call, modern_headers, post, request
from tests.support.mcp_search import call_tool, publish
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.protocol.resources import ResourceNotFound, ResourceUriError
from thoth.mcp_server.protocol.tools import NO_DEADLINE, ToolArgumentError, UnknownToolError
from thoth.mcp_server.search.address import Address, parse
from thoth.mcp_server.search.catalog import CATALOG, STDIO_CATALOG
from thoth.mcp_server.search.reading import READ_BUDGET_CHARS
from thoth.shared.errors import ConfigError
from thoth.shared.index import Chunk, LivePointer

Corpus = tuple[list[Chunk], npt.NDArray[np.float32]]
ON_CALL = "thoth://handbook/engineering/on-call.md"


def read(uri: str) -> str:
    contents = CATALOG.read_resource(uri, NO_DEADLINE)
    assert len(contents) == 1 and contents[0].uri == uri and contents[0].mime_type == "text/markdown"
    return contents[0].text


# -- resource links and resources/read ------------------------------------------------------------


def test_search_results_link_their_section_and_page(published: LivePointer) -> None:
    output = call_tool("search_handbook", {"query": "on-call compensation", "limit": 3})
    assert output.structured is not None
    uris = [link.uri for link in output.links]
    assert uris[:2] == [f"{ON_CALL}#compensation", ON_CALL]
    assert len(uris) == len(set(uris))
    pages = {parse(uri).page() for uri in uris}
    assert pages == {Address("handbook", r["path"]) for r in output.structured["results"]}
    first = output.links[0]
    assert (first.name, first.title, first.mime_type) == (
        "engineering/on-call.md#compensation",
        "On-call > Compensation",
        "text/markdown",
    )
    for link in output.links:  # every link search hands out reads back
        assert read(link.uri)


def test_read_a_section_or_the_whole_page(published: LivePointer) -> None:
    section = read(f"{ON_CALL}#compensation")
    assert section.startswith(
        "Source: On-call > Compensation <https://handbook.example.com/engineering/on-call#compensation>"
    )
    assert "allowance" in section and "## Rotation" not in section and "## Handover" not in section
    page = read(ON_CALL)
    for heading in ("# On-call", "## Rotation", "## Compensation", "## Handover"):
        assert heading in page
    assert "commit c0ffee" in page and "updated 2026-11-01" in page


def test_read_refuses_what_is_not_there(published: LivePointer) -> None:
    with pytest.raises(ResourceNotFound, match=r"Did you mean engineering/on-call\.md"):
        CATALOG.read_resource("thoth://handbook/engineering/on-cal.md", NO_DEADLINE)
    with pytest.raises(ResourceNotFound, match=r"no section #pizza; its sections: #on-call, #rotation"):
        CATALOG.read_resource(f"{ON_CALL}#pizza", NO_DEADLINE)
    with pytest.raises(ResourceNotFound, match=r"no source named 'wiki' is live; live sources: handbook"):
        CATALOG.read_resource("thoth://wiki/engineering/on-call.md", NO_DEADLINE)
    for hostile in ("thoth://handbook/../secrets.md", "file:///etc/passwd", "thoth://handbook/a.md?x"):
        with pytest.raises(ResourceUriError):
            CATALOG.read_resource(hostile, NO_DEADLINE)


def test_a_long_page_is_cut_and_names_the_sections_left(
    published: LivePointer, sample_corpus: Corpus, encoder_fingerprint: str
) -> None:
    chunks, vectors = sample_corpus
    template = chunks[0]
    long_page = [
        dataclasses.replace(
            template,
            id=f"long-{i}",
            path="guides/long.md",
            title="Long guide",
            heading_path=["Long guide", f"Part {i}"],
            url=f"https://handbook.example.com/guides/long#part-{i}",
            line_start=i * 100 + 1,
            line_end=i * 100 + 99,
            text=f"## Part {i}\n\n" + f"Paragraph {i} of the long guide.\n" * 200,
        )
        for i in range(12)
    ]
    publish("handbook", "v2", [*chunks, *long_page], np.vstack([vectors, vectors[:12]]), encoder_fingerprint)
    page = read("thoth://handbook/guides/long.md")
    body, _, note = page.partition("\n\n[Cut at ")
    assert len(body) <= READ_BUDGET_CHARS + 300 and note
    shown, total = map(int, re.match(r"(\d+) of (\d+) characters\.", note).groups())  # type: ignore[union-attr]
    assert shown == len(body) - len(page.partition("\n\n")[0]) - 2 and total > READ_BUDGET_CHARS * 2
    listed = note.split("one section at a time: ", 1)[1].split(". Or page", 1)[0].split(", ")
    assert listed and all(uri.startswith("thoth://handbook/guides/long.md#part-") for uri in listed)
    assert "## Part 0" in body and "## Part 11" not in body and listed[-1].endswith("#part-11")
    assert "get_handbook_section with path 'https://handbook.example.com/guides/long'" in note
    tail = read(listed[-1])  # a section named in the note reads back whole
    assert "Paragraph 11 of the long guide." in tail and "[Cut at" not in tail


# -- resources through the real dispatch ----------------------------------------------------------


def _post(app: App, method: str, params: dict[str, Any], version: str) -> Any:
    return call(app, post(request(method, params), {"mcp-protocol-version": version}))


def test_links_and_reads_through_the_endpoint(
    published: LivePointer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.mcp_app import KEY

    monkeypatch.setenv("THOTH_API_KEYS", KEY)
    app = App()
    params = {"name": "search_handbook", "arguments": {"query": "on-call compensation", "limit": 2}}
    old = _post(app, "tools/call", params, "2025-03-26").result
    assert [item["type"] for item in old["content"]] == ["text"]
    new = _post(app, "tools/call", params, "2025-11-25").result
    links = [item for item in new["content"] if item["type"] == "resource_link"]
    assert new["content"][0]["type"] == "text" and links[0]["uri"] == f"{ON_CALL}#compensation"
    templates = _post(app, "resources/templates/list", {}, "2025-11-25").result["resourceTemplates"]
    assert [t["uriTemplate"] for t in templates] == [
        "thoth://{source}/{+path}",
        "thoth://{source}/{+path}#{anchor}",
    ]
    for link in links:
        contents = _post(app, "resources/read", {"uri": link["uri"]}, "2025-11-25").result["contents"]
        assert contents[0]["uri"] == link["uri"] and contents[0]["text"].startswith("Source: ")
    body = request("resources/read", {"uri": links[0]["uri"], "_meta": dict(META)})
    modern = call(app, post(body, modern_headers("resources/read", links[0]["uri"]))).result
    assert "allowance" in modern["contents"][0]["text"] and modern["cacheScope"] == "private"
    missing = _post(app, "resources/read", {"uri": f"{ON_CALL}#pizza"}, "2025-11-25").error
    assert missing["code"] == -32002 and "its sections" in missing["message"]
    hostile = _post(app, "resources/read", {"uri": "thoth://handbook/%2e%2e/x.md"}, "2025-06-18").error
    assert hostile["code"] == -32602 and "must be relative" in hostile["message"]


# -- get_handbook_section takes every url search returns ------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://handbook.example.com/engineering/on-call#compensation",
        "http://handbook.example.com/engineering/on-call#compensation",  # not the same page: refused
        "/engineering/on-call#compensation",
        "engineering/on-call#compensation",
        "engineering/on-call/#compensation",
        "engineering/on-call.md#compensation",
        "/engineering/on-call.md#compensation",
        "on-call#compensation",  # the base URL's own path dropped: one page ends with it
    ],
)
def test_section_by_any_url_search_returns(published: LivePointer, url: str) -> None:
    output = call_tool("get_handbook_section", {"path": url})
    if url.startswith("http://"):
        assert output.is_error and "no page with path" in output.text
        return
    assert not output.is_error, output.text
    assert output.structured is not None and output.structured["path"] == "engineering/on-call.md"
    assert output.structured["heading"] == "Compensation"
    assert output.structured["url"] == "https://handbook.example.com/engineering/on-call#compensation"
    content = output.structured["content"]
    assert "allowance" in content and "## Rotation" not in content


def test_every_search_url_opens_its_section(published: LivePointer) -> None:
    results = call_tool("search_handbook", {"query": "incident roles", "limit": 10}).structured
    assert results is not None and results["results"]
    for hit in results["results"]:
        for url in (hit["url"], hit["url"].removeprefix("https://handbook.example.com")):
            output = call_tool("get_handbook_section", {"path": url})
            assert not output.is_error, (url, output.text)
            assert output.structured is not None and output.structured["path"] == hit["path"]
            assert output.structured["url"] == hit["url"]


def test_a_source_without_base_url(
    published: LivePointer, sample_corpus: Corpus, encoder_fingerprint: str
) -> None:
    chunks, vectors = sample_corpus
    relative = [
        dataclasses.replace(c, source="notes", url=c.path + c.url.partition("#")[1] + c.url.partition("#")[2])
        for c in chunks
    ]
    publish("notes", "v1", relative, vectors, encoder_fingerprint)
    hits = call_tool("search_handbook", {"query": "on-call compensation", "source": "notes"}).structured
    assert hits is not None and hits["results"][0]["url"] == "engineering/on-call.md#compensation"
    output = call_tool("get_handbook_section", {"path": hits["results"][0]["url"], "source": "notes"})
    assert output.structured is not None and output.structured["heading"] == "Compensation"
    found = json.loads(call_tool("search", {"query": "on-call compensation"}).text)["results"]
    notes = [r for r in found if r["id"].startswith("thoth://notes/")]
    assert notes and all(r["url"] == r["id"] for r in notes)  # no public URL: the address is cited


def test_heading_wins_over_the_anchor_and_with_parent_takes_either(published: LivePointer) -> None:
    url = "https://handbook.example.com/engineering/on-call#compensation"
    by_heading = call_tool("get_handbook_section", {"path": url, "heading": "Rotation"})
    assert by_heading.structured is not None and by_heading.structured["heading"] == "Rotation"
    parent = call_tool("get_handbook_section", {"path": url, "with_parent": True})
    assert parent.structured is not None and parent.structured["parent"] == "On-call"
    content = parent.structured["content"]
    assert content.index("weekly rotation") < content.index("## Compensation")
    with pytest.raises(ToolArgumentError, match=r"'with_parent' needs 'heading' \(or a url with a #anchor\)"):
        call_tool("get_handbook_section", {"path": "engineering/on-call.md", "with_parent": True})
    unknown = call_tool("get_handbook_section", {"path": "/engineering/on-call#pizza"})
    assert unknown.is_error and "has no section #pizza; its sections: #on-call, #rotation" in unknown.text
    paged = call_tool("get_handbook_section", {"path": url, "max_chars": 500})
    assert paged.structured is not None and paged.structured["heading"] == "Compensation"


# -- ChatGPT's search and fetch -------------------------------------------------------------------


def test_search_then_fetch_every_id(published: LivePointer) -> None:
    output = call_tool("search", {"query": "how do I request time off"})
    assert not output.is_error and output.structured is None and not output.links  # one text item only
    payload = json.loads(output.text)
    assert list(payload) == ["results"] and 1 <= len(payload["results"]) <= 8
    for result in payload["results"]:
        assert list(result) == ["id", "title", "url", "text"]
        assert result["url"].startswith("https://handbook.example.com/") and result["text"]
        fetched = call_tool("fetch", {"id": result["id"]})
        assert not fetched.is_error and fetched.structured is None and not fetched.links
        document = json.loads(fetched.text)
        assert list(document) == ["id", "title", "text", "url", "metadata"]
        assert document["id"] == result["id"] and document["url"] == result["url"]
        assert document["title"] and document["text"]
        metadata = document["metadata"]
        assert metadata["source"] == "handbook" and metadata["commit"] == "c0ffee"
        assert all(isinstance(value, str) for value in metadata.values())
        if "#" in result["id"]:
            page = call_tool("fetch", {"id": metadata["page_id"]})
            assert len(json.loads(page.text)["text"]) >= len(document["text"])
    top = payload["results"][0]
    assert top["id"].startswith("thoth://handbook/people/time-off.md")


def test_search_ranks_as_search_handbook_does(published: LivePointer) -> None:
    for query in ("on-call compensation", "terraform state locking", "expense claim"):
        chatgpt = json.loads(call_tool("search", {"query": query}).text)["results"]
        ours = call_tool("search_handbook", {"query": query, "limit": 8}).structured
        assert ours is not None
        assert [r["url"] for r in chatgpt] == [r["url"] for r in ours["results"]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"id": "people/time-off.md"}, "is not a thoth:// address"),
        ({"id": "thoth://handbook/../../etc/passwd"}, "must be relative"),
        ({"id": "thoth://handbook/a.md\u0000"}, "control characters"),
        ({"id": "thoth://handbook/" + "x" * 5000}, "the limit is 4096"),
        ({"id": ""}, "is empty"),
        ({"id": 7}, "must be a string"),
        ({}, "'id' is required"),
        ({"id": "thoth://handbook/a.md", "source": "handbook"}, "unknown argument"),
    ],
)
def test_fetch_refuses_hostile_ids(published: LivePointer, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        call_tool("fetch", arguments)


def test_fetch_of_an_unknown_id_is_a_tool_error(published: LivePointer) -> None:
    missing = call_tool("fetch", {"id": "thoth://handbook/nowhere.md"})
    assert missing.is_error and "fetch failed: no page with path 'nowhere.md' is indexed" in missing.text
    gone = call_tool("fetch", {"id": f"{ON_CALL}#gone"})
    assert gone.is_error and "has no section #gone" in gone.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"query": "   "}, "is blank"),
        ({"query": ""}, "is empty"),
        ({"query": "x" * 1001}, "the limit is 1000"),
        ({"query": ["on-call"]}, "must be a string"),
        ({"query": "on-call", "limit": 3}, "unknown argument"),
    ],
)
def test_search_refuses_bad_queries(published: LivePointer, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgumentError, match=message):
        call_tool("search", arguments)


def test_the_setting_decides_who_sees_search_and_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    def names(catalog: Any) -> list[str]:
        return [spec.name for spec in catalog.tool_specs()]

    monkeypatch.delenv("THOTH_CHATGPT_TOOLS", raising=False)  # auto: over HTTP, not over stdio
    assert names(CATALOG)[-2:] == ["search", "fetch"] and "search" not in names(STDIO_CATALOG)
    monkeypatch.setenv("THOTH_CHATGPT_TOOLS", "on")
    assert names(STDIO_CATALOG)[-2:] == ["search", "fetch"]
    monkeypatch.setenv("THOTH_CHATGPT_TOOLS", "OFF")
    assert names(CATALOG) == ["search_handbook", "get_handbook_section", "list_topics", "index_status"]
    with pytest.raises(UnknownToolError, match="unknown tool 'search'; available: search_handbook"):
        CATALOG.call_tool("search", {"query": "x"}, NO_DEADLINE)
    monkeypatch.setenv("THOTH_CHATGPT_TOOLS", "sometimes")
    with pytest.raises(
        ConfigError, match="THOTH_CHATGPT_TOOLS='sometimes' is invalid; use one of auto, on, off"
    ):
        CATALOG.tool_specs()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("#", "no page with path ''"),
        ("#compensation", "no page with path ''"),
        ("/#x", "no page with path '/'"),
        ("?x#y", "no page with path '?x'"),
        ("https://#x", "no page with path 'https://'"),
        ("engineering/on-call.md#" + "x" * 1000, "has no section #xxxxxxxx"),
        ("engineering/on-call.md#%00", "has no section #%00"),
        ("engineering/on-call.md##compensation", "has no section ##compensation"),
        ("../../etc/passwd#x", "no page with path '../../etc/passwd'"),
    ],
)
def test_hostile_urls_are_clear_misses(published: LivePointer, path: str, message: str) -> None:
    output = call_tool("get_handbook_section", {"path": path})
    assert output.is_error and message in output.text
    assert len(output.text) < 2000  # a long anchor is not echoed back whole
