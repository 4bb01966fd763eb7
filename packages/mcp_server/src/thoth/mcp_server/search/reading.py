"""One page or section by its thoth:// address, as text within a size budget (resources/read, fetch).

A longer text is cut at a line end and ends with a note naming the sections that were cut off
(their addresses), or get_handbook_section's cursor for a single long section.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from thoth.mcp_server.protocol.tools import Deadline
from thoth.mcp_server.search.access import visible
from thoth.mcp_server.search.address import Address, anchor_of
from thoth.mcp_server.search.registry import NoSuchPage, registry
from thoth.mcp_server.search.section import anchors, assemble, no_such_page, page_end, section_at
from thoth.shared.index import Chunk

READ_BUDGET_CHARS: Final = 24_000  # about 6,000 tokens at 4 characters a token
MAX_LISTED_SECTIONS: Final = 20


class Reading(NamedTuple):
    """What one address reads as: its text (cut to the budget) and what cites it."""

    address: Address
    title: str  # "Page" or "Page > Section"
    heading_path: list[str]  # the section's, [] for a page
    url: str  # the page's or the section's public URL, as search returns it
    text: str
    total_chars: int  # of the whole text, before any cut
    shown_chars: int
    commit: str | None
    last_modified: str | None

    @property
    def truncated(self) -> bool:
        return self.shown_chars < self.total_chars


def _page(address: Address, deadline: Deadline) -> list[Chunk]:
    # Only the caller's sources: one it may not read is answered as one that does not exist.
    live = [p.source for p in visible(registry().pointers(), deadline.sources)]
    if address.source not in live:
        raise NoSuchPage(
            f"no source named {address.source!r} is live; live sources: {', '.join(live) or 'none yet'}"
        )
    served = registry().serving(address.source, deadline)
    chunks = served[0].prepared.page(address.path)
    if not chunks:
        raise no_such_page(served, address.path)
    return chunks


def _cut_note(address: Address, chunks: list[Chunk], starts: list[int], end: int, total: int) -> str:
    later = [c for c, start in zip(chunks, starts, strict=True) if start >= end]
    cut_off = [a for a in anchors(later, MAX_LISTED_SECTIONS + 1) if a != address.anchor]
    note = f"\n\n[Cut at {end} of {total} characters."
    if cut_off:
        shown = ", ".join(
            Address(address.source, address.path, a).uri() for a in cut_off[:MAX_LISTED_SECTIONS]
        )
        more = " and more" if len(cut_off) > MAX_LISTED_SECTIONS else ""
        note += f" The rest, one section at a time: {shown}{more}."
    page_url = chunks[0].url.split("#", 1)[0]
    anchor = f"#{address.anchor}" if address.anchor else ""
    return note + f" Or page through all of it: get_handbook_section with path {page_url + anchor!r}.]"


def read(address: Address, deadline: Deadline, budget: int = READ_BUDGET_CHARS) -> Reading:
    """The page or section `address` names; NoSuchPage (listing what exists) when there is none."""
    chunks = _page(address, deadline)
    heading_path: list[str] = []
    title = chunks[0].title
    url = chunks[0].url.split("#", 1)[0]
    if address.anchor is not None:
        page = chunks
        chunks, heading, heading_path = section_at(page, address.anchor)
        if not chunks:
            listed = ", ".join(f"#{a}" for a in anchors(page)) or "none"
            raise NoSuchPage(
                f"page {address.path!r} of source {address.source!r} has no section "
                f"#{address.anchor[:80]}; its sections: {listed}"
            )
        title = title if heading == title else f"{title} > {heading}"
        url = chunks[0].url if anchor_of(chunks[0].url) else url
    content, starts = assemble(chunks)
    end = page_end(content, 0, budget)
    text = content[:end]
    if end < len(content):
        text += _cut_note(address, chunks, starts, end, len(content))
    return Reading(
        address=address,
        title=title,
        heading_path=heading_path,
        url=url,
        text=text,
        total_chars=len(content),
        shown_chars=end,
        commit=chunks[0].commit,
        last_modified=max((c.last_modified for c in chunks if c.last_modified), default=None),
    )
