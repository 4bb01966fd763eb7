"""A site generator's view of a source (Hugo, or Eleventy's templates): detection, the config keys
that decide pages, URLs, anchors and text, and a reader for the files beside the pages."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from thoth.refresh_service.markup.hugoconfig import CONFIG_EXTS, config_files, get, load_config
from thoth.refresh_service.markup.mounts import ContentRoot, Located, default_roots, locate, roots_from_mounts
from thoth.refresh_service.settings import DEFAULT_MAX_FILE_BYTES

# What a site-aware snapshot lists besides the pages: config, every markdown file (includes name
# content pages and assets), shortcode templates, and Eleventy's config (its detection).
SITE_GLOBS = (
    "hugo.*",
    "config.*",
    *(f"config/{env}/*.{e}" for env in ("_default", "production") for e in CONFIG_EXTS),
    "**/*.md",
    "**/*.markdown",
    "assets/**/*.html",
    # Text files a page bundle holds for `readfile` (code samples, configuration examples).
    *(f"content/**/*.{e}" for e in ("txt", "yaml", "yml", "toml", "json", "sh", "html")),
    "layouts/shortcodes/**/*.html",
    "layouts/_shortcodes/**/*.html",
    ".eleventy.js",
    "eleventy.config.*",
)
ELEVENTY_CONFIGS = (
    ".eleventy.js",
    ".eleventy.cjs",
    "eleventy.config.js",
    "eleventy.config.cjs",
    "eleventy.config.mjs",
)
TEMPLATE_DIRS = ("layouts/shortcodes/", "layouts/_shortcodes/")
ID_TYPES = ("github", "github-ascii", "blackfriday")
GENERATORS = ("hugo", "eleventy")


@dataclass
class Site:
    """One source's site settings and a reader for its files (include targets, templates, front matter)."""

    generator: str = "hugo"  # "hugo" | "eleventy"
    config_files: tuple[str, ...] = ()
    roots: tuple[ContentRoot, ...] = (ContentRoot("content/", ""),)
    languages: tuple[str, ...] = ("en",)
    default_lang: str = "en"
    lang_in_subdir: bool = False
    base_url: str | None = None  # the source's base_url, else the site's baseURL
    strip_prefix: str = ""  # sources that are not Hugo sites: dropped from paths in URLs
    id_type: str = "github"
    typographer: bool = True
    attributes: bool = True  # `{#id}` on headings (markup.goldmark.parser.attribute.title)
    lower_paths: bool = True
    emoji: bool = False  # enableEmoji: `:smile:` → 😄
    build_drafts: bool = False
    build_future: bool = False
    build_expired: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    cascade: list[dict[str, Any]] = field(default_factory=list)  # the config's own cascade
    files: Mapping[str, str] = field(default_factory=dict)  # path → digest
    sizes: Mapping[str, int] = field(default_factory=dict)  # path → bytes (checked before a read)
    max_bytes: int = DEFAULT_MAX_FILE_BYTES  # an included file over this is left out
    read: Callable[[str], bytes] = lambda path: b""
    warnings: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # cleaned includes, shared by the run's pages
    memo: dict[str, Any] = field(default_factory=dict)  # lookup tables built on first use

    @property
    def hugo(self) -> bool:
        return self.generator == "hugo"

    @property
    def content_dir(self) -> str:
        """The main content folder (the first content root's)."""
        return self.roots[0].source if self.roots else ""

    def locate(self, path: str) -> Located | None:
        """A Hugo file's logical path and language (None: not content); other sites: the path itself."""
        if not self.hugo:
            rel = path[len(self.strip_prefix) :] if path.startswith(self.strip_prefix) else path
            return Located(rel, self.default_lang)
        found: dict[str, Located | None] = self.memo.setdefault("located", {})
        if path not in found:
            found[path] = locate(path, self.roots, self.languages, self.default_lang)
        return found[path]

    def template(self, name: str) -> str | None:
        """The site's own template of shortcode `name` (layouts/shortcodes/), when it has one."""
        for folder in TEMPLATE_DIRS:
            path = f"{folder}{name}.html"
            if path in self.files:
                try:
                    return self.read(path)[:65536].decode("utf-8", errors="replace")
                except Exception:  # noqa: S112 (unreadable template: as if absent)
                    continue
        return None

    def signature(self) -> str:
        """Part of the chunker signature: a change of these settings rebuilds every page."""
        roots = ",".join(f"{r.source}>{r.target}@{'+'.join(r.langs)}" for r in self.roots)
        return (
            f"{self.generator}:{self.id_type}:{int(self.typographer)}:{int(self.attributes)}:"
            f"{int(self.lower_paths)}:{int(self.emoji)}:{self.base_url}:{'+'.join(self.languages)}:"
            f"{self.default_lang}:{int(self.lang_in_subdir)}:{roots}"
        )


