"""get_handbook_section: one page, or one section of it, paginated by an opaque cursor.

A page is named by its path or by any url search returns (absolute, or relative when the source
has no base URL or the caller dropped it); a url's #anchor selects that section. The page and
section lookups here also serve resources/read and fetch (search/reading.py).
"""

from __future__ import annotations

import difflib
from typing import Any
from urllib.parse import unquote

from thoth.mcp_server.protocol.tools import Deadline, ToolArgumentError, ToolOutput
from thoth.mcp_server.search import cursor
from thoth.mcp_server.search.access import scope_tag
from thoth.mcp_server.search.address import anchor_of
from thoth.mcp_server.search.registry import NoSuchPage, Served, registry
from thoth.shared.index import Chunk


def _norm_heading(text: str) -> str:
    return " ".join(text.strip().lstrip("#").split()).casefold()


def _section(chunks: list[Chunk], heading: str) -> tuple[list[Chunk], str, list[str]]:
    """Chunks under the first heading that matches (with its subsections), the heading as written,
    and its heading path."""
    wanted = _norm_heading(heading)
    for chunk in chunks:
        for depth, name in enumerate(chunk.heading_path):
            if _norm_heading(name) == wanted:
                prefix = chunk.heading_path[: depth + 1]
                return [c for c in chunks if c.heading_path[: depth + 1] == prefix], name, prefix
    return [], heading, []


def section_at(chunks: list[Chunk], anchor: str) -> tuple[list[Chunk], str, list[str]]:
    """The section whose heading has `anchor` (the fragment of its public URL), with its subsections:
    the run of chunks from the first with that anchor while their heading path stays under its own.
    Also the heading as written and its heading path; ([], anchor, []) when no heading has it.

    Exact anchors first, then ignoring case and %-escapes (a client may have re-encoded the URL).
    """
    wanted = unquote(anchor)
    for same in (lambda a: a == anchor, lambda a: unquote(a).casefold() == wanted.casefold()):
        for i, chunk in enumerate(chunks):
            found = anchor_of(chunk.url)
            if found is None or not same(found):
                continue
            prefix = chunk.heading_path
            end = i + 1
            while end < len(chunks) and chunks[end].heading_path[: len(prefix)] == prefix:
                end += 1
            return chunks[i:end], (prefix[-1] if prefix else chunk.title), prefix
    return [], anchor, []


def anchors(chunks: list[Chunk], limit: int = 30) -> list[str]:
    """The distinct section anchors of a page, in page order (for error messages and cut pages)."""
    return list(dict.fromkeys(a for a in map(anchor_of, (c.url for c in chunks)) if a))[:limit]


def _with_parent(page: list[Chunk], section: list[Chunk], path: list[str]) -> tuple[list[Chunk], str | None]:
    """The parent's own text (the lead-in under the parent heading, or the page's before its first
    heading) followed by `section`, and the parent heading (None: the parent is the page itself).

    Sibling sections stay out: the parent's lead-in is the context a hit needs, its siblings are not.
    """
    parent = path[:-1]
    lead = [c for c in page if c.heading_path == parent]
    return lead + section, (parent[-1] if parent else None)


def _overlap(previous: str, body: str) -> int:
    """Length of the longest run of whole lines that ends `previous` and starts `body` (the blocks a
    chunk repeats from the one before it, for context)."""
    best = 0
    end = body.find("\n")
    while True:
        cut = len(body) if end < 0 else end
        head = body[:cut]
        if head.strip() and previous.endswith(head) and (len(previous) == cut or previous[-cut - 1] == "\n"):
            best = cut
        if end < 0:
            return best
        end = body.find("\n", end + 1)


