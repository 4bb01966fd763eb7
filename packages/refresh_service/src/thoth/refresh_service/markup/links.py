"""Links an assistant can follow: reference links get their definition's URL, site links the URL the
page is published at (`/path`, `page.md#frag`, `../other/`), same-page fragments the page's URL.

Only a site's pages are resolved (a Hugo or Eleventy source with a base URL); other destinations
(external URLs, mail, files) are left as written.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from thoth.refresh_service.markup.getpage import get_page, published_url
from thoth.refresh_service.markup.site import Site

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A reference definition: `[label]: destination "optional title"` on a line of its own (in a quote
# too), the destination perhaps on the next line; group 1 is what goes from the text.
_QUOTE = r"(?:[ \t]{0,3}>[ \t]?)*"
DEFINITION = re.compile(
    rf"^{_QUOTE}[ ]{{0,3}}(\[((?:[^\[\]\\\n^]|\\.)(?:[^\[\]\\\n]|\\.){{0,998}})\]:[ \t]*\n?{_QUOTE}[ \t]*"
    r"(<[^<>\n]*>|[^\s<>]+)(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$)",
    re.MULTILINE,
)
MARKDOWN = (".md", ".markdown", ".mdx")


def label_key(label: str) -> str:
    """CommonMark's label matching: case-folded, inner whitespace collapsed."""
    return " ".join(label.split()).casefold()


def destination(raw: str) -> str:
    return raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw


def resolve(dest: str, site: Site | None, page: str | None) -> str:
    """`dest` as the URL a reader follows: a site's page links absolute and published; else unchanged."""
    if site is None or not dest or dest.startswith("{{") or _SCHEME.match(dest) or dest.startswith("//"):
        return dest
    base = site.base_url
    if not base:
        return dest
    here = published_url(page, site) if page is not None else None
    path, hash_, fragment = dest.partition("#")
    path = path.split("?", 1)[0]
    if not path:
        return here + hash_ + fragment if here is not None else dest
    if path.lower().endswith(MARKDOWN):  # a link to the page's source file: where it is published
        found = get_page(path, site, page)
        url = published_url(found, site) if found is not None else None
        if url is not None:
            return url + hash_ + fragment
    if path.startswith("/"):
        return urljoin(base, path.lstrip("/")) + hash_ + fragment
    if here is not None:
        return urljoin(here, path) + hash_ + fragment
    return dest
