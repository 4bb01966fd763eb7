"""A source snapshot with its Hugo site: the pages to index, and the config and assets beside them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from thoth.refresh_service.markup.site import SITE_GLOBS, Site, load_site
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import Snapshot, selected


@dataclass
class SiteSnapshot(Snapshot):
    """`files` are the pages (the source's include/exclude); `site` is set for a Hugo source."""

    site: Site | None = None


def widened(config: SourceConfig) -> SourceConfig:
    """The config that also lists the site's config files and includable assets (unless markdown)."""
    if config.markup == "markdown":
        return config
    return dataclasses.replace(config, include=(*config.include, *SITE_GLOBS))


def with_site(snapshot: Snapshot, config: SourceConfig) -> SiteSnapshot:
    """Split a widened snapshot into pages and site files; detect Hugo (or obey `markup`)."""
    everything = snapshot.files
    pages = {p: e for p, e in everything.items() if selected(p, config.include, config.exclude)}
    skipped = [s for s in snapshot.skipped if selected(s.path, config.include, config.exclude)]
    site = None
    if config.markup != "markdown":
        digests = {p: e.digest for p, e in everything.items()}
        site = load_site(digests, snapshot.read, forced=config.markup == "hugo")
    fields = {f.name: getattr(snapshot, f.name) for f in dataclasses.fields(Snapshot)}
    return SiteSnapshot(**{**fields, "files": pages, "skipped": skipped}, site=site)


def stale_includes(includes: Mapping[str, str], site: Site | None) -> bool:
    """Whether any include a page read (path → digest, "" when it was missing) changed since."""
    files = site.files if site is not None else {}
    return any(files.get(path, "") != digest for path, digest in includes.items())
