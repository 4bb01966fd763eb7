"""samples/hugo-site end to end: the real hugo binary agrees on every anchor and URL, and a named
source refreshed through the CLI reads back through the MCP tools with the official SDK client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.hugo_oracle import render
from tests.support.mcp_clients import KEY, REPO, offline_env, sdk_client
from thoth.mcp_server.lambda_handler import App
from thoth.mcp_server.transport.local_server import LocalServer
from thoth.refresh_service.chunk import markdown_blocks, page_url
from thoth.refresh_service.markup import ParseError, parse_document
from thoth.refresh_service.markup.sitefiles import widened, with_site
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import dir_snapshot
from thoth.shared.config import get_settings
from thoth.shared.index import download_version, load_version
from thoth.shared.live import read_live
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore

pytestmark = pytest.mark.e2e
SITE = REPO / "samples" / "hugo-site"
BASE = "https://handbook.example.com/"
JA_PHRASE = "私たちの働き"  # six characters from inside the first paragraph of the Japanese page


def _hugo_pages(tmp_path: Path) -> dict[str, list[str]]:
    """URL → heading ids of every page hugo renders (alias redirects left out)."""
    site = tmp_path / "site"
    shutil.copytree(SITE, site)  # hugo writes a build lock into the site: keep the tree clean
    return render(site, tmp_path, BASE)


def _thoth_pages() -> dict[str, list[str]]:
    config = SourceConfig("hs", "dir", str(SITE))  # the default include; the base URL from the config
    snap = with_site(dir_snapshot(widened(config)), config)
    pages: dict[str, list[str]] = {}
    for path in sorted(snap.files):
        try:
            doc = parse_document(path, snap.read(path), site=snap.site)
        except ParseError:
            continue
        url = page_url(path, None, "", snap.site, doc.meta)
        pages[url] = [b.anchor or "" for b in markdown_blocks(list(doc.lines), snap.site) if b.heading]
    return pages


def test_hugo_builds_the_same_pages_and_heading_ids(tmp_path: Path) -> None:
    hugo, thoth = _hugo_pages(tmp_path), _thoth_pages()
    assert set(thoth) == set(hugo)
    for url, ids in thoth.items():
        assert ids == hugo[url], url
    assert "sick-time---taking-and-reporting" in hugo[BASE + "handbook/people-group/paid-time-off/"]
    assert "diversity-inclusion--belonging-competency" in hugo[BASE + "handbook/values/"]
    # The mounted guide, with the headless page it includes; the headless pages are not published.
    assert "install-the-tool" in hugo[BASE + "handbook/guides/install/"]
    assert not any("/shared/" in url or "/glossary/time-off-tool" in url for url in hugo)


@pytest.fixture(scope="module")
def hugo_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("hugo-e2e-home")
    env = offline_env(home)
    subprocess.run([sys.executable, "-m", "tools.build.encoder_export"], env=env, check=True, cwd=REPO)
    done = subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service", "--source", "hugo-sample",
         "--config", "samples/sources.yaml", "--json"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"home": home, "report": report, "stderr": done.stderr}


@pytest.fixture
def server(hugo_home: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    for name in ("THOTH_AUTH", "THOTH_ALLOWED_ORIGINS", "THOTH_ALLOWED_HOSTS", "THOTH_MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("THOTH_HOME", str(hugo_home["home"]))
    monkeypatch.setenv("THOTH_API_KEYS", KEY)
    get_settings.cache_clear()
    local = LocalServer(App(), port=0).start()
    yield local
    local.stop()
    get_settings.cache_clear()


def test_the_named_source_refresh_reports_drafts_and_headless_pages(hugo_home: dict[str, Any]) -> None:
    report = hugo_home["report"]
    assert report["status"] == "ok" and report["source"] == "hugo-sample"
    assert [s["path"] for s in report["skipped"]] == [
        "content/handbook/draft-plan.md",
        "content/handbook/glossary/time-off-tool.md",
        "content/handbook/shared/_index.md",
        "content/handbook/shared/install-steps.md",
    ]
    assert report["files_total"] == 16 and report["warnings"] == []
    assert report["extra"]["not_pages"]["count"] == 2  # assets/includes/*.md: read where included
    assert "skipped content/handbook/draft-plan.md: draft: true" in hugo_home["stderr"]


async def _session(url: str) -> dict[str, Any]:
    async with sdk_client(url, "auto") as client:
        out: dict[str, Any] = {}
        for name, query in (
            ("sick", "report sick time illness doctor's note"),
            ("dib", "diversity inclusion belonging competency"),
            ("include", "payroll reads the tool every month"),
            ("steps", "download the installer from the self-service portal laptop password"),
            ("japanese", JA_PHRASE),
        ):
            result = await client.call_tool("search_handbook", {"query": query, "limit": 5})
            assert not result.is_error, result
            out[name] = result.structured_content["results"]
        values = await client.call_tool(
            "get_handbook_section", {"path": BASE + "handbook/values/", "max_chars": 15000}
        )
        section = await client.call_tool(
            "get_handbook_section",
            {"path": "content/handbook/editing.md", "heading": "Shortcodes", "max_chars": 15000},
        )
        japanese = await client.call_tool(
            "get_handbook_section",
            {"path": "content/ja-jp/handbook/_index.md", "heading": "始める前に", "max_chars": 15000},
        )
        guide = await client.call_tool(
            "get_handbook_section", {"path": BASE + "handbook/guides/install/", "max_chars": 15000}
        )
        out["values"], out["section"], out["ja_section"], out["guide"] = (
            values.structured_content,
            section.structured_content,
            japanese.structured_content,
            guide.structured_content,
        )
        return out


@pytest.fixture
def session(server: LocalServer) -> dict[str, Any]:
    return asyncio.run(_session(server.url))


def test_links_anchors_snippets_and_section_text_through_the_mcp_tools(session: dict[str, Any]) -> None:
    sick = session["sick"][0]
    assert sick["url"] == BASE + "handbook/people-group/paid-time-off/#sick-time---taking-and-reporting"
    assert sick["heading_path"] == ["Sick Time - Taking and Reporting"]
    dib = session["dib"][0]
    assert dib["url"] == BASE + "handbook/values/#diversity-inclusion--belonging-competency"
    included = session["include"][0]
    assert included["url"].endswith("/paid-time-off/#reporting-time-off-in-the-tool")
    steps = session["steps"][0]  # a headless page's text, found on the page that includes it
    assert steps["url"] == BASE + "handbook/guides/install/#install-the-tool"
    # The editing page's Shortcodes section shows shortcodes and HTML inside code, as written: it may
    # rank in a top five (one result a page), and there the markers are the page's text.
    in_code = BASE + "handbook/editing/#shortcodes"
    for results in (session["sick"], session["dib"], session["include"], session["steps"]):
        for hit in results:
            assert "[!" not in hit["snippet"] and "/shared/" not in hit["url"], hit
            if hit["url"] == in_code:  # Hugo shows the unescaped form
                assert "{{</*" not in hit["snippet"] and "*/>}}" not in hit["snippet"], hit
                continue
            assert (
                "{{" not in hit["snippet"] and "<svg" not in hit["snippet"] and "<div" not in hit["snippet"]
            ), hit
    values = session["values"]["content"]
    assert "Diversity, Inclusion & Belonging Competency" in values and "CREDIT" in values
    assert "<svg" not in values and "M12 2L2 7" not in values and "{{<" not in values and "<!--" not in values
    section = session["section"]
    assert section["url"] == BASE + "handbook/editing/#shortcodes"
    assert '{{< alert title="Note" color="primary" >}}' in section["content"]  # code shows them
    guide = session["guide"]["content"]  # read back whole and once, as clean text
    assert guide.count("The _time-off tool_ is where") == 1 and guide.count("self-service portal") == 1
    assert "### Install the tool" in guide and "```toml" in guide and "> **Note:**" in guide
    assert "{{" not in guide and "[!" not in guide and "]:" not in guide and ":rocket:" not in guide
    ja = session["ja_section"]
    assert ja["url"] == BASE + "ja-jp/handbook/#before-you-begin" and "{#" not in ja["content"]


def test_a_japanese_phrase_from_inside_a_paragraph_finds_its_page(
    hugo_home: dict[str, Any], session: dict[str, Any], tmp_path: Path
) -> None:
    # Keyword search on its own first: the English-first model alone must not make this pass.
    state = SqliteStateStore(hugo_home["home"] / "state.sqlite3")
    store = LocalObjectStore(hugo_home["home"] / "objects")
    pointer = read_live(state, "hugo-sample")
    assert pointer is not None
    index = load_version(download_version(store, "hugo-sample", pointer.version, tmp_path))
    scores = index.keywords.scores(JA_PHRASE)
    best = int(scores.argmax())
    assert scores[best] > 0 and index.chunks[best].path == "content/ja-jp/handbook/_index.md"
    urls = [hit["url"].split("#")[0] for hit in session["japanese"][:5]]
    assert BASE + "ja-jp/handbook/" in urls