def _languages(config: Mapping[str, Any]) -> tuple[tuple[str, ...], str, dict[str, Any]]:
    """Configured languages (by weight, then name), the default one, and each one's contentDir."""
    default = get(config, "defaultContentLanguage")
    default = default.strip().lower() if isinstance(default, str) and default.strip() else "en"
    table = get(config, "languages")
    disabled = {str(x).lower() for x in get(config, "disableLanguages") or [] if isinstance(x, str)}
    langs: list[tuple[float, str]] = []
    dirs: dict[str, Any] = {}
    if isinstance(table, Mapping):
        for key, value in table.items():
            lang = str(key).lower()
            settings = value if isinstance(value, Mapping) else {}
            if lang in disabled or get(settings, "disabled") is True:
                continue
            weight = get(settings, "weight")
            langs.append((float(weight) if isinstance(weight, int | float) and weight else 1e9, lang))
            dirs[lang] = get(settings, "contentDir")
    ordered = tuple(lang for _, lang in sorted(langs)) or (default,)
    if default not in ordered:
        ordered = (default, *ordered)
    return ordered, default, dirs


def _markup(site: Site, config: Mapping[str, Any]) -> None:
    goldmark = get(config, "markup", "goldmark") or {}
    id_type = get(goldmark, "parser", "autoHeadingIDType")
    if isinstance(id_type, str):
        if id_type.lower() in ID_TYPES:
            site.id_type = id_type.lower()
        else:
            site.warnings.append(f"autoHeadingIDType {id_type!r} is unknown; github ids used")
    if site.id_type == "blackfriday":
        site.warnings.append("autoHeadingIDType 'blackfriday' is not emulated; github ids used")
        site.id_type = "github"
    typographer = get(goldmark, "extensions", "typographer")
    if typographer is False or (isinstance(typographer, Mapping) and get(typographer, "disable") is True):
        site.typographer = False
    if get(goldmark, "parser", "attribute", "title") is False:
        site.attributes = False


def _cascade(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, list):
        return [dict(v) for v in value if isinstance(v, Mapping)]
    return []


def load_site(
    files: Mapping[str, str],
    read: Callable[[str], bytes],
    forced: bool | str | None,
    base_url: str | None = None,
    strip_prefix: str = "",
) -> Site | None:
    """The site of a source whose files (path → digest) hold a Hugo config or an Eleventy config, or
    whose `markup` names a generator (`forced`: "hugo" | "eleventy"; True means "hugo"); else None."""
    forced_name = "hugo" if forced is True else forced if isinstance(forced, str) else None
    configs = config_files(files)
    if forced_name == "eleventy" or (not configs and forced_name is None and _eleventy(files)):
        return Site(
            generator="eleventy",
            attributes=True,  # markdown-it-attrs: `{#id}` after a heading
            typographer=False,
            id_type="eleventy",
            files=files,
            read=read,
            base_url=base_url,
            strip_prefix=strip_prefix or _eleventy_input(files, read),
        )
    if not configs and forced_name != "hugo":
        return None
    site = Site(config_files=tuple(configs), files=files, read=read)
    config = load_config(configs, read, site.warnings)
    _markup(site, config)
    site.languages, site.default_lang, dirs = _languages(config)
    site.lang_in_subdir = get(config, "defaultContentLanguageInSubdir") is True
    mounted = roots_from_mounts(get(config, "module", "mounts"), site.warnings)
    site.roots = tuple(mounted or default_roots(get(config, "contentDir"), dirs))
    if not configs and not any(p.startswith(site.content_dir) for p in files):
        site.roots = (ContentRoot("", ""),)  # `markup: hugo` on a folder of content (no config, no content/)
    if get(config, "disablePathToLower") is True:
        site.lower_paths = False
    site.emoji = get(config, "enableEmoji") is True
    site.build_drafts = get(config, "buildDrafts") is True
    site.build_future = get(config, "buildFuture") is True
    site.build_expired = get(config, "buildExpired") is True
    params = get(config, "params")
    site.params = dict(params) if isinstance(params, Mapping) else {}
    site.cascade = _cascade(get(config, "cascade"))
    configured = get(config, "baseURL")
    site.base_url = base_url or (configured if isinstance(configured, str) and "://" in configured else None)
    for key in ("permalinks", "uglyURLs"):
        if get(config, key):
            site.warnings.append(f"the config's {key} is not emulated; page URLs follow Hugo's defaults")
    if strip_prefix and not any(r.source == strip_prefix for r in site.roots):
        mounted_dirs = ", ".join(r.source or "./" for r in site.roots)
        site.warnings.append(
            f"strip_prefix {strip_prefix!r} is ignored: the Hugo config puts content in {mounted_dirs} "
            "and page URLs follow it; remove strip_prefix"
        )
    return site


