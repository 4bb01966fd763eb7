"""Text rewritten in one pass, with a map from each output line to the source lines it came from."""

from __future__ import annotations


class Output:
    """Output text with its line map; copy/drop advance the source line, insert does not."""

    def __init__(self, src: str, first_line: int) -> None:
        self.src = src
        self.line = first_line
        self.parts: list[str] = []
        self.size = 0
        self.starts = [first_line]
        self.ends: list[int] = []

    def copy(self, a: int, b: int, text: str | None = None) -> None:
        """Source [a, b), or `text` in its place (line for line when it has as many lines)."""
        piece = self.src[a:b] if text is None else text
        k = self.src.count("\n", a, b)
        if text is not None and text.count("\n") != k:
            self.drop(a, b)  # other lines than the source's: they cite where the source ends
            self.insert(text)
            return
        if k:
            self.ends.append(self.line)
            self.ends.extend(range(self.line + 1, self.line + k))
            self.starts.extend(range(self.line + 1, self.line + k + 1))
            self.line += k
        self._add(piece)

    def drop(self, a: int, b: int) -> None:
        self.line += self.src.count("\n", a, b)

    def insert(self, text: str) -> None:
        k = text.count("\n")
        self.ends.extend([self.line] * k)
        self.starts.extend([self.line] * k)
        self._add(text)

    def space(self) -> None:
        if self.parts and self.parts[-1] and not self.parts[-1][-1].isspace():
            self._add(" ")

    def _add(self, piece: str) -> None:
        if piece:
            self.parts.append(piece)
            self.size += len(piece)

    def done(self) -> tuple[str, list[int], list[int]]:
        self.ends.append(self.line)
        return "".join(self.parts), self.starts, self.ends


def compose(
    outer_starts: list[int], outer_ends: list[int], inner_starts: list[int], inner_ends: list[int]
) -> tuple[list[int], list[int]]:
    """The map of a second pass over a first pass's output (inner lines are 1-based outer lines)."""
    last = len(outer_starts) - 1

    def at(table: list[int], line: int) -> int:
        return table[min(max(line - 1, 0), last)]

    return [at(outer_starts, s) for s in inner_starts], [at(outer_ends, e) for e in inner_ends]
