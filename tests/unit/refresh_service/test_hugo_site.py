"""samples/hugo-site, a Hugo-shaped site, indexed as the refresh does: every construct, every link."""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

from thoth.refresh_service.chunk import ChunkSettings, chunk_document, page_url
from thoth.refresh_service.markup import Budget, ParseError, parse_document
from thoth.refresh_service.markup.sitefiles import SiteSnapshot, widened, with_site
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import dir_snapshot
from thoth.shared.index import Chunk

SITE = Path(__file__).resolve().parents[3] / "samples" / "hugo-site"
BASE = "https://handbook.example.com/"
_FENCE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def snapshot() -> SiteSnapshot:
    config = SourceConfig("hs", "dir", str(SITE), base_url=BASE)
    return with_site(dir_snapshot(widened(config)), config)


@lru_cache(maxsize=1)
def indexed() -> tuple[dict[str, list[Chunk]], dict[str, str], dict[str, list[str]]]:
    snap = snapshot()
    pages: dict[str, list[Chunk]] = {}
    skipped: dict[str, str] = {}
    warnings: dict[str, list[str]] = {}
    for path in sorted(snap.files):
        try:
            doc = parse_document(path, snap.read(path), site=snap.site, budget=Budget())
        except ParseError as exc:
            skipped[path] = str(exc)
            continue
        url = page_url(path, BASE, "", snap.site, doc.meta)
        pages[path] = chunk_document(
            doc, source="hs", url=url, commit=None, last_modified=None, settings=ChunkSettings()
        )
        warnings[path] = doc.warnings
    return pages, skipped, warnings


def chunks() -> list[Chunk]:
    return [c for page in indexed()[0].values() for c in page]


def test_the_site_is_detected_from_config_default() -> None:
    site = snapshot().site
    assert site is not None and site.config_files == (
        "config/_default/hugo.toml",
        "config/_default/markup.toml",
    )
    assert site.id_type == "github" and site.content_dir == "content/"
    assert "assets/includes/pto-reporting.md" in site.files
    assert set(snapshot().not_pages) == {"assets/includes/pto-footer.md", "assets/includes/pto-reporting.md"}


def test_no_shortcode_markers_svg_or_script_outside_code() -> None:
    for chunk in chunks():
        prose = _FENCE.sub("", chunk.text)
        assert "{{<" not in prose and "{{%" not in prose, chunk.url
        for noise in ("<svg", "M12 2L2 7", "window.analytics", "display: flex", "<div", "<!--"):
            assert noise not in prose, (noise, chunk.url)
        assert "M12 2L2 7" not in chunk.text and "window.analytics" not in chunk.text


def test_shortcodes_shown_as_code_on_the_editing_page_stay_as_hugo_shows_them() -> None:
    text = " ".join(c.text for c in indexed()[0]["content/handbook/editing.md"])
    assert '{{< alert title="Note" color="primary" >}}' in text
    assert '`{{% include "includes/x.md" %}}`' in text and '`<div class="alert">`' in text


def test_includes_are_expanded_and_cite_the_include_line() -> None:
    page = indexed()[0]["content/handbook/people-group/paid-time-off.md"]
    included = next(c for c in page if "Reporting time off in the tool" in c.heading_path)
    assert "Payroll reads the tool every month" in included.text  # the nested include
    assert included.url.endswith("#reporting-time-off-in-the-tool")
    assert (included.line_start, included.line_end) == (23, 23)  # the `{{% include %}}` line


def test_readable_shortcodes_titles_and_data_shortcodes() -> None:
    text = " ".join(c.text for c in chunks())
    assert "Questions go to Ada Lovelace, who owns this page People Ops." in text
    assert "**Note**" in text and "**Which holidays apply to me?**" in text and "**Planning**" in text
    assert "dQw4w9WgXcQ" not in text and "dib_competency" not in text
    assert "```bash\n./deploy --canary 5% --watch\n```" in text


