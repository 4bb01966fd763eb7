"""The thoth:// address of a handbook page or section: resource URIs, fetch ids, and their checks.

`thoth://<source>/<path>` names a page and `thoth://<source>/<path>#<anchor>` one section of it
(the anchor is the one in the section's public URL). Path and anchor are percent-encoded UTF-8,
so an address is ASCII and survives any client. Addresses come back from clients, so `parse`
treats them as hostile: bounded lengths, no control characters, no dot segments, no query.
Plain data and string work: cheap to import.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple
from urllib.parse import quote, unquote

from thoth.mcp_server.protocol.resources import ResourceTemplate
from thoth.mcp_server.search import icons
from thoth.mcp_server.search.arguments import ecma_anchors
from thoth.mcp_server.search.specs import MAX_ID_CHARS, MAX_PATH_CHARS, SOURCE_PATTERN
from thoth.shared.errors import ThothError

SCHEME: Final = "thoth://"
MAX_URI_CHARS: Final = MAX_ID_CHARS
MAX_ANCHOR_CHARS: Final = 256
PAGE_TEMPLATE: Final = "thoth://{source}/{+path}"
SECTION_TEMPLATE: Final = "thoth://{source}/{+path}#{anchor}"
MARKDOWN: Final = "text/markdown"
EXAMPLE: Final = "thoth://handbook/people/time-off.md#requesting-time-off"
_SOURCE = re.compile(ecma_anchors(SOURCE_PATTERN))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BadAddress(ThothError):
    """Not a thoth:// address this server could have issued; the message names the part and the fix."""


class Address(NamedTuple):
    """A page (`anchor` None) or one section of it, in one source."""

    source: str
    path: str
    anchor: str | None = None

    def uri(self) -> str:
        page = f"{SCHEME}{self.source}/{quote(self.path, safe='/')}"
        return page if self.anchor is None else f"{page}#{quote(self.anchor, safe='')}"

    def page(self) -> Address:
        return Address(self.source, self.path)


def anchor_of(url: str) -> str | None:
    """The fragment of a chunk's public URL (its heading's anchor), None for a page's lead-in."""
    _, hash_sign, fragment = url.partition("#")
    return fragment if hash_sign and fragment else None


def _decoded(part: str, name: str) -> str:
    if _BAD_ESCAPE.search(part):
        raise BadAddress(f"the {name} holds a '%' that does not start a %XX escape; percent-encode it as %25")
    try:
        text = unquote(part, errors="strict")
    except UnicodeDecodeError:
        raise BadAddress(
            f"the {name}'s %XX escapes are not UTF-8; copy the address as it was given"
        ) from None
    if _CONTROL.search(text):
        raise BadAddress(f"the {name} holds control characters; copy the address as it was given")
    return text


def parse(text: str) -> Address:
    """The address `text` names; BadAddress says what is wrong with it and what a good one looks like."""
    fix = f"use an address from a search result, e.g. {EXAMPLE}"
    if len(text) > MAX_URI_CHARS:
        raise BadAddress(f"the address is {len(text)} characters long; the limit is {MAX_URI_CHARS}")
    if not text.startswith(SCHEME):
        raise BadAddress(f"{text[:60]!r} is not a thoth:// address; {fix}")
    if _CONTROL.search(text) or " " in text:
        raise BadAddress(f"the address holds spaces or control characters; {fix}")
    rest, hash_sign, fragment = text[len(SCHEME) :].partition("#")
    if "?" in rest:
        raise BadAddress(f"a thoth:// address has no query ('?'); {fix}")
    source, slash, raw_path = rest.partition("/")
    if not _SOURCE.match(source):
        raise BadAddress(f"{source[:70]!r} is not a source name (lowercase letters, digits, '-', '_'); {fix}")
    if not slash or not raw_path:
        raise BadAddress(f"the address names no page after the source; {fix}")
    path = _decoded(raw_path, "path")
    if len(path) > MAX_PATH_CHARS:
        raise BadAddress(f"the page path is {len(path)} characters long; the limit is {MAX_PATH_CHARS}")
    segments = path.split("/")
    if path.startswith("/") or "\\" in path or any(s in ("", ".", "..") for s in segments):
        raise BadAddress(
            f"the page path must be relative, without '.', '..', '\\\\' or empty segments; {fix}"
        )
    anchor = _decoded(fragment, "anchor") if hash_sign and fragment else None
    if anchor is not None and len(anchor) > MAX_ANCHOR_CHARS:
        raise BadAddress(f"the anchor is {len(anchor)} characters long; the limit is {MAX_ANCHOR_CHARS}")
    return Address(source, path, anchor)


TEMPLATES: Final = (
    ResourceTemplate(
        PAGE_TEMPLATE,
        "handbook-page",
        "Handbook page",
        f"The text of one indexed page, e.g. {EXAMPLE.partition('#')[0]}; long pages are cut at a size "
        "budget and end with the addresses of their sections.",
        MARKDOWN,
        (icons.PAGE,),
    ),
    ResourceTemplate(
        SECTION_TEMPLATE,
        "handbook-section",
        "Handbook section",
        f"The text of one section (with its subsections), by the anchor of its public URL, e.g. {EXAMPLE}.",
        MARKDOWN,
        (icons.PAGE,),
    ),
)
