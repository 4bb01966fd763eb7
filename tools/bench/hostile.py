"""Hostile input, generated: markdown constructs that stalled parsers, and a decompression-bomb index.

`corpus()`: 2 MiB of each construct, shared by the hostile-input test (tests/functional/
refresh_service/test_hostile.py: every file finishes within BOUND_S_PER_MIB per MiB) and
`nox -s bench -- refresh --parse-only` (slowest file per MiB). `write_manifest_bomb`: an index
version whose few KB of index.bin declare any number of rows (tests/functional/shared/
test_manifest_bomb.py), and `write_include_chain_site`. `nox -s bench -- hostile` (or
`python -m tools.bench.hostile`) prints the time and peak memory of loading the bomb and of
refreshing the include-chain site, each in a fresh process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import zstandard

from thoth.shared.errors import ThothError

if TYPE_CHECKING:
    from thoth.shared.index.format import Manifest
    from thoth.shared.storage import ObjectStore

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


# --- a decompression bomb: an index version that inflates to whatever its manifest declares ---


def _zeros_frame(size: int) -> bytes:
    """A zstd frame of `size` zero bytes (with content size and checksum), built without holding them."""
    stream = zstandard.ZstdCompressor(level=3, write_checksum=True, write_content_size=True).compressobj(
        size=size
    )
    block = bytes(min(size, MIB))
    parts, left = [], size
    while left:
        step = min(left, len(block))
        parts.append(stream.compress(block if step == len(block) else block[:step]))
        left -= step
    parts.append(stream.flush())
    return b"".join(parts)


def write_manifest_bomb(
    store: ObjectStore, source: str, version: str, rows: int, dimension: int = 384, fingerprint: str = "f",
    extra: dict[str, int] | None = None,
) -> Manifest:  # fmt: skip
    """A well-formed version of `rows` chunks whose every array is zeros: index.bin is a few KB for
    300,000 rows of 384 dimensions, which load to 115 MB of int8 and 460 MB of float32 vectors.

    `extra`: sections this reader does not know, name -> declared bytes of zeros.
    """
    from thoth.shared.index.format import INDEX_FILE, TEXTS_FILE, Manifest, ModelInfo, Section, version_prefix
    from thoth.shared.index.sections import compressor

    frames: list[bytes] = []
    sections: dict[str, Section] = {}
    offset = 0

    def add(name: str, dtype: str, shape: tuple[int, ...], data: npt.NDArray[Any] | None = None) -> None:
        nonlocal offset
        raw = int(np.prod(shape)) * np.dtype(dtype).itemsize
        frame = _zeros_frame(raw) if data is None else compressor().compress(data.astype(dtype).tobytes())
        sections[name] = Section(offset, len(frame), raw, dtype, shape)
        frames.append(frame)
        offset += len(frame)

    texts = compressor().compress(b"\n")
    add("vectors", "int8", (rows, dimension))
    add("vector_scales", "float32", (rows,))
    add("row_page", "uint32", (rows,))
    add("row_line", "uint32", (rows,))
    for name in ("page_path", "page_title", "page_url"):
        add(f"{name}_bytes", "uint8", (1,), np.array([ord("a")]))
        add(f"{name}_lengths", "uint16", (1,), np.array([1]))
    for name in ("terms_bytes", "terms_lengths", "terms_df"):
        add(name, "uint32" if name == "terms_df" else "uint8", (0,))
    for field in ("head", "body"):
        add(f"{field}_counts", "uint32", (0,))
        add(f"{field}_deltas", "uint32", (0,))
        add(f"{field}_tfs", "uint8", (0,))
        add(f"{field}_lengths", "uint16", (rows,))
    add("text_offsets", "uint64", (2,), np.array([0, len(texts)]))
    add("text_rows", "uint32", (2,), np.array([0, rows]))
    for name, size in (extra or {}).items():
        add(name, "uint8", (size,))
    index = b"".join(frames)
    prefix = version_prefix(source, version)
    files = {}
    for name, data in ((INDEX_FILE, index), (TEXTS_FILE, texts)):
        store.put(prefix + name, data)
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = Manifest(
        source=source, version=version, model=ModelInfo("bomb", dimension, fingerprint), chunk_count=rows,
        commit=None, created_at="2026-01-01T00:00:00+00:00", builder_version="bomb", files=files,
        sections=sections,
    )  # fmt: skip
    store.put(prefix + "manifest.json", manifest.to_bytes())
    return manifest


# --- an include chain: 12 includes a level, a self-include at the bottom, 20 pages that use it ---


def write_include_chain_site(root: Path, pages: int = 20, fanout: int = 12, levels: int = 10) -> None:
    """A Hugo site whose pages each include a chain `levels` deep, `fanout` includes a level, ending in
    an include of itself (cut as a cycle): cleaning each include again costs fanout**depth-limit."""
    (root / "config" / "_default").mkdir(parents=True, exist_ok=True)
    (root / "config" / "_default" / "hugo.toml").write_text('title = "Chains"\n')
    includes = root / "assets" / "includes"
    includes.mkdir(parents=True, exist_ok=True)
    for level in range(levels):
        below = f"includes/chain-{min(level + 1, levels - 1)}.md"
        (includes / f"chain-{level}.md").write_text(f'{{{{% include "{below}" %}}}}\n' * fanout)
    content = root / "content"
    content.mkdir(exist_ok=True)
    for i in range(pages):
        include = '{{% include "includes/chain-0.md" %}}'
        (content / f"chain-{i:02d}.md").write_text(f"# Chain page {i}\n\nLighthouse {i}.\n\n{include}\n")
    for name in ("canaries", "rollbacks", "pagers"):
        (content / f"{name}.md").write_text(f"# {name.title()}\n\nAn ordinary page about {name}.\n")


def _measured(command: list[str], env: dict[str, str], timeout_s: float) -> tuple[float, float, str, bool]:
    """(seconds, peak RSS in MiB, stdout, timed out) of a child process, killed after `timeout_s`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    timer = threading.Timer(timeout_s, process.kill)
    timer.start()
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output, killed