def test_explicit_ids_link_by_id_with_clean_heading_text() -> None:
    page = indexed()[0]["content/ja-jp/handbook/_index.md"]
    assert [(c.heading_path, c.url.split("#")[1]) for c in page] == [
        (["始める前に"], "before-you-begin"),
        (["休暇の取り方"], "taking-time-off"),
    ]
    assert all("{#" not in c.text for c in page)


def test_urls_are_hugos_and_drafts_are_skipped() -> None:
    pages, skipped, _ = indexed()
    urls = {path: page[0].url.split("#")[0] for path, page in pages.items() if page}
    assert urls == {
        "content/_index.md": BASE,
        "content/handbook/_index.md": BASE + "handbook/",
        "content/handbook/editing.md": BASE + "handbook/editing/",
        "content/handbook/engineering/_index.md": BASE + "handbook/engineering/",
        "content/handbook/on-call.md": BASE + "handbook/engineering/on-call/",
        "content/handbook/people-group/paid-time-off.md": BASE + "handbook/people-group/paid-time-off/",
        "content/handbook/values/_index.md": BASE + "handbook/values/",
        "content/handbook/glossary/_index.md": BASE + "handbook/glossary/",
        "content/ja-jp/handbook/_index.md": BASE + "ja-jp/handbook/",
        "guides/_index.md": BASE + "handbook/guides/",
        "guides/install.md": BASE + "handbook/guides/install/",
    }
    assert list(skipped) == [
        "content/handbook/draft-plan.md",
        "content/handbook/glossary/time-off-tool.md",
        "content/handbook/shared/_index.md",
        "content/handbook/shared/install-steps.md",
    ]
    assert "draft: true" in skipped["content/handbook/draft-plan.md"]
    assert "headless" in skipped["content/handbook/shared/install-steps.md"]
    assert not any("Secret reorganisation" in c.text for c in chunks())


def test_the_sites_own_links_land_on_indexed_anchors() -> None:
    targets = {c.url for c in chunks()} | {c.url.split("#")[0] for c in chunks()}
    checked = 0
    for chunk in chunks():
        for href in _LINK.findall(_FENCE.sub("", chunk.text)):
            if href.startswith(("http://", "https://")) and not href.startswith(BASE):
                continue
            assert href.startswith(BASE), (chunk.url, href)  # the site's links are resolved
            absolute = urljoin(chunk.url.split("#")[0], href)
            if posixpath.splitext(absolute.split("#")[0])[1]:
                continue  # files, not pages
            assert absolute in targets, (chunk.url, href)
            checked += 1
    assert checked >= 6


def test_aliases_and_descriptions_reach_the_chunks() -> None:
    page = indexed()[0]["content/handbook/people-group/paid-time-off.md"]
    assert page[0].meta["aliases"] == [
        "/handbook/paid-time-off/",
        "/handbook/people-operations/paid-time-off/",
    ]
    assert page[0].meta["description"].startswith("Vacation, public holidays")


def test_the_mounted_guide_reads_as_the_published_page() -> None:
    page = indexed()[0]["guides/install.md"]
    text = "\n".join(c.text for c in page)
    steps = next(c for c in page if c.heading_path[-1:] == ["Install the tool"])  # a headless page, included
    assert "self-service portal" in steps.text
    assert steps.url == BASE + "handbook/guides/install/#install-the-tool"
    assert text.count("The _time-off tool_ is where every team member records") == 1  # defined once
    assert "> **Note:**\n> Ask IT for a licence before you start 🚀" in text
    assert "> **Warning:** Keep the file private\n> It holds your Timekeeper API token." in text
    assert '```toml\n[approval]\napprover = "manager"\ndays_ahead = 14\n```' in text
    pto = f"{BASE}handbook/people-group/paid-time-off/#sick-time---taking-and-reporting"
    assert f"[Paid time off]({pto})" in text
    assert f"[on-call rotation]({BASE}handbook/engineering/on-call/)" in text
    assert f"[editing guide]({BASE}handbook/editing/#shortcodes)" in text
    assert "approval" not in text.replace("[approval]", "") and "[!" not in text and ":rocket:" not in text
    assert not indexed()[2]["guides/install.md"]  # every include resolved
