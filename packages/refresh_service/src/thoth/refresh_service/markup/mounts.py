"""Where a Hugo site's content lives: `[module.mounts]` (or `contentDir`, per language) → content roots.

A file's place in the site is its *logical path* under the content root (what Hugo builds URLs and
`site.GetPage` from) and its language. Files under no content root are not pages.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONTENT = "content"


@dataclass(frozen=True)
class ContentRoot:
    """`source` (a folder ending in '/', or one file) appears at `target` (a folder under content,
    '' or ending in '/', or a file path) in languages `langs` (empty: the default language)."""

    source: str
    target: str
    langs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Located:
    """A file's logical path under the content root and the language of its page."""

    logical: str
    lang: str


def _norm_dir(path: str) -> str:
    path = posixpath.normpath(path.strip().strip("/")) if path.strip().strip("/") else ""
    return "" if path in ("", ".") else path + "/"


def _langs(mount: Mapping[str, Any]) -> tuple[str, ...]:
    """Languages a mount serves: `lang` (Hugo < 0.153) or `sites.matrix.languages` (patterns kept)."""
    lang = mount.get("lang")
    if isinstance(lang, str) and lang.strip():
        return (lang.strip().lower(),)
    sites = mount.get("sites")
    matrix = sites.get("matrix") if isinstance(sites, Mapping) else None
    langs = matrix.get("languages") if isinstance(matrix, Mapping) else None
    if isinstance(langs, str):
        langs = [langs]
    if isinstance(langs, list):
        return tuple(str(x).strip().lower() for x in langs if str(x).strip())
    return ()


def roots_from_mounts(mounts: Any, warnings: list[str]) -> list[ContentRoot] | None:
    """Content roots of `[[module.mounts]]`; None when no mount targets content (the default applies)."""
    if not isinstance(mounts, list):
        return None
    roots: list[ContentRoot] = []
    for mount in mounts:
        if not isinstance(mount, Mapping):
            continue
        source, target = mount.get("source"), mount.get("target")
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        target = target.strip().strip("/")
        if target != CONTENT and not target.startswith(CONTENT + "/"):
            continue
        raw = source.strip()
        norm = posixpath.normpath(raw.strip("/")) if raw.strip("/") else "."
        if raw.startswith("/") or norm == ".." or norm.startswith("../"):
            warnings.append(
                f"content mount {raw!r} lies outside the source; its pages are not indexed "
                "(index that folder as a source of its own)"
            )
            continue
        under = target[len(CONTENT) :].lstrip("/")
        if posixpath.splitext(norm)[1] and not raw.endswith("/"):  # one file mounted as one file
            roots.append(ContentRoot(norm, under, _langs(mount)))
        else:
            roots.append(ContentRoot(_norm_dir(norm), _norm_dir(under), _langs(mount)))
    return roots or None


def default_roots(content_dir: Any, per_language: Mapping[str, Any]) -> list[ContentRoot]:
    """`contentDir` of each language (languages.<l>.contentDir), then the site's (default content/)."""
    roots = [
        ContentRoot(_norm_dir(own), "", (lang,))
        for lang, own in per_language.items()
        if isinstance(own, str) and own.strip("/ ")
    ]
    main = (
        _norm_dir(content_dir) if isinstance(content_dir, str) and content_dir.strip("/ ") else CONTENT + "/"
    )
    if main not in {r.source for r in roots}:
        roots.append(ContentRoot(main, ""))
    return roots


def locate(path: str, roots: Sequence[ContentRoot], languages: Sequence[str], default: str) -> Located | None:
    """The logical path and language of `path`, or None when no content root holds it.

    The longest matching source wins; a file name's language suffix (`about.fr.md`) names its language
    when that language is configured; a mount serving the default language gives it that language.
    """
    best: ContentRoot | None = None
    for root in roots:
        inside = path == root.source if not root.source.endswith("/") else path.startswith(root.source)
        if (root.source == "" or inside) and (best is None or len(root.source) > len(best.source)):
            best = root
    if best is None:
        return None
    logical = (
        best.target
        if not best.source.endswith("/") and best.source
        else best.target + path[len(best.source) :]
    )
    langs = [lang for lang in best.langs if lang in languages] or [default]
    lang = default if default in langs else langs[0]
    directory, name = posixpath.split(logical)
    stem, ext = posixpath.splitext(name)
    base, dot, suffix = stem.rpartition(".")
    if dot and suffix.lower() in languages:
        lang = suffix.lower()
        logical = posixpath.join(directory, base + ext)
    return Located(logical, lang)
