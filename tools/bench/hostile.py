"""A generated hostile corpus: 2 MiB of each construct that has stalled markdown parsers.

Shared by the hostile-input test (tests/functional/refresh_service/test_hostile.py: every file finishes
within BOUND_S_PER_MB per MiB) and `nox -s bench -- refresh --hostile` (slowest file per MB).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

MIB = 1024 * 1024
SIZE = 2 * MIB


def _fill(unit: str, size: int = SIZE, head: str = "", tail: str = "\n") -> str:
    room = size - len((head + tail).encode())
    return head + unit * max(1, room // max(1, len(unit.encode()))) + tail


def _nested_lists(size: int) -> str:
    out, total, depth = [], 0, 0
    while total < size:
        line = "  " * (depth % 400) + "- item\n"
        out.append(line)
        total += len(line)
        depth += 1
    return "".join(out)


CONSTRUCTS: dict[str, Callable[[], str | bytes]] = {
    # pathological whitespace (issue 12: the cubic H1 regex)
    "h1-space-run": lambda: _fill(" ", head="# a", tail="b\n"),
    "blank-lines-of-spaces": lambda: _fill(" " * 200 + "\n"),
    "tabs": lambda: _fill("\t", head="x", tail="y\n"),
    # nesting
    "blockquote-nesting": lambda: _fill("> ", tail="x\n"),
    "list-nesting": lambda: _nested_lists(SIZE),
    "brackets": lambda: _fill("[", size=SIZE // 2) + _fill("]", size=SIZE // 2),
    "emphasis": lambda: _fill("*_"),
    "backtick-runs": lambda: _fill("` `` ``` "),
    # long lines
    "one-long-line": lambda: _fill("word "),
    "long-heading": lambda: _fill("word ", head="## "),
    "heading-of-lt": lambda: _fill("<", head="## "),
    # many small blocks
    "numbered-list": lambda: "".join(f"{i}. x\n" for i in range(SIZE // 8)),
    "duplicate-headings": lambda: _fill("## Same\n"),
    "setext-headings": lambda: _fill("a\n=\n"),
    "fences": lambda: _fill("```\n"),
    "wide-table": lambda: "| a " * 50_000 + "|\n" + "| --- " * 50_000 + "|\n" + "| x " * 50_000 + "|\n",
    # HTML
    "html-megabyte-line": lambda: _fill('<div class="c"><span>t</span><svg><path d="M0 0L1 1"/></svg></div>'),
    "lt-run": lambda: _fill("<"),
    "unclosed-attribute": lambda: _fill('<a b="'),
    "comment-openers": lambda: _fill("<!-- "),
    "svg-openers": lambda: _fill("<svg>"),
    "entities": lambda: _fill("&amp;&#123;&nbsp;&bogus "),
    # Hugo shortcodes
    "unclosed-shortcodes": lambda: _fill('{{< x "'),
    "shortcode-openers": lambda: _fill("{{% "),
    "nested-shortcodes": lambda: _fill("{{< a >}}", size=SIZE // 2) + _fill("{{< /a >}}", size=SIZE // 2),
    "paired-shortcodes": lambda: _fill('{{% alert title="T" %}}x{{% /alert %}}\n'),
    "includes": lambda: _fill('{{% include "includes/a.md" %}}\n'),
    # front matter
    "front-matter-unclosed": lambda: _fill("key: value\n", head="---\n"),
    "front-matter-aliases": lambda: (
        "---\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n---\n# Bomb\n"
    ),
    # not text
    "binary": lambda: random.Random(1).randbytes(SIZE),
    "invalid-utf8": lambda: b"ok " * 1000 + b"\xff\xfe\xc3\x28" * (SIZE // 4),
}
# An include cycle (a → b → a) for the "includes" file, read from assets/.
INCLUDES = {
    "assets/includes/a.md": b'a {{% include "includes/b.md" %}}\n',
    "assets/includes/b.md": b'b {{% include "includes/a.md" %}}\n',
}


def corpus() -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every hostile file."""
    for name, make in CONSTRUCTS.items():
        data = make()
        yield f"content/hostile/{name}.md", data.encode() if isinstance(data, str) else data
