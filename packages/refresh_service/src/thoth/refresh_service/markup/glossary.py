"""A site's glossary: one content page per term under a `glossary` folder (Hugo's own docs and many
theme sites), found by the term as `urlize` writes it, or its singular."""

from __future__ import annotations

import posixpath

from thoth.refresh_service.markup.publishing import by_logical
from thoth.refresh_service.markup.site import Site, sanitize


def _terms(site: Site) -> dict[str, str]:
    terms: dict[str, str] | None = site.memo.get("glossary")
    if terms is None:
        terms = {}
        for (lang, logical), path in sorted(by_logical(site).items()):
            folder, name = posixpath.split(logical)
            stem = posixpath.splitext(name)[0]
            if "glossary" in folder.split("/") and stem not in ("_index", "index"):
                key = stem if lang == site.default_lang else f"{lang}:{stem}"
                terms.setdefault(key, path)
        site.memo["glossary"] = terms
    return terms


def glossary_page(term: str, site: Site) -> str | None:
    """The glossary page of `term` (e.g. "default sort order" → glossary/default-sort-order.md)."""
    key = sanitize(" ".join(term.strip().split()), True)
    terms = _terms(site)
    for candidate in (key, key[:-1] if key.endswith("s") else "", key[:-2] if key.endswith("es") else ""):
        if candidate and candidate in terms:
            return terms[candidate]
    return None


def glossary_terms(page: str, site: Site) -> list[str]:
    """The term pages of the glossary section `page` heads (`{{% glossary %}}` lists them), by name."""
    here = site.locate(page)
    if here is None or "glossary" not in posixpath.dirname(here.logical).lower().split("/"):
        return []
    folder = posixpath.dirname(here.logical).lower()
    return [
        path
        for (lang, logical), path in sorted(by_logical(site).items())
        if lang == here.lang
        and posixpath.dirname(logical) == folder
        and posixpath.splitext(posixpath.basename(logical))[0] not in ("_index", "index")
    ]
