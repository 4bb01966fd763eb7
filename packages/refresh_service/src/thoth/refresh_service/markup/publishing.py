"""Which files Hugo publishes as pages, as `hugo` decides by default.

Not a page: a file under no content root, a resource of a page bundle, a page whose build options
(its own `build`/`_build`/`headless`, or a section's `cascade`) say `render: never` or `link`, a
draft, a page published in the future or expired. Such files are read where other pages include
them, never returned with a URL Hugo does not publish.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from thoth.refresh_service.markup.frontmatter import split_front_matter
from thoth.refresh_service.markup.site import Site
from thoth.refresh_service.sources.snapshot import glob_regex

MARKDOWN = (".md", ".markdown", ".mdx")
PUBLISH_KEYS = ("publishdate", "pubdate", "published", "date")
EXPIRY_KEYS = ("expirydate", "unpublishdate")
MAX_FRONT_BYTES = 1024 * 1024  # a section's _index.md read for its cascade: front matter is at the top


def _stem(logical: str) -> str:
    return posixpath.splitext(posixpath.basename(logical))[0]


def _tables(site: Site) -> dict[str, Any]:
    """(lang, logical path) → file, of every markdown file under a content root (built once)."""
    tables: dict[str, Any] | None = site.memo.get("tables")
    if tables is None:
        by_logical: dict[tuple[str, str], str] = {}
        for path in sorted(site.files):
            if not path.lower().endswith(MARKDOWN):
                continue
            located = site.locate(path)
            if located is not None:
                by_logical.setdefault((located.lang, located.logical.lower()), path)
        bundles = {
            (lang, posixpath.dirname(logical)) for (lang, logical) in by_logical if _stem(logical) == "index"
        }
        tables = {"by_logical": by_logical, "bundles": bundles}
        site.memo["tables"] = tables
    return tables


def by_logical(site: Site) -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = _tables(site)["by_logical"]
    return table


def not_content(path: str, site: Site) -> str | None:
    """Why a markdown file is not a Hugo page by its place alone (no root, bundle resource), or None."""
    located = site.locate(path)
    if located is None:
        return "outside the site's content mounts"
    bundles: set[tuple[str, str]] = _tables(site)["bundles"]
    folder = posixpath.dirname(located.logical.lower())
    if _stem(located.logical) == "index":
        folder = posixpath.dirname(folder) if folder else None  # type: ignore[assignment]
    while folder is not None:
        if (located.lang, folder) in bundles:
            return "a resource of the page bundle " + (folder or ".") + "/index.md"
        folder = posixpath.dirname(folder) if folder else None  # type: ignore[assignment]
    return None


def front_matter(path: str, site: Site) -> dict[str, Any]:
    """A file's front matter (empty when it has none or cannot be read), read once per run."""
    fronts: dict[str, dict[str, Any]] = site.memo.setdefault("fronts", {})
    if path not in fronts:
        meta: dict[str, Any] = {}
        if 0 <= site.sizes.get(path, 0) <= MAX_FRONT_BYTES:
            try:
                text = site.read(path).decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
                lines = text.split("\n")
                meta, _ = split_front_matter([line + "\n" for line in lines[:4096]])
            except Exception:
                meta = {}
        fronts[path] = meta
    return fronts[path]


def _lower(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in meta.items()}


def _kind(logical: str) -> str:
    if _stem(logical) == "_index":
        return "home" if "/" not in logical else "section"
    return "page"


def _page_path(logical: str) -> str:
    """Hugo's `.Path` of a page (what cascade targets match): '/docs/a' for docs/a.md or docs/a/_index.md."""
    stem = posixpath.splitext(logical.lower())[0]
    if posixpath.basename(stem) in ("_index", "index"):
        stem = posixpath.dirname(stem)
    return "/" + stem.strip("/")


def _targets(entry: Mapping[str, Any], logical: str, lang: str) -> bool:
    target = entry.get("_target", entry.get("target"))
    if not isinstance(target, Mapping):
        return True
    target = _lower(target)
    path, kind, env, language = (target.get(k) for k in ("path", "kind", "environment", "lang"))
    if isinstance(path, str) and path and not glob_regex(path.lower()).match(_page_path(logical)):
        return False
    if isinstance(kind, str) and kind and not glob_regex(kind.lower()).match(_kind(logical)):
        return False
    if isinstance(env, str) and env and not glob_regex(env.lower()).match("production"):
        return False
    return not (isinstance(language, str) and language and not glob_regex(language.lower()).match(lang))


