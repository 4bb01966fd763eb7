"""Page vectors: one embedding per page of what the page is about (its title and description).

The MCP server fuses the query's cosine with a page's vector into each of its chunks' scores
(the answer-quality benchmark, `nox -s bench -- quality`, chose the weight). Keyed by the hash
of the embedded text in the same embedding cache as chunks, so an unchanged page is not embedded
again, and seeded from the live version like chunk vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np

from thoth.shared.index import Chunk


def page_text(chunk: Chunk) -> str:
    """What a page vector embeds: the page's title and description (its first chunk carries both)."""
    description = chunk.meta.get("description") if isinstance(chunk.meta, dict) else None
    return chunk.title + (f"\n\n{description}" if isinstance(description, str) and description else "")


def text_hash(text: str) -> str:
    # A prefix keeps page keys apart from chunk keys in the shared cache (same digest length).
    return "page:" + hashlib.sha256(text.encode()).hexdigest()[:27]


def page_texts(chunks: Sequence[Chunk]) -> dict[str, tuple[str, str]]:
    """path -> (cache key, text) from each page's first chunk by line."""
    first: dict[str, Chunk] = {}
    for chunk in chunks:
        seen = first.get(chunk.path)
        if seen is None or chunk.line_start < seen.line_start:
            first[chunk.path] = chunk
    texts = {path: page_text(chunk) for path, chunk in first.items()}
    return {path: (text_hash(text), text) for path, text in texts.items()}


def seed_pairs(
    chunks: Sequence[Chunk], paths: Sequence[str], vectors: np.ndarray | None
) -> tuple[list[str], np.ndarray] | None:
    """(keys, vectors) of a published version's page vectors, aligned with its page table."""
    if vectors is None or len(paths) != len(vectors):
        return None
    texts = page_texts(chunks)
    keep = [i for i, path in enumerate(paths) if path in texts]
    return [texts[paths[i]][0] for i in keep], np.asarray(vectors[keep], dtype=np.float32)


def assemble(
    texts: Mapping[str, tuple[str, str]], vectors: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """path -> vector for every page whose key has a vector."""
    return {path: vectors[key] for path, (key, _) in texts.items() if key in vectors}
