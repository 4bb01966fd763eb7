"""Where an include shortcode's file is, and its text, read with the limits of a page.

`{{% include "x" %}}` names a content page (`site.GetPage`: hugoDocs, many theme docs) or a file under
assets/ (`resources.Get`: the GitLab handbook); `readfile` names a file beside the page. The site's
own template (layouts/shortcodes/include.html), when present, says which; without it a content page
is tried first, then assets/. A file over the size limit, with NUL bytes or not UTF-8 is left out
before it is read or decoded whole.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from thoth.refresh_service.markup.frontmatter import split_front_matter
from thoth.refresh_service.markup.getpage import get_page
from thoth.refresh_service.markup.site import Site

MAX_INCLUDE_DEPTH = 8
# Include expansions of one page, nested ones and repeats counted: the GitLab handbook's busiest page
# has a few dozen; past this the rest are left out (a chain of self-including files, a bomb).
MAX_INCLUDES_PER_PAGE = 300


@dataclass(frozen=True)
class Target:
    """A file to include; `page`: a content page (its front matter is not text)."""

    path: str
    page: bool


def _order(site: Site, name: str) -> tuple[str, ...]:
    """Where the shortcode `name` looks, from the site's template when it has one."""
    if name == "readfile":
        return ("beside", "content", "root")
    template = site.template(name)
    if template is None:
        return ("content", "assets")
    found = [
        (template.find(marker), kind)
        for marker, kind in (("GetPage", "content"), ("resources.Get", "assets"), ("readFile", "root"))
        if marker in template
    ]
    return tuple(kind for _, kind in sorted(found)) or ("content", "assets")


def find_include(arg: str, site: Site, name: str, from_path: str | None) -> tuple[Target | None, list[str]]:
    """The file `{{% name "arg" %}}` includes from the page `from_path`, and the paths looked at."""
    arg = arg.strip()
    looked: list[str] = []
    for kind in _order(site, name):
        if kind == "content":
            found = get_page(arg, site, from_path)
            if found is not None:
                return Target(found, True), looked
            looked.append(f"content page {arg}")
            continue
        if kind == "assets":
            path = posixpath.normpath(posixpath.join("assets", arg.lstrip("/")))
            ok = path.startswith("assets/")
        elif kind == "beside":
            if from_path is None or arg.startswith("/"):
                continue
            path = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), arg))
            ok = not path.startswith("../")
        else:
            path = posixpath.normpath(arg.lstrip("/"))
            ok = not path.startswith("../") and path != ".."
        if not ok:
            continue
        if path in site.files:
            return Target(path, False), looked
        looked.append(path)
    return None, looked


def read_include(target: Target, site: Site) -> tuple[str | None, str]:
    """The text of `target` (front matter dropped from a page), or None and why it is left out."""
    size = site.sizes.get(target.path)
    if size is not None and size > site.max_bytes:
        return None, f"is {size} bytes, over the {site.max_bytes}-byte limit of a file"
    try:
        data = site.read(target.path)
    except Exception as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    if len(data) > site.max_bytes:
        return None, f"is {len(data)} bytes, over the {site.max_bytes}-byte limit of a file"
    if b"\0" in data:
        return None, "is a binary file (NUL bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if target.page:
        lines = text.split("\n")
        try:
            _, skip = split_front_matter([line + "\n" for line in lines])
        except Exception:
            return None, "has front matter that cannot be read"
        text = "\n".join(lines[skip:])
    return text, ""