def _bomb_child(rows: int) -> None:
    from thoth.shared.index import open_version
    from thoth.shared.storage import LocalObjectStore

    with tempfile.TemporaryDirectory(prefix="thoth-bomb-") as work:
        store = LocalObjectStore(Path(work) / "objects")
        manifest = write_manifest_bomb(store, "bomb", "v1", rows)
        try:
            index = open_version(store, "bomb", "v1", Path(work) / "cache")
            vectors = index.vectors
            outcome = f"loaded {vectors.shape[0]:,} rows ({vectors.nbytes / MIB:,.0f} MiB of vectors)"
        except ThothError as exc:
            outcome = f"refused: {str(exc)[:110]}"
        print(json.dumps({"index_bytes": manifest.files["index.bin"]["bytes"], "outcome": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description="time and peak memory of hostile inputs, a process each")
    parser.add_argument("--rows", type=int, default=300_000, help="rows the manifest bomb declares")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a case is stopped")
    parser.add_argument("--bomb-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bomb_child is not None:
        _bomb_child(args.bomb_child)
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    print(f"hostile inputs: a fresh process each, stopped after {args.timeout:.0f} s")
    seconds, peak, output, killed = _measured(
        [sys.executable, "-m", "tools.bench.hostile", "--bomb-child", str(args.rows)], env, args.timeout
    )
    result = json.loads(output.strip().splitlines()[-1]) if output.strip() and not killed else {}
    print(
        f"  manifest bomb, {args.rows:,} rows in {result.get('index_bytes', 0):,} B of index.bin: "
        f"{seconds:6.2f} s, peak RSS {peak:6.0f} MiB; {result.get('outcome', 'stopped')}"
    )
    with tempfile.TemporaryDirectory(prefix="thoth-chain-") as work:
        site = Path(work) / "site"
        write_include_chain_site(site)
        home_env = {**env, "THOTH_HOME": str(Path(work) / "home")}
        command = [sys.executable, "-m", "thoth.refresh_service", str(site), "--name", "chains", "--json"]
        seconds, peak, output, killed = _measured(command, home_env, args.timeout)
    report = json.loads(output.strip().splitlines()[-1]) if output.strip() and not killed else {}
    outcome = (
        f"{report.get('status')}, {report.get('files_total')} files, "
        f"skipped {[s.get('path') for s in report.get('skipped', [])]}"
        if report
        else "stopped"
    )
    print(f"  include chains, 20 pages (refresh CLI): {seconds:6.2f} s, peak RSS {peak:5.0f} MiB; {outcome}")


if __name__ == "__main__":
    main()