def _eleventy(files: Mapping[str, str]) -> bool:
    return any(name in files for name in ELEVENTY_CONFIGS)


_INPUT_DIR = re.compile(r"""\binput\s*:\s*["'`]([\w./-]+)["'`]""")


def _eleventy_input(files: Mapping[str, str], read: Callable[[str], bytes]) -> str:
    """The input folder an Eleventy config names (`dir: {input: "pages"}`): its pages' URLs start
    below it. '' when there is no config or it names none."""
    for name in ELEVENTY_CONFIGS:
        if name in files:
            try:
                found = _INPUT_DIR.search(read(name)[:65536].decode("utf-8", errors="replace"))
            except Exception:  # noqa: S112 (unreadable config: pages from the root)
                continue
            if found and found.group(1).strip("./"):
                return found.group(1).strip("./") + "/"
    return ""


def sanitize(segment: str, lower: bool) -> str:
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


def _explicit_url(url: str) -> str:
    target = url.strip().lstrip("/")
    return target if target.endswith(("/", ".html", ".htm", ".xml", ".json")) or not target else target + "/"


def hugo_url_path(path: str, site: Site, meta: Mapping[str, Any], strip_prefix: str = "") -> str:
    """The page's URL path under baseURL, as Hugo builds it (`_index.md` → its section, url/slug,
    the language's folder). `strip_prefix` applies only to files outside every content root."""
    url = meta.get("url")
    located = site.locate(path)
    lang_dir = ""
    if located is not None and (located.lang != site.default_lang or site.lang_in_subdir):
        lang_dir = located.lang + "/"
    if isinstance(url, str) and url.strip():
        return _explicit_url(url)  # Hugo does not prefix an explicit url with the language
    if located is not None:
        rel = located.logical
    else:
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
    clean = [sanitize(p, site.lower_paths) for p in parts]
    return lang_dir + "".join(p + "/" for p in clean if p)


def eleventy_url_path(path: str, site: Site, meta: Mapping[str, Any]) -> str | None:
    """The page's URL path as Eleventy writes it (`permalink`, else the path; index → its folder);
    None when `permalink: false` (Eleventy writes no page)."""
    permalink = meta.get("permalink")
    if permalink is False:
        return None
    if isinstance(permalink, str) and permalink.strip() and "{" not in permalink:
        target = permalink.strip().lstrip("/")
        return target[: -len("index.html")] if target.endswith("/index.html") else target
    located = site.locate(path)
    rel = located.logical if located is not None else path
    stem = posixpath.splitext(rel)[0]
    if posixpath.basename(stem).lower() == "index":
        folder = posixpath.dirname(stem)
        return folder + "/" if folder else ""
    return stem + "/"


def url_path(path: str, site: Site, meta: Mapping[str, Any], strip_prefix: str = "") -> str | None:
    """The page's URL path under the base URL, as its generator builds it (None: it writes none)."""
    if site.hugo:
        return hugo_url_path(path, site, meta, strip_prefix)
    return eleventy_url_path(path, site, meta)
