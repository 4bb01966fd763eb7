"""Snippets: the sentences of a chunk that best answer the query, within a character budget."""

from __future__ import annotations

import re

from thoth.mcp_server.search.budget import ELLIPSIS
from thoth.shared.text import tokenize

# Sentence ends inside a line; lines themselves (list items, table rows, code) are units already.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[])")
_NOISE = re.compile(r"^\s*(?:```|~~~|\{/\*.*\*/\}\s*\Z|<[A-Za-z/][^>]*>\s*\Z|[|:\- ]+\Z)")
_COMPONENT = re.compile(r"</?[A-Z][A-Za-z0-9.]*(?:\s[^<>]*)?/?>")  # MDX components: <Note>, <Tab title=..>
_STEM = 5  # query and text words sharing their first 5 letters count as a weaker match ("install*")


def without_heading_line(text: str) -> str:
    """Chunk text minus a leading '## Heading' line: heading_path already says it."""
    stripped = text.lstrip()
    if stripped.startswith("#"):
        rest = stripped.split("\n", 1)
        if len(rest) == 2 and rest[1].strip():
            return rest[1]
    return text


def units(text: str) -> list[str]:
    """Sentences and structural lines of `text`, whitespace collapsed; fence and markup lines dropped."""
    found: list[str] = []
    for line in text.split("\n"):
        line = _COMPONENT.sub("", line)
        if not line.strip() or _NOISE.match(line):
            continue
        found += [" ".join(part.split()) for part in _SENTENCE_END.split(line) if part.strip()]
    return found


def _score(unit: str, terms: set[str], stems: set[str]) -> float:
    words = set(tokenize(unit))
    exact = terms & words
    # Longer words say more about the question than short ones ("timeout" vs "run").
    score = float(sum(min(len(t), 8) for t in exact))
    if stems:
        # Every stem is _STEM letters long, so "w starts with s" is "w's first _STEM letters are s":
        # one set lookup a stem instead of a scan of the words (1.7 -> 0.x ms of a 7 ms search).
        prefixes = {w[:_STEM] for w in words - exact}
        score += 0.5 * sum(min(len(s), 8) for s in stems if s in prefixes)
    return score


def _window(flat: str, query: str, max_chars: int, begin: int = 0) -> str:
    """At most `max_chars` of `flat` around the first strong query-term match at or after `begin`."""
    if len(flat) <= max_chars:
        return flat
    if max_chars <= 2:
        return flat[:max_chars]
    lower = flat.lower()
    hit = -1
    for term in sorted(set(tokenize(query)), key=len, reverse=True):
        hit = lower.find(term, begin)
        if hit >= 0:
            break
    if hit < 0 < begin:
        hit = begin
    start = 0
    if hit > max_chars // 3:
        start = flat.find(" ", hit - max_chars // 3)
        start = start + 1 if 0 <= start < hit else hit
    room = max_chars - (1 if start > 0 else 0)
    end = min(len(flat), start + room)
    if end < len(flat):
        room -= 1  # the trailing ellipsis
        end = start + room
        space = flat.rfind(" ", start, end)
        if space > start + room // 2:
            end = space
    body = flat[start:end].strip()
    return (ELLIPSIS if start > 0 else "") + body + (ELLIPSIS if end < len(flat) else "")


class Snippable:
    """A chunk's units and their match against the query, computed once for every `cut` size.

    search_handbook may cut the same results twice (the answer budget shrinks snippets): units and
    scores do not depend on the size, and were half of its snippet time.
    """

    __slots__ = ("_best", "flat", "parts", "query")

    def __init__(self, text: str, query: str) -> None:
        self.parts = units(text)
        self.flat = " ".join(self.parts)
        self.query = query
        self._best: int | None = None

    def best(self) -> int | None:
        """Index of the unit that matches the query best (None: no query terms, or no units)."""
        if self._best is None:
            terms = set(tokenize(self.query))
            if not self.parts or not terms:
                return None
            stems = {t[:_STEM] for t in terms if len(t) > _STEM}
            scores = [_score(u, terms, stems) for u in self.parts]
            best = max(range(len(self.parts)), key=lambda i: (scores[i], -i))
            self._best = best if scores[best] > 0 else 0
        return self._best

    def cut(self, max_chars: int) -> str:
        """At most `max_chars`: from the best-matching unit on in reading order (see `snippet`)."""
        parts, flat = self.parts, self.flat
        if len(flat) <= max_chars:
            return flat
        best = self.best()
        if best is None:
            return _window(flat, self.query, max_chars)
        room = max_chars - 2  # both ellipses, at most
        if len(parts[best]) > room:  # one long sentence (or code line): centre on its match
            return _window(flat, self.query, max_chars, max(0, flat.find(parts[best])))
        first, last, used = best, best, len(parts[best])
        while last + 1 < len(parts) and used + 1 + len(parts[last + 1]) <= room:
            last += 1
            used += 1 + len(parts[last])
        # Room left at the end of the chunk: give the best sentence the context before it.
        while last + 1 == len(parts) and first > 0 and used + 1 + len(parts[first - 1]) <= room:
            first -= 1
            used += 1 + len(parts[first])
        body = " ".join(parts[first : last + 1])
        return (ELLIPSIS if first > 0 else "") + body + (ELLIPSIS if last + 1 < len(parts) else "")


def snippet(text: str, query: str, max_chars: int) -> str:
    """At most `max_chars` of `text`: from the sentence that matches the query best, on in reading order.

    Whole text when it fits (fence and component markup left out); an ellipsis marks text left out
    before or after.
    """
    return Snippable(text, query).cut(max_chars)
