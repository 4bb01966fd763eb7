"""Issue 20 regressions: include chains, include bombs and oversized or binary includes cost a page
bounded work; NUL bytes anywhere keep a file out; the chunker's block loops tick the budget."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from thoth.refresh_service import chunk as chunk_module
from thoth.refresh_service.chunk import Block, ChunkSettings, chunk_document, markdown_blocks
from thoth.refresh_service.markup import Budget, BudgetExceeded, ParseError, Site, parse_document
from thoth.refresh_service.markup.blocks import RawBlock
from thoth.refresh_service.markup.includes import MAX_INCLUDES_PER_PAGE
from thoth.refresh_service.markup.transform import clean


def counting_site(files: dict[str, bytes], sizes: dict[str, int] | None = None) -> tuple[Site, Counter[str]]:
    reads: Counter[str] = Counter()

    def read(path: str) -> bytes:
        reads[path] += 1
        return files[path]

    site = Site(files={p: f"sha256:{i}" for i, p in enumerate(files)}, read=read)
    site.sizes = sizes or {p: len(d) for p, d in files.items()}
    return site, reads


def test_a_self_including_chain_is_cleaned_once_per_file() -> None:
    # Issue 20's shape: 12 includes a level, ten levels, a self-include at the bottom. Before, a cut
    # include was never cached and each level cleaned the next again: 12**8 cleanings.
    files = {f"assets/l{i}.md": (f'{{{{% include "l{i + 1}.md" %}}}}\n' * 12).encode() for i in range(9)}
    files["assets/l9.md"] = b'bottom {{% include "l9.md" %}}\n'
    site, reads = counting_site(files)
    budget = Budget(seconds=5.0)
    out = clean('{{% include "l0.md" %}}\n', 1, site, budget)
    assert max(reads.values()) == 1 and len(reads) == 8  # l8 and l9 are nested too deep to be read
    assert budget.includes == 1 + 12 * 8  # each include expanded once from its cached text
    assert any("assets/l8.md is nested over 8 deep" in w for w in out.warnings)


def test_include_expansions_per_page_are_capped() -> None:
    site, _ = counting_site({"assets/x.md": b"copy\n"})
    out = clean('{{% include "x.md" %}}\n' * (MAX_INCLUDES_PER_PAGE + 100), 1, site, Budget())
    assert out.text.count("copy") == MAX_INCLUDES_PER_PAGE
    assert sum("includes on one page" in w for w in out.warnings) == 1


def test_an_oversized_include_is_not_read_and_a_binary_one_is_left_out() -> None:
    site, reads = counting_site(
        {"assets/big.md": b"x", "assets/nul.md": b"text\x00more\n", "assets/ok.md": b"fine\n"},
        sizes={"assets/big.md": 512 * 1024 * 1024, "assets/nul.md": 10, "assets/ok.md": 5},
    )
    site.max_bytes = 1024 * 1024
    out = clean(
        '{{% include "big.md" %}}\n{{% include "nul.md" %}}\n{{% include "ok.md" %}}\n', 1, site, Budget()
    )
    assert reads["assets/big.md"] == 0 and "text" not in out.text and "fine" in out.text
    assert any("assets/big.md is 536870912 bytes, over the 1048576-byte limit" in w for w in out.warnings)
    assert any("assets/nul.md is a binary file (NUL bytes)" in w for w in out.warnings)


def test_nul_bytes_after_the_first_block_keep_the_file_out() -> None:
    data = b"# Title\n\n" + b"a" * 9000 + b"\n\x00hidden\n"
    with pytest.raises(ParseError, match="NUL bytes"):
        parse_document("p.md", data)


def test_the_chunkers_block_loops_tick_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # The block parse ticks on its own; what follows it (heading text and ids of every block, the
    # sections, the packing) must too, or 2 MiB of headings overruns the budget by seconds.
    blocks = [RawBlock("Heading", i, i + 1, 0, 2, "a") for i in range(20_000)]
    monkeypatch.setattr(chunk_module, "block_tokens", lambda text, budget: blocks)
    lines = ["## a\n"] * 20_000
    expired = Budget(seconds=1.0, started=time.monotonic() - 10)
    with pytest.raises(BudgetExceeded):
        markdown_blocks(list(lines), None, expired)
    sections = [Block(i, i + 1, False, 2, (2, "a"), f"a-{i}") for i in range(20_000)]
    monkeypatch.setattr(chunk_module, "markdown_blocks", lambda lines, site, budget: sections)
    doc = parse_document("p.md", b"## a\n" * 3)
    doc.lines[:] = lines
    with pytest.raises(BudgetExceeded):
        chunk_document(
            doc, source="s", url="u", commit=None, last_modified=None, settings=ChunkSettings(),
            budget=Budget(seconds=1.0, started=time.monotonic() - 10),
        )  # fmt: skip
