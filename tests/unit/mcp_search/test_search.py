"""Ranking pieces without I/O: top-k, reciprocal-rank fusion, snippets and page grouping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from thoth.mcp_server.search import ranking as search
from thoth.mcp_server.search import snippets
from thoth.shared.index import Chunk, LoadedIndex, Manifest, ModelInfo


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = search.rrf([[7, 3, 5], [3, 9]], k=60)
    assert fused[3] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[7] == pytest.approx(1 / 61)
    assert fused[9] == pytest.approx(1 / 62)
    assert max(fused, key=lambda d: fused[d]) == 3  # second and first beats first alone
    assert search.rrf([]) == {}


@settings(max_examples=200, deadline=None)
@given(
    scores=hnp.arrays(np.float32, st.integers(0, 300), elements=st.floats(-5, 5, width=32)),
    k=st.integers(1, 60),
    positive=st.booleans(),
)
def test_top_k_matches_a_full_sort(scores: np.ndarray, k: int, positive: bool) -> None:
    got = search.top_k(scores, k, positive_only=positive)
    pool = [i for i in range(len(scores)) if not positive or scores[i] > 0]
    expected = sorted(pool, key=lambda i: (-scores[i], i))[:k]
    assert [float(scores[i]) for i in got] == [float(scores[i]) for i in expected]
    assert len(set(got.tolist())) == len(got)


WORDS = st.text(alphabet="abcdefgh xyz\n\t", max_size=3000)


@settings(max_examples=300, deadline=None)
@given(text=WORDS, query=st.text(alphabet="abcdefgh ", max_size=30), limit=st.integers(1, 600))
def test_snippet_is_bounded(text: str, query: str, limit: int) -> None:
    got = snippets.snippet(text, query, limit)
    assert len(got) <= limit
    flat = " ".join(text.split())
    if len(flat) <= limit:
        assert got == flat


def test_snippet_centres_on_the_query_term() -> None:
    text = "intro " * 200 + "the refund deadline is thirty days " + "outro " * 200
    got = snippets.snippet(text, "refund deadline", 120)
    assert "refund deadline" in got
    assert got.startswith("…") and got.endswith("…") and len(got) <= 120


def _chunk(i: int, path: str, line: int, text: str) -> Chunk:
    return Chunk(
        id=f"c{i}", source="s", path=path, title=path, heading_path=[path], url=f"https://x/{path}",
        line_start=line, line_end=line + 1, text=text, content_hash=str(i),
    )  # fmt: skip


def _loaded(chunks: list[Chunk], vectors: np.ndarray) -> LoadedIndex:
    manifest = Manifest(
        source="s", version="v1", model=ModelInfo("m", vectors.shape[1], "fp"), chunk_count=len(chunks),
        commit=None, created_at="2026-01-01T00:00:00+00:00", builder_version="t", files={},
    )  # fmt: skip
    return LoadedIndex.from_chunks(manifest, chunks, vectors.astype(np.float32))


def test_pages_group_rows_in_line_order_and_prefixes_select_them() -> None:
    chunks = [
        _chunk(0, "b/two.md", 9, "beta later"),
        _chunk(1, "a/one.md", 1, "alpha"),
        _chunk(2, "b/two.md", 1, "beta first"),
        _chunk(3, "b/three.md", 1, "gamma"),
        _chunk(4, "ba/x.md", 1, "not under b/"),
    ]
    prepared = search.prepare(_loaded(chunks, np.eye(5)))
    assert prepared.page_paths == ["a/one.md", "b/three.md", "b/two.md", "ba/x.md"]
    assert [c.line_start for c in prepared.page("b/two.md")] == [1, 9]
    assert prepared.page("missing.md") == []
    rows = prepared.rows_under("b/")
    assert rows is not None and sorted(rows.tolist()) == [0, 2, 3]
    assert prepared.rows_under(None) is None
    empty = prepared.rows_under("zzz/")
    assert empty is not None and empty.size == 0


def test_search_fuses_keyword_and_vector_evidence() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [_chunk(i, f"p{i}.md", 1, f"filler words number {i}") for i in range(6)]
    chunks[2] = _chunk(2, "p2.md", 1, "parental leave policy")
    prepared = search.prepare(_loaded(chunks, vectors))
    # The query vector is chunk 4's: chunk 2 wins on keywords, chunk 4 on vectors; both lead.
    hits = search.search([prepared], "parental leave", vectors[4].astype(np.float32), limit=3)
    assert {h.chunk.id for h in hits[:2]} == {"c2", "c4"}
    assert all(0 < h.score <= 1 for h in hits) and hits[0].score >= hits[-1].score
    only = search.search([prepared], "parental leave", vectors[4].astype(np.float32), 5, path_prefix="p4")
    assert [h.chunk.id for h in only] == ["c4"]
    assert search.search([prepared], "x", vectors[0].astype(np.float32), 5, path_prefix="nope/") == []


def test_snippets_skip_a_leading_heading_line() -> None:
    _without_heading_line = snippets.without_heading_line

    assert _without_heading_line("## Compensation\nWeekly allowance") == "Weekly allowance"
    assert _without_heading_line("# Only a heading") == "# Only a heading"
    assert _without_heading_line("Plain text\n## Later") == "Plain text\n## Later"
