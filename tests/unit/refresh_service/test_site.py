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
    assert site.signature().startswith("hugo:github-ascii:0:0:0:")


def test_a_broken_or_hostile_config_is_a_warning_and_defaults_apply() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(12)
    )
    site = _site({"hugo.yaml": bomb, "config.toml": "not = [valid"})
    assert site is not None and site.id_type == "github" and len(site.warnings) == 2
    assert any("over 100 YAML aliases" in w for w in site.warnings)
    # A few anchors, as real configs use them (Docsy shares its version and languages this way).
    shared = _site({"hugo.yaml": "params:\n  latest: &v v1.2\n  version: *v\nbaseURL: https://d.example/\n"})
    assert shared is not None and shared.warnings == [] and shared.params["version"] == "v1.2"
    assert shared.base_url == "https://d.example/"
    blackfriday = _site({"hugo.toml": '[markup.goldmark.parser]\nautoHeadingIDType = "blackfriday"\n'})
    assert blackfriday is not None and blackfriday.id_type == "github"
    assert "not emulated" in blackfriday.warnings[0]
