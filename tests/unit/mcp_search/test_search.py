"""Ranking pieces without I/O: top-k, reciprocal-rank fusion, snippets and page grouping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from thoth.mcp_server.search import fusion, snippets
from thoth.mcp_server.search import ranking as search
from thoth.shared.index import Chunk, KeywordIndex, LoadedIndex, Manifest, ModelInfo


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


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="abcdefgh xyz.\n", max_size=2000),
    query=st.text(alphabet="abcdefgh ", max_size=30),
    sizes=st.lists(st.integers(1, 600), min_size=1, max_size=4),
)
def test_a_snippable_cut_again_equals_a_fresh_one(text: str, query: str, sizes: list[int]) -> None:
    # search_handbook cuts the same results again, smaller: what the first cut cached must not leak
    prepared = snippets.Snippable(text, query)
    assert [prepared.cut(n) for n in sizes] == [snippets.Snippable(text, query).cut(n) for n in sizes]
    assert all(len(prepared.cut(n)) <= n for n in sizes)


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
    # The query vector is chunk 4's: chunk 2 wins on keywords, chunk 4 on vectors; with equal
    # weights (plain RRF) both lead.
    query = vectors[4].astype(np.float32)
    hits = search.search([prepared], "parental leave", query, limit=3, config=fusion.PLAIN_RRF)
    assert {h.chunk.id for h in hits[:2]} == {"c2", "c4"}
    assert all(0 < h.score <= 1 for h in hits) and hits[0].score >= hits[-1].score
    # The default: BM25 at half the vector's weight, each min-max normalised over its candidates, and
    # 0.75 times the share of the query's IDF mass a chunk holds (chunk 2 holds all of it).
    hits = search.search([prepared], "parental leave", query, limit=6, pages=False)
    cosine = vectors @ query
    normalised = (cosine - cosine.min()) / (cosine.max() - cosine.min())
    expected = normalised + (0.5 + 0.75) * (np.arange(6) == 2)  # only chunk 2 has the terms
    assert [h.chunk.id for h in hits] == [f"c{i}" for i in np.argsort(-expected, kind="stable")]
    assert [h.score for h in hits] == pytest.approx(sorted(expected / 2.25, reverse=True), abs=1e-4)
    only = search.search([prepared], "parental leave", vectors[4].astype(np.float32), 5, path_prefix="p4")
    assert [h.chunk.id for h in only] == ["c4"]
    assert search.search([prepared], "x", vectors[0].astype(np.float32), 5, path_prefix="nope/") == []


def test_snippets_skip_a_leading_heading_line() -> None:
    _without_heading_line = snippets.without_heading_line

    assert _without_heading_line("## Compensation\nWeekly allowance") == "Weekly allowance"
    assert _without_heading_line("# Only a heading") == "# Only a heading"
    assert _without_heading_line("Plain text\n## Later") == "Plain text\n## Later"


def test_snippet_starts_at_the_sentence_that_answers() -> None:
    text = (
        "Bun is fast. It starts quickly and ships many tools. "
        "Each tool has its own page with examples and options.\n"
        "- Caches DNS entries for 30 seconds by default.\n"
        "- To change the TTL, set BUN_CONFIG_DNS_TIME_TO_LIVE_SECONDS before starting.\n"
        "```sh\nBUN_CONFIG_DNS_TIME_TO_LIVE_SECONDS=5 bun run app.ts\n```\n"
        "More unrelated words follow here, about other features entirely and nothing else. " * 3
    )
    got = snippets.snippet(text, "how long are dns entries cached", 160)
    assert got.startswith("…- Caches DNS entries for 30 seconds"), got  # the list item, marker kept
    assert len(got) <= 160 and got.endswith("…")
    assert "```" not in snippets.snippet(text, "change the ttl", 400)  # fence lines are markup


def test_snippet_without_a_match_reads_from_the_start() -> None:
    text = "First sentence here. " + "Second sentence follows. " * 30
    got = snippets.snippet(text, "zebra", 80)
    assert got.startswith("First sentence here.") and got.endswith("…") and len(got) <= 80


def test_snippet_matches_word_stems() -> None:
    text = (
        "Unrelated opening words. " * 8
        + "Installing packages offline works with a warm cache. "
        + "Tail. " * 20
    )
    assert "Installing packages offline" in snippets.snippet(text, "install offline", 120)


def _two_pages() -> search.Prepared:
    chunks = [_chunk(i, "big.md", i * 10 + 1, f"alpha alpha part {i}") for i in range(4)]
    chunks += [_chunk(4, "small.md", 1, "alpha once"), _chunk(5, "other.md", 1, "beta")]
    vectors = np.tile(np.eye(6)[0], (6, 1)) + np.eye(6) * 0.01
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return search.prepare(_loaded(chunks, vectors))


def test_search_spreads_the_first_results_over_pages() -> None:
    prepared = _two_pages()
    query = np.eye(6, dtype=np.float32)[0]
    spread = search.search([prepared], "alpha", query, limit=6)
    scored = search.search([prepared], "alpha", query, limit=6, pages=False)
    assert [h.chunk.path for h in scored[:4]] == ["big.md"] * 4
    # One of big.md, then the other pages; the window's rest goes back to big.md (nothing else left).
    assert [h.chunk.path for h in spread[:5]] == ["big.md", "small.md", "other.md", "big.md", "big.md"]
    assert {h.chunk.id for h in spread} == {h.chunk.id for h in scored}
    two = search.search([prepared], "alpha", query, limit=6, config=fusion.PLAIN_RRF)
    assert [h.chunk.path for h in two[:5]] == ["big.md", "big.md", "small.md", "other.md", "big.md"]


def test_search_weighs_the_head_field_and_uses_page_vectors_when_present() -> None:
    from dataclasses import replace

    chunks = [_chunk(i, f"p{i}.md", 1, f"gamma {'filler ' * 30}") for i in range(3)]
    chunks.append(replace(_chunk(3, "p3.md", 1, "filler " * 30), title="gamma"))  # the term in the head only
    chunks.append(_chunk(4, "p4.md", 1, "unrelated"))
    vectors = np.eye(5, dtype=np.float32)
    prepared = search.prepare(_loaded(chunks, vectors))
    query = np.full(5, 0.2, dtype=np.float32)  # every chunk equally close: keywords decide
    head_first = fusion.RankingConfig(head_weight=5.0, page_weight=0.0)
    body_only = fusion.RankingConfig(head_weight=0.0, page_weight=0.0)
    assert search.search([prepared], "gamma", query, 1, config=head_first)[0].chunk.id == "c3"
    assert "c3" not in {h.chunk.id for h in search.search([prepared], "gamma", query, 3, config=body_only)}
    # Page vectors (aligned with the page table): a page whose title vector matches lifts its chunks.
    page_vectors = np.zeros((5, 5), dtype=np.float32)
    page_vectors[prepared.page_paths.index("p4.md"), 0] = 1.0
    with_pages = replace(prepared, index=replace(prepared.index, page_vectors=page_vectors))
    config = fusion.RankingConfig(page_weight=2.0, vector_weight=0.1, keyword_weight=0.1)
    hits = search.search([with_pages], "nothing", np.eye(5, dtype=np.float32)[0], limit=2, config=config)
    assert hits[0].chunk.path == "p4.md"
    without = search.search([prepared], "nothing", np.eye(5, dtype=np.float32)[0], limit=1, config=config)
    assert without[0].chunk.path == "p0.md"  # no page vectors in the version: the chunk vector decides


def test_feedback_terms_are_what_the_first_results_share() -> None:
    docs = ["ttl cache dns seconds", "dns cache resolver ttl", "cache warm install", "unrelated words"]
    keywords = KeywordIndex.build(docs)  # plain strings: body fields
    texts = ["dns cache ttl ttl seconds", "dns cache ttl resolver"]
    got = search.feedback_terms(keywords, texts, ["dns"], 2)
    assert got == ["ttl", "cache"]  # shared by both, most frequent; the query's own term is left out
    assert "seconds" not in search.feedback_terms(keywords, texts, ["dns"], 5)  # in one text only
    assert search.feedback_terms(keywords, texts, [], 0) == []
    assert search.feedback_terms(keywords, ["zebra zebra"], [], 3) == []  # not in the vocabulary


def test_feedback_expands_the_keyword_ranking() -> None:
    prepared = _two_pages()
    query = np.eye(6, dtype=np.float32)[3]
    config = search.RankingConfig(prf_terms=2, prf_docs=2)
    hits = search.search([prepared], "part", query, limit=6, config=config)
    assert hits and all(0 <= h.score <= 1 for h in hits)
    with pytest.raises(ValueError, match="prf"):
        search.RankingConfig(prf_terms=-1)


def test_snippet_drops_fences_and_mdx_components() -> None:
    text = (
        '<Warning>Experimental.</Warning>\n```ts\nprefetch("bun.com", 443);\n```\n'
        '<Tab title="CLI">\nrun it\n</Tab>'
    )
    assert snippets.snippet(text, "prefetch", 400) == 'Experimental. prefetch("bun.com", 443); run it'


def test_sections_moved_down_by_the_page_cap_stay_linked() -> None:
    from dataclasses import replace

    base = _two_pages()
    chunks = [replace(base.index.chunks[i], url=f"https://x/big.md#part-{i}") for i in range(4)]
    chunks += [base.index.chunks[4], base.index.chunks[5]]
    prepared = search.prepare(_loaded(chunks, np.asarray(base.index.vectors)))
    query = np.eye(6, dtype=np.float32)[0]
    hits = search.search([prepared], "alpha", query, limit=4, config=fusion.PLAIN_RRF)
    assert [h.chunk.path for h in hits] == ["big.md", "big.md", "small.md", "other.md"]
    linked = [c.url for h in hits for c in h.also]
    assert sorted(linked) == ["https://x/big.md#part-2", "https://x/big.md#part-3"]
    assert hits[0].also and not hits[1].also  # on the page's first result, once
    one = search.search([prepared], "alpha", query, limit=3)  # the default: one result a page
    assert [h.chunk.path for h in one] == ["big.md", "small.md", "other.md"]
    assert [c.url for c in one[0].also] == [f"https://x/big.md#part-{i}" for i in (1, 2, 3)]
    assert all(not h.also for h in search.search([prepared], "alpha", query, limit=4, pages=False))
