"""Which files a Hugo site publishes as pages, and where: mounts, languages, bundles, build options,
cascades, drafts and dates, and `site.GetPage` look-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from thoth.refresh_service.markup.getpage import get_page, published_url
from thoth.refresh_service.markup.publishing import cascade_files, not_content, unpublished
from thoth.refresh_service.markup.site import Site, hugo_url_path, load_site

NOW = datetime(2026, 6, 1, tzinfo=UTC)

MOUNTED = """
baseURL: https://docs.example/
defaultContentLanguage: en
languages:
  en: {weight: 1}
  fr: {weight: 2}
module:
  mounts:
    - source: content/fr
      target: content
      sites: {matrix: {languages: [fr]}}
    - source: content/en
      target: content
      sites: &both {matrix: {languages: [en, fr]}}
    - source: guides
      target: content/docs/guides
      lang: en
    - source: ../README.md
      target: content/readme.md
      sites: *both
"""


def site_of(files: dict[str, str]) -> Site:
    data = {p: t.encode() for p, t in files.items()}
    site = load_site({p: f"d{i}" for i, p in enumerate(data)}, data.__getitem__, False)
    assert site is not None
    site.sizes = {p: len(d) for p, d in data.items()}
    return site


def mounted(extra: dict[str, str] | None = None) -> Site:
    return site_of({"hugo.yaml": MOUNTED, **(extra or {})})


def test_mounts_decide_content_and_urls() -> None:
    site = mounted({"content/en/docs/a.md": "", "content/fr/_index.md": "", "guides/Install Me.md": ""})
    assert site.base_url == "https://docs.example/" and site.languages == ("en", "fr")
    assert any("../README.md" in w and "outside the source" in w for w in site.warnings)
    url = hugo_url_path
    assert url("content/en/docs/a.md", site, {}) == "docs/a/"
    assert url("content/fr/_index.md", site, {}) == "fr/"
    assert url("guides/Install Me.md", site, {}) == "docs/guides/install-me/"
    assert url("content/en/docs/a.fr.md", site, {}) == "fr/docs/a/"  # a language suffix
    assert not_content("README.md", site) == "outside the site's content mounts"
    assert not_content("content/en/docs/a.md", site) is None


def test_content_dir_per_language_and_a_wrong_strip_prefix_warns() -> None:
    files = {
        "hugo.toml": (
            'defaultContentLanguage = "de"\n[languages.de]\ncontentDir = "inhalt"\nweight = 1\n'
            '[languages.en]\ncontentDir = "content"\nweight = 2\n'
        )
    }
    data = {p: t.encode() for p, t in files.items()}
    site = load_site({p: "d" for p in data}, data.__getitem__, False, strip_prefix="docs/")
    assert site is not None
    assert hugo_url_path("inhalt/a.md", site, {}) == "a/"
    assert hugo_url_path("content/a.md", site, {}) == "en/a/"
    assert any("strip_prefix 'docs/' is ignored" in w for w in site.warnings)
    good = load_site({p: "d" for p in data}, data.__getitem__, False, strip_prefix="inhalt/")
    assert good is not None and not any("strip_prefix" in w for w in good.warnings)


def test_bundle_resources_are_not_pages() -> None:
    site = mounted({"content/en/b/index.md": "", "content/en/b/part.md": "", "content/en/b/x/deep.md": ""})
    assert not_content("content/en/b/index.md", site) is None
    assert not_content("content/en/b/part.md", site) == "a resource of the page bundle b/index.md"
    assert "page bundle b/index.md" in (not_content("content/en/b/x/deep.md", site) or "")


def test_build_options_and_cascades_make_headless_pages() -> None:
    site = mounted(
        {
            "content/en/_common/_index.md": "---\ncascade:\n  build: {render: never, list: never}\n---\n",
            "content/en/_common/steps.md": "---\ntitle: Steps\n---\nStep one.\n",
            "content/en/docs/_index.md": (
                "---\ncascade:\n  - _target: {path: '/docs/old/**'}\n    _build: {render: false}\n---\n"
            ),
            "content/en/docs/old/x.md": "",
            "content/en/docs/new.md": "",
            "content/en/docs/own.md": "---\nbuild: {render: link}\n---\n",
            "content/en/docs/bundle/index.md": "---\nheadless: true\n---\n",
        }
    )

    def why(path: str, meta: dict[str, object] | None = None) -> str | None:
        verdict = unpublished(path, meta or {}, site, NOW)
        return None if verdict is None else verdict[0]

    assert "the cascade of content/en/_common/_index.md" in (why("content/en/_common/steps.md") or "")
    assert "headless" in (why("content/en/_common/_index.md") or "")  # a cascade applies to its page too
    assert "'never'" in (why("content/en/docs/old/x.md") or "")
    assert why("content/en/docs/new.md") is None
    assert "'link'" in (why("content/en/docs/own.md", {"build": {"render": "link"}}) or "")
    assert why("content/en/docs/bundle/index.md", {"headless": True}) is not None
    # A page's own build options win over a cascade.
    assert why("content/en/_common/steps.md", {"build": {"render": "always"}}) is None
    assert cascade_files("content/en/docs/old/x.md", site) == {
        "content/en/docs/_index.md": site.files["content/en/docs/_index.md"]
    }
    assert published_url("content/en/_common/steps.md", site) is None
    assert published_url("content/en/docs/new.md", site) == "https://docs.example/docs/new/"


def test_drafts_and_dates_as_hugo_treats_them_by_default() -> None:
    site = mounted({"content/en/a.md": ""})

    def verdict(meta: dict[str, object]) -> tuple[str, bool] | None:
        return unpublished("content/en/a.md", meta, site, NOW)

    assert verdict({"draft": True}) == (
        "draft: true in the front matter (Hugo does not publish it); not indexed",
        False,
    )
    future = verdict({"publishDate": "2027-01-01"})
    assert future is not None and future[1] is True and "in the future" in future[0]
    assert verdict({"date": "2027-01-01T10:00:00Z"}) is not None  # date stands in for publishDate
    assert verdict({"date": "2025-01-01"}) is None
    expired = verdict({"expiryDate": "2026-05-31T23:00:00+00:00"})
    assert expired is not None and expired[1] is False and "expired" in expired[0]
    assert verdict({"expirydate": "2026-07-01"}) is None
    assert verdict({"date": "not a date"}) is None


def test_get_page_is_relative_then_from_the_root_with_or_without_extension() -> None:
    site = mounted(
        {
            "content/en/docs/_index.md": "",
            "content/en/docs/install/_index.md": "",
            "content/en/docs/install/linux.md": "",
            "content/en/docs/bundle/index.md": "",
            "content/en/_common/steps.md": "",
            "content/en/faq.md": "",
        }
    )
    here = "content/en/docs/install/linux.md"
    assert get_page("/_common/steps.md", site, here) == "content/en/_common/steps.md"
    assert get_page("/_common/steps", site, here) == "content/en/_common/steps.md"
    assert get_page("_index", site, here) == "content/en/docs/install/_index.md"
    assert get_page("../bundle", site, here) == "content/en/docs/bundle/index.md"
    assert get_page("/DOCS/Install", site, here) == "content/en/docs/install/_index.md"
    assert get_page("faq", site, here) == "content/en/faq.md"  # not beside the page: from the root
    assert get_page("https://x.example/", site, here) is None and get_page("/nope", site, here) is None
