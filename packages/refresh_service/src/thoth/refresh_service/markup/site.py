"""A Hugo site as a source sees it: detection, the few config keys that change URLs and anchors,
and the files under assets/ that `{{% include %}}` reads."""

from __future__ import annotations

import json
import posixpath
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from thoth.refresh_service.markup.frontmatter import NoAliasLoader

CONFIG_NAMES = ("hugo", "config")
CONFIG_EXTS = ("toml", "yaml", "yml", "json")
ROOT_CONFIGS = tuple(f"{n}.{e}" for n in CONFIG_NAMES for e in CONFIG_EXTS)
DEFAULT_DIR = "config/_default/"
# What a Hugo-aware snapshot lists besides the pages: the config, and includable files in assets/.
SITE_GLOBS = (
    *ROOT_CONFIGS,
    *(f"{DEFAULT_DIR}*.{e}" for e in CONFIG_EXTS),
    "assets/**/*.md",
    "assets/**/*.markdown",
    "assets/**/*.html",
)
MAX_CONFIG_BYTES = 256 * 1024
ID_TYPES = ("github", "github-ascii", "blackfriday")


@dataclass
class Site:
    """Hugo settings of one source and a reader for its assets (include targets)."""

    config_files: tuple[str, ...] = ()
    content_dir: str = "content/"
    id_type: str = "github"
    typographer: bool = True
    attributes: bool = True  # `{#id}` on headings (markup.goldmark.parser.attribute.title)
    lower_paths: bool = True
    files: Mapping[str, str] = field(default_factory=dict)  # path → digest
    read: Callable[[str], bytes] = lambda path: b""
    warnings: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # cleaned includes, shared by the run's pages

    def signature(self) -> str:
        """Part of the chunker signature: a change of these settings rebuilds every page."""
        return f"hugo:{self.id_type}:{int(self.typographer)}:{int(self.attributes)}:{int(self.lower_paths)}"


def _load(name: str, data: bytes) -> Any:
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(f"over {MAX_CONFIG_BYTES} bytes")
    text = data.decode("utf-8")
    if name.endswith(".toml"):
        return tomllib.loads(text)
    if name.endswith(".json"):
        return json.loads(text)
    return yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 (a SafeLoader that refuses aliases)


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        lowered = {str(k).lower(): v for k, v in value.items()}
        value = lowered.get(key.lower())  # Hugo's config keys are case-insensitive
    return value


def load_site(files: Mapping[str, str], read: Callable[[str], bytes], forced: bool) -> Site | None:
    """The site when `files` (path → digest) hold a Hugo config, or `forced` (markup: hugo); else None."""
    configs = [p for p in ROOT_CONFIGS if p in files]
    configs += sorted(p for p in files if p.startswith(DEFAULT_DIR) and p.count("/") == 2)
    if not configs and not forced:
        return None
    merged: dict[str, Any] = {}
    warnings: list[str] = []
    for path in configs:
        try:
            data = _load(path, read(path))
        except Exception as exc:  # any broken config: defaults, and the report says why
            warnings.append(f"Hugo config {path} cannot be read ({type(exc).__name__}: {exc}); defaults used")
            continue
        if not isinstance(data, dict):
            continue
        stem = posixpath.splitext(posixpath.basename(path))[0]
        if path.startswith(DEFAULT_DIR) and stem not in CONFIG_NAMES:
            merged.setdefault(stem, {}).update(data)  # config/_default/markup.toml holds `markup.*`
        else:
            merged.update(data)
    site = Site(config_files=tuple(configs), files=files, read=read, warnings=warnings)
    goldmark = _get(merged, "markup", "goldmark") or {}
    id_type = _get(goldmark, "parser", "autoHeadingIDType")
    if isinstance(id_type, str):
        if id_type.lower() in ID_TYPES:
            site.id_type = id_type.lower()
        else:
            warnings.append(f"autoHeadingIDType {id_type!r} is unknown; github ids used")
    if site.id_type == "blackfriday":
        warnings.append("autoHeadingIDType 'blackfriday' is not emulated; github ids used")
        site.id_type = "github"
    typographer = _get(goldmark, "extensions", "typographer")
    if typographer is False or (isinstance(typographer, Mapping) and _get(typographer, "disable") is True):
        site.typographer = False
    if _get(goldmark, "parser", "attribute", "title") is False:
        site.attributes = False
    content_dir = _get(merged, "contentDir")
    if isinstance(content_dir, str) and content_dir.strip("/ "):
        site.content_dir = content_dir.strip("/ ") + "/"
    if _get(merged, "disablePathToLower") is True:
        site.lower_paths = False
    return site


def _sanitize(segment: str, lower: bool) -> str:
    """Hugo's path sanitizing (helpers.UnicodeSanitize, then lowercase): spaces → '-', odd marks dropped."""
    out: list[str] = []
    was_hyphen = False
    for i, ch in enumerate(segment):
        allowed = ch in "./\\_#+~-@" or unicodedata.category(ch)[0] in "LM" or ch.isdecimal()
        if ch == "%" and all(c in "0123456789abcdefABCDEF" for c in segment[i + 1 : i + 3]):
            allowed = len(segment[i + 1 : i + 3]) == 2
        if allowed:
            was_hyphen = ch == "-"
            out.append(ch)
        elif ch.isspace() and not was_hyphen:
            was_hyphen = True
            out.append("-")
    text = "".join(out)
    return text.lower() if lower else text


def hugo_url_path(path: str, site: Site, meta: Mapping[str, Any], strip_prefix: str = "") -> str:
    """The page's URL path under baseURL, as Hugo builds it (`_index.md` → its section, url/slug)."""
    url = meta.get("url")
    if isinstance(url, str) and url.strip():
        target = url.strip().lstrip("/")
        return (
            target if target.endswith(("/", ".html", ".htm", ".xml", ".json")) or not target else target + "/"
        )
    prefix = strip_prefix or site.content_dir
    rel = path[len(prefix) :] if path.startswith(prefix) else path
    directory, name = posixpath.split(rel)
    stem = posixpath.splitext(name)[0]
    parts = [p for p in directory.split("/") if p]
    slug = meta.get("slug")
    slug = slug.strip() if isinstance(slug, str) and slug.strip() else None
    if stem in ("_index", "index"):
        if slug and parts:
            parts[-1] = slug  # a bundle's (or section's) slug renames its folder
    else:
        parts.append(slug or stem)
    clean = [_sanitize(p, site.lower_paths) for p in parts]
    return "".join(p + "/" for p in clean if p)
