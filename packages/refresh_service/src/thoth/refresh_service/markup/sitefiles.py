"""A source snapshot with its site: the pages to index, and the config, includes and templates beside them."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from thoth.refresh_service.markup.publishing import not_content
from thoth.refresh_service.markup.site import SITE_GLOBS, Site, load_site
from thoth.refresh_service.settings import DEFAULT_MAX_FILE_BYTES
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import FileEntry, Snapshot, glob_regex, selected

MAX_NAMED = 5  # files named in the report's "not pages" entry


@dataclass
class SiteSnapshot(Snapshot):
    """`files` are the pages (the source's include/exclude, Hugo's own rules); `site` is set for a
    Hugo or Eleventy source; `not_pages` names the selected files that are not pages, and why."""

    site: Site | None = None
    not_pages: dict[str, str] = dataclasses.field(default_factory=dict)

    def not_pages_report(self) -> dict[str, object]:
        """For the run report: how many selected files are not pages, a few of them and why."""
        shown = dict(sorted(self.not_pages.items())[:MAX_NAMED])
        return {
            "count": len(self.not_pages),
            "examples": shown,
            "why": "a Hugo site publishes no page for them (read where included); "
            "name their folder in the source's include to index them as pages",
        }


def widened(config: SourceConfig) -> SourceConfig:
    """The config that also lists the site's config, includable files and templates (unless markdown)."""
    if config.markup == "markdown":
        return config
    return dataclasses.replace(config, include=(*config.include, *SITE_GLOBS))


def _named(path: str, config: SourceConfig) -> bool:
    """Whether an include glob of the source names `path`'s folder (not a catch-all like **/*.md)."""
    return any(not g.startswith("*") and glob_regex(g).match(path) for g in config.include)


def with_site(
    snapshot: Snapshot, config: SourceConfig, max_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> SiteSnapshot:
    """Split a widened snapshot into pages and site files; detect the site (or obey `markup`).

    On a Hugo site a selected file under no content root, or inside a page bundle, is not a page
    (it is read where included) unless an include glob names its folder.
    """
    everything = snapshot.files
    pages = {p: e for p, e in everything.items() if selected(p, config.include, config.exclude)}
    skipped = [s for s in snapshot.skipped if selected(s.path, config.include, config.exclude)]
    site = None
    if config.markup != "markdown":
        digests = {p: e.digest for p, e in everything.items()}
        forced = config.markup if config.markup in ("hugo", "eleventy") else None
        site = load_site(digests, snapshot.read, forced, config.base_url, config.strip_prefix)
        if site is None and config.markup == "auto" and uses_templates(pages, snapshot.read):
            site = load_site(digests, snapshot.read, "eleventy", config.base_url, config.strip_prefix)
    fields = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(Snapshot)}
    out = SiteSnapshot(**{**fields, "files": pages, "skipped": skipped}, site=site)
    if site is None:
        return out
    site.sizes = {p: e.size for p, e in everything.items()}
    site.max_bytes = max_bytes
    if site.hugo:
        outside = {p: r for p in pages if (r := not_content(p, site)) is not None and not _named(p, config)}
        if outside:
            out.files = {p: e for p, e in pages.items() if p not in outside}
            out.not_pages = outside
    return out


# A Liquid/Nunjucks tag outside code (`{% alert %}`, `{% page "x" %}`, `{% endraw %}`): an Eleventy
# (or Jekyll) site whose config is not in the source, e.g. a source that is its input folder.
_TEMPLATE_TAG = re.compile(r"\{%-?\s*[A-Za-z_][\w-]*[^%\n]{0,300}%\}")
_CODE = re.compile(r"^(```|~~~).*?^\1|`[^`\n]*`", re.DOTALL | re.MULTILINE)
SNIFF_PAGES = 50
SNIFF_BYTES = 64 * 1024


def uses_templates(pages: Mapping[str, FileEntry], read: Callable[[str], bytes]) -> bool:
    """Whether markdown pages of the source use template tags outside code (a sample of them)."""
    sample = [p for p in sorted(pages) if p.lower().endswith((".md", ".markdown"))][:SNIFF_PAGES]
    for path in sample:
        if pages[path].size > SNIFF_BYTES * 16:
            continue
        try:
            text = read(path)[:SNIFF_BYTES].decode("utf-8", errors="replace")
        except Exception:  # noqa: S112 (an unreadable page says nothing about the source)
            continue
        if "{%" in text and _TEMPLATE_TAG.search(_CODE.sub("", text)):
            return True
    return False


def stale_includes(includes: Mapping[str, str], site: Site | None) -> bool:
    """Whether any include a page read (path → digest, "" when it was missing) changed since."""
    files = site.files if site is not None else {}
    return any(files.get(path, "") != digest for path, digest in includes.items())
