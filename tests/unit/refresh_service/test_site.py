"""Hugo site detection and the config keys that change anchors and URLs."""

from __future__ import annotations

from thoth.refresh_service.markup.site import load_site


def _site(files: dict[str, str], forced: bool = False):  # type: ignore[no-untyped-def]
    data = {p: t.encode() for p, t in files.items()}
    return load_site({p: "d" for p in data}, data.__getitem__, forced)


def test_detection_needs_a_config_or_markup_hugo() -> None:
    assert _site({"content/a.md": "x"}) is None
    assert _site({"content/a.md": "x"}, forced=True) is not None
    assert _site({"hugo.toml": 'baseURL = "https://x/"'}) is not None
    assert _site({"config.yaml": "baseURL: https://x/"}) is not None
    assert _site({"config/_default/hugo.toml": ""}) is not None


def test_goldmark_settings_from_config_default_markup() -> None:
    site = _site(
        {
            "config/_default/hugo.toml": 'contentDir = "pages"\ndisablePathToLower = true\n',
            "config/_default/markup.toml": (
                '[goldmark.parser]\nautoHeadingIDType = "github-ascii"\n[goldmark.parser.attribute]\n'
                "title = false\n[goldmark.extensions.typographer]\ndisable = true\n"
            ),
        }
    )
    assert site is not None
    assert (site.id_type, site.attributes, site.typographer) == ("github-ascii", False, False)
    assert (site.content_dir, site.lower_paths) == ("pages/", False)
    assert site.signature() == "hugo:github-ascii:0:0:0"


def test_a_broken_or_hostile_config_is_a_warning_and_defaults_apply() -> None:
    site = _site({"hugo.yaml": "a: &a [x]\nb: *a\n", "config.toml": "not = [valid"})
    assert site is not None and site.id_type == "github" and len(site.warnings) == 2
    assert any("YAML alias" in w for w in site.warnings)
    blackfriday = _site({"hugo.toml": '[markup.goldmark.parser]\nautoHeadingIDType = "blackfriday"\n'})
    assert blackfriday is not None and blackfriday.id_type == "github"
    assert "not emulated" in blackfriday.warnings[0]