def _entries(cascade: Any) -> list[dict[str, Any]]:
    if isinstance(cascade, Mapping):
        return [dict(cascade)]
    if isinstance(cascade, list):
        return [dict(c) for c in cascade if isinstance(c, Mapping)]
    return []


def _chain(path: str, site: Site) -> list[str]:
    """The section files (`_index.md`) above `path`, nearest first (a section page: itself first)."""
    located = site.locate(path)
    if located is None:
        return []
    table = by_logical(site)
    logical = located.logical.lower()
    stem = _stem(logical)
    folder = posixpath.dirname(logical)
    chain: list[str] = []
    current: str | None = folder
    if stem == "_index":
        chain.append(path)
        current = posixpath.dirname(folder) if folder else None
    elif stem == "index":  # a leaf bundle: its folder is the page, sections start above it
        current = posixpath.dirname(folder) if folder else None
    while current is not None:
        section = next(
            (
                s
                for ext in MARKDOWN
                if (s := table.get((located.lang, posixpath.join(current, "_index" + ext))))
            ),
            None,
        )
        if section is not None and section != path:
            chain.append(section)
        current = posixpath.dirname(current) if current else None
    return chain


def cascades(path: str, site: Site) -> list[tuple[str, list[dict[str, Any]]]]:
    """The cascades that reach `path`, nearest first: (section file or '' for the config, entries)."""
    located = site.locate(path)
    if located is None:
        return []
    logical = located.logical.lower()
    found: list[tuple[str, list[dict[str, Any]]]] = []
    for section in _chain(path, site):
        entries = _entries(_lower(front_matter(section, site)).get("cascade"))
        entries = [e for e in entries if _targets(e, logical, located.lang)]
        if entries:
            found.append((section, entries))
    config = [e for e in site.cascade if _targets(e, logical, located.lang)]
    if config:
        found.append(("", config))
    return found


def _value(key: str, meta: Mapping[str, Any], reached: list[tuple[str, list[dict[str, Any]]]]) -> Any:
    own = _lower(meta)
    if key in own:
        return own[key]
    for _, entries in reached:
        for entry in entries:
            lowered = _lower(entry)
            if key in lowered:
                return lowered[key]
    return None


def _render(build: Any) -> str | None:
    if not isinstance(build, Mapping):
        return None
    render = _lower(build).get("render")
    if render is False:
        return "never"
    if render is True:
        return "always"
    return render.lower() if isinstance(render, str) else None


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1) if len(value.strip()) > 10 else value.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def unpublished(
    path: str, meta: Mapping[str, Any], site: Site, now: datetime | None = None
) -> tuple[str, bool] | None:
    """Why Hugo publishes no page for `path` with front matter `meta`, and whether that can change by
    itself (a future publish date); None when it is published."""
    own = _lower(meta)
    if own.get("draft") is True and not site.build_drafts:
        return "draft: true in the front matter (Hugo does not publish it); not indexed", False
    reached = cascades(path, site)
    build = _value("build", meta, reached)
    if build is None:
        build = _value("_build", meta, reached)
    render = _render(build)
    if render is None and own.get("headless") is True:
        render = "never"
    if render in ("never", "link"):
        origin = (
            "its front matter"
            if "build" in own or "_build" in own or "headless" in own
            else next(
                (f"the cascade of {section or 'the site config'}" for section, _ in reached),
                "its front matter",
            )
        )
        return (
            f"headless: build.render is {render!r} ({origin}), so Hugo publishes no page for it; "
            "its text is indexed where other pages include it",
            False,
        )
    now = now or datetime.now(UTC)
    publish = next((own[k] for k in PUBLISH_KEYS if own.get(k)), None)
    when = _when(publish)
    if when is not None and when > now and not site.build_future:
        return f"publish date {publish} is in the future (Hugo publishes it then); retried each run", True
    expiry = next((own[k] for k in EXPIRY_KEYS if own.get(k)), None)
    ends = _when(expiry)
    if ends is not None and ends <= now and not site.build_expired:
        return f"expired on {expiry} (expiryDate; Hugo no longer publishes it); not indexed", False
    return None


def cascade_files(path: str, site: Site) -> dict[str, str]:
    """Section files above `path` that hold a cascade (path → digest): a change there re-indexes it."""
    return {
        section: site.files.get(section, "")
        for section in _chain(path, site)
        if section != path and "cascade" in _lower(front_matter(section, site))
    }
