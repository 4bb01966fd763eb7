"""The embedding pass of a run: chunks (and page texts) whose content is not cached yet, in batches."""

from __future__ import annotations

import time

import numpy as np

from thoth.refresh_service import pages
from thoth.refresh_service.chunk import chunk_embed_text
from thoth.refresh_service.embed import Embedder, EmbeddingCache, Vectors
from thoth.refresh_service.lock import SourceLock
from thoth.refresh_service.publish import PublishError
from thoth.refresh_service.report import Meter, Progress, RunReport
from thoth.refresh_service.runs import DeadlineNear, RunOptions
from thoth.shared.index import Chunk

PAGE_BATCH = 256


def embed_chunks(
    chunks: list[Chunk],
    cache: EmbeddingCache,
    embedder: Embedder,
    options: RunOptions,
    report: RunReport,
    lock: SourceLock | None,
) -> None:
    """Embed chunks whose content hash is not cached, in batches; DeadlineNear before the deadline."""
    texts: dict[str, str] = {}
    for c in chunks:
        if c.content_hash not in cache and c.content_hash not in texts:
            texts[c.content_hash] = chunk_embed_text(c)
    # Longest first, as encode() does within a call: batches of similar length waste no padding.
    todo = sorted(texts, key=lambda h: (-len(texts[h]), h))
    meter, pending = Meter(), 0
    report.chunks_total = len(chunks)
    try:
        for start in range(0, len(todo), options.embed_batch):
            if options.remaining_s is not None and options.remaining_s() < options.reserve_s:
                raise DeadlineNear
            batch = todo[start : start + options.embed_batch]
            began = time.monotonic()
            vectors = embedder.encode([texts[h] for h in batch])
            meter.add(len(batch), time.monotonic() - began)
            cache.add(batch, vectors)
            report.chunks_embedded += len(batch)
            pending += len(batch)
            if pending >= options.flush_every:
                cache.flush()
                pending = 0
            if lock is not None and not lock.refresh():
                raise PublishError(f"lost the lock of {report.source!r} (it expired); re-run the refresh")
            if options.progress:
                done = start + len(batch)
                options.progress(
                    Progress(
                        "embed",
                        report.files_total,
                        report.files_total,
                        len(chunks),
                        done,
                        len(todo),
                        meter.rate,
                        meter.eta(len(todo) - done),
                    )
                )
        if options.remaining_s is not None and todo and options.remaining_s() < options.reserve_s:
            raise DeadlineNear
    finally:
        cache.flush()  # finished work survives a crash, a deadline or a failed publish
        report.embeddings_per_s = round(meter.rate, 2)
    embedded = set(todo)
    report.chunks_reused = sum(1 for c in chunks if c.content_hash not in embedded)


def chunk_vectors(chunks: list[Chunk], cache: EmbeddingCache, dimension: int) -> Vectors:
    """The cached vector of every chunk, in order (every one must have been embedded)."""
    if not chunks:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.stack([v for c in chunks if (v := cache.get(c.content_hash)) is not None])


def embed_pages(
    chunks: list[Chunk], cache: EmbeddingCache, embedder: Embedder, report: RunReport
) -> dict[str, Vectors]:
    """One vector per page (title + description); only pages whose text changed are embedded."""
    texts = pages.page_texts(chunks)
    todo = sorted({key: text for key, text in texts.values() if key not in cache}.items())
    for start in range(0, len(todo), PAGE_BATCH):
        batch = todo[start : start + PAGE_BATCH]
        cache.add([k for k, _ in batch], embedder.encode([t for _, t in batch]))
    cache.flush()
    report.pages_embedded = len(todo)
    return pages.assemble(texts, {key: v for key, _ in texts.values() if (v := cache.get(key)) is not None})
