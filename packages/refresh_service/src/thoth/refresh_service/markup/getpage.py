"""Find a content page as Hugo's `site.GetPage` / `.Page.GetPage` and `ref` do, and its published URL.

A reference is looked up relative to the referring page's folder, then from the content root, with or
without its extension, as a section (`_index.md`) or a bundle (`index.md`); last, by its file name
when exactly one page has it. Case does not matter; the page's language comes first, then the default.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from thoth.refresh_service.markup.publishing import (
    MARKDOWN,
    by_logical,
    front_matter,
    not_content,
    unpublished,
)
from thoth.refresh_service.markup.site import Site, url_path

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _by_name(site: Site) -> dict[tuple[str, str], list[str]]:
    names: dict[tuple[str, str], list[str]] | None = site.memo.get("by_name")
    if names is None:
        names = {}
        for (lang, logical), path in by_logical(site).items():
            stem = posixpath.splitext(posixpath.basename(logical))[0]
            if stem in ("_index", "index"):
                stem = posixpath.basename(posixpath.dirname(logical))
            names.setdefault((lang, stem), []).append(path)
        site.memo["by_name"] = names
    return names


def get_page(ref: str, site: Site, from_path: str | None = None) -> str | None:
    """The file of the content page `ref` names (fragment and query ignored), or None."""
    ref = ref.split("#", 1)[0].split("?", 1)[0].strip()
    if not ref or _SCHEME.match(ref) or ref.startswith("//"):
        return None
    table = by_logical(site)
    here = site.locate(from_path) if from_path else None
    langs = [here.lang] if here is not None else []
    langs += [site.default_lang] if site.default_lang not in langs else []
    bases = [posixpath.dirname(here.logical)] if here is not None and not ref.startswith("/") else []
    bases.append("")
    for base in bases:
        target = posixpath.normpath(posixpath.join(base, ref.lstrip("/"))).lower()
        if target.startswith("../") or target == "..":
            continue
        target = "" if target == "." else target
        stem, ext = posixpath.splitext(target)
        forms = [target] if ext in MARKDOWN else []
        forms += [stem + e for e in MARKDOWN] if ext in MARKDOWN else [target + e for e in MARKDOWN]
        folder = stem if ext in MARKDOWN else target
        forms += [posixpath.join(folder, n + e) for n in ("_index", "index") for e in MARKDOWN]
        for lang in langs:
            for form in forms:
                found = table.get((lang, form.lstrip("/")))
                if found is not None:
                    return found
    if "/" in ref.strip("/"):
        return None
    name = posixpath.splitext(ref.strip("/"))[0].lower()
    for lang in langs:
        candidates = _by_name(site).get((lang, name), [])
        if len(candidates) == 1:
            return candidates[0]
    return None


def published_url(path: str, site: Site) -> str | None:
    """The URL Hugo (or Eleventy) publishes `path` at (absolute with the base URL), or None when the
    site publishes no page for it (headless, draft, ...)."""
    urls: dict[str, str | None] = site.memo.setdefault("urls", {})
    if path not in urls:
        meta: dict[str, Any] = front_matter(path, site)
        url: str | None = None
        if not site.hugo or (not_content(path, site) is None and unpublished(path, meta, site) is None):
            found = url_path(path, site, meta)
            if found is not None:
                url = (site.base_url.rstrip("/") + "/" if site.base_url else "/") + found
        urls[path] = url
    return urls[path]