def assemble(chunks: list[Chunk]) -> tuple[str, list[int]]:
    """Page text from its chunks, each block once, and where each chunk's part of it starts.

    The overlap a chunk repeats from the previous one (same section, overlapping lines) is left out;
    a heading line is added where a chunk starts a new section without one.
    """
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    previous: Chunk | None = None
    for chunk in chunks:
        starts.append(at)
        body = chunk.text.strip("\n")
        if (
            previous is not None
            and previous.path == chunk.path
            and previous.heading_path == chunk.heading_path
            and chunk.line_start <= previous.line_end
        ):
            body = body[_overlap(previous.text.strip("\n"), body) :].lstrip("\n")
        elif (
            chunk.heading_path
            and not body.lstrip().startswith("#")
            and (previous is None or chunk.heading_path != previous.heading_path)
        ):
            heading = "#" * min(6, len(chunk.heading_path)) + " " + chunk.heading_path[-1]
            parts.append(heading)
            at += len(heading) + 2
        if body:
            parts.append(body)
            at += len(body) + 2
        previous = chunk
    return "\n\n".join(parts) + "\n", starts


def _section_url(chunks: list[Chunk], heading: str | None) -> str:
    """The URL of the first chunk under `heading` (its anchor), else the first chunk's."""
    for chunk in chunks:
        if chunk.heading_path and chunk.heading_path[-1] == heading:
            return chunk.url
    return chunks[0].url


def page_end(content: str, start: int, max_chars: int) -> int:
    """Where a page of at most `max_chars` starting at `start` ends: at a line end when one is near."""
    end = min(len(content), start + max_chars)
    if end < len(content):
        newline = content.rfind("\n", start + max_chars * 3 // 4, end)
        if newline > start:
            end = newline + 1
    return end


def _site_path(url: str) -> str:
    """The part of a page URL a relative link would give: no scheme, host, query or surrounding '/'."""
    if "://" in url:
        url = url.split("://", 1)[1].partition("/")[2]
    return url.split("?", 1)[0].strip("/")


def _page_by_url(served: list[Served], url: str) -> tuple[Served, list[Chunk]] | None:
    """A page given by the URL search results link to (without its #anchor): the absolute URL, its
    path on the site, or that path without the base URL's own path (e.g. 'people/time-off/' under a
    base URL of https://example.com/handbook/) when one page alone ends with it."""
    absolute = url.startswith(("https://", "http://"))
    wanted = url.split("?", 1)[0].rstrip("/") if absolute else _site_path(url)
    if not wanted:
        return None
    tails: list[tuple[Served, str]] = []
    for entry in served:
        prepared = entry.prepared
        for i, path in enumerate(prepared.page_paths):  # the page table: no chunk text is read
            page_url = prepared.page_url(i)
            if absolute:
                if page_url.split("?", 1)[0].rstrip("/") == wanted:
                    return entry, prepared.page(path)
                continue
            site_path = _site_path(page_url)
            if site_path == wanted:
                return entry, prepared.page(path)
            if site_path.endswith("/" + wanted):
                tails.append((entry, path))
    if len(tails) == 1:
        entry, path = tails[0]
        return entry, entry.prepared.page(path)
    return None


# "Did you mean": difflib is quadratic in the path length and linear in the candidates, so it
# sees at most MAX_HINT_CANDIDATES pages that share the basename's stem or the directory, and
# at most HINT_PATH_CHARS of the asked path. `nox -s bench -- hint` prints the figures (5,000
# pages: about 0.5 s of CPU over every page before; the capped set costs a few ms).
MAX_HINT_CANDIDATES = 200
HINT_PATH_CHARS = 200


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold()


def close_paths(path: str, known: list[str]) -> list[str]:
    """Up to three indexed paths like `path`, from a capped candidate set (bounded CPU per miss)."""
    path = path[:HINT_PATH_CHARS]
    stem = _stem(path)
    directory = path.rsplit("/", 1)[0] + "/" if "/" in path else None
    same_stem, same_dir = [], []
    for candidate in known:
        if stem and _stem(candidate) == stem:
            same_stem.append(candidate)
        elif directory is not None and candidate.startswith(directory):
            same_dir.append(candidate)
        if len(same_stem) >= MAX_HINT_CANDIDATES:
            break
    candidates = (same_stem + same_dir)[:MAX_HINT_CANDIDATES]
    return difflib.get_close_matches(path, candidates, n=3, cutoff=0.6)


def _by_path(served: list[Served], path: str) -> tuple[Served, list[Chunk]] | None:
    for entry in served:
        chunks = entry.prepared.page(path) or entry.prepared.page(path.lstrip("/"))
        if chunks:
            return entry, chunks
    return None


def no_such_page(served: list[Served], path: str) -> NoSuchPage:
    """The error for a page that is not indexed, with up to three close paths."""
    known = [p for entry in served for p in entry.prepared.page_paths]
    close = close_paths(path, known)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return NoSuchPage(
        f"no page with path {path!r} is indexed.{hint} Find paths with search_handbook or list_topics."
    )


def locate(served: list[Served], given: str) -> tuple[Served, list[Chunk], str | None]:
    """The page `given` names (a path, or a url search returned) and the #anchor it carried, if any.

    A path is tried as written first, so a file whose name holds '#' is still found.
    """
    found = _by_path(served, given)
    if found:
        return (*found, None)
    base, hash_sign, fragment = given.partition("#")
    anchor = fragment if hash_sign and fragment else None
    if hash_sign:
        found = _by_path(served, base)
    if not found:
        found = _page_by_url(served, base)
    if found:
        return (*found, anchor)
    raise no_such_page(served, base)


def get_handbook_section(args: dict[str, Any], deadline: Deadline) -> ToolOutput:
    path: str = args["path"]
    heading: str | None = args.get("heading")
    max_chars: int = args["max_chars"]
    with_parent: bool = args.get("with_parent", False)
    bound = cursor.binding(args, scope_tag(deadline.sources))
    expected, offset = (
        cursor.decode("get_handbook_section", bound, args["cursor"]) if "cursor" in args else ("", 0)
    )
    served = registry().serving(args.get("source"), deadline)
    entry, chunks, anchor = locate(served, path)
    if with_parent and heading is None and anchor is None:
        raise ToolArgumentError(
            "argument 'with_parent' needs 'heading' (or a url with a #anchor): name the section to give "
            "context to"
        )
    versions = f"{entry.prepared.source}:{entry.prepared.version}"
    if "cursor" in args:
        cursor.check_versions(expected, versions)
    shown_heading: str | None = None
    parent: str | None = None
    if heading is not None or anchor is not None:
        page = chunks
        if heading is not None:  # an explicit heading wins over the url's anchor
            chunks, shown_heading, heading_path = _section(page, heading)
        elif anchor is not None:
            chunks, shown_heading, heading_path = section_at(page, anchor)
        if not chunks and heading is not None:
            names = sorted({h for c in page for h in c.heading_path})
            listed = "; ".join(names[:30]) or "none"
            raise NoSuchPage(f"page {path!r} has no heading {heading!r}; its headings: {listed}")
        if not chunks:
            listed = ", ".join(f"#{a}" for a in anchors(page)) or "none"
            raise NoSuchPage(
                f"page {page[0].path!r} has no section #{str(anchor)[:80]}; its sections: {listed}"
            )
        if with_parent:
            chunks, parent = _with_parent(page, chunks, heading_path)
            parent = parent or page[0].title
    content, _ = assemble(chunks)
    if offset > len(content):
        raise ToolArgumentError(
            "argument 'cursor' points past the end of the page; call again without cursor"
        )
    end = page_end(content, offset, max_chars)
    next_cursor = cursor.encode("get_handbook_section", bound, versions, end) if end < len(content) else None
    first = chunks[0]
    # The link names the section asked for, even when the parent's lead-in comes first.
    selected = heading is not None or anchor is not None
    url = _section_url(chunks, shown_heading) if selected else first.url.split("#", 1)[0]
    structured: dict[str, Any] = {
        "source": entry.prepared.source,
        "path": first.path,
        "title": first.title,
        "heading": shown_heading,
        "parent": parent,
        "url": url,
        "commit": first.commit,
        "last_modified": max((c.last_modified for c in chunks if c.last_modified), default=None),
        "content": content[offset:end],
        "offset": offset,
        "total_chars": len(content),
        "next_cursor": next_cursor,
    }
    title = " > ".join(
        [
            first.title,
            *([parent] if parent and parent != first.title else []),
            *([shown_heading] if shown_heading else []),
        ]
    )
    more = f"\n[characters {offset}-{end} of {len(content)}; more: call again with cursor={next_cursor}]"
    header = f"{title}\n{url}\n{entry.prepared.source}:{first.path}" + (more if next_cursor or offset else "")
    return ToolOutput(f"{header}\n\n{content[offset:end]}", structured)
