"""Vector-side ranking candidates on the TUNE splits only: `python -m tools.bench.quality_probe KIND VALUES`.

What `quality_grid` cannot express because it is not a RankingConfig field: a different chunk
cosine. Each candidate replaces the vector signal of `ranking._signals` (the default ranking keeps
every other signal) and is scored like the grid's variants (tune-split MRR@5/R@1 per corpus and
macro, p50 of `ranking.search`). Extra vectors are embedded with the refresh's embedder and cached
in build/bench-quality/probe/. Held-back questions are never asked.

  windows SIZExSTRIDE:BLEND,...  several vectors a chunk: windows of about SIZE wordpieces every
                                 STRIDE (each with the chunk's title and headings); the cosine is
                                 BLEND x the chunk's + (1 - BLEND) x its best window's
  headings WEIGHT,...            a vector of "title > heading path" per section, fused as a signal
                                 at WEIGHT x the vector weight
  prf K:BETA,...                 the query vector plus BETA x the mean of its K nearest chunks
  length WORDS:PENALTY,...       the cosine of a chunk under WORDS words scaled down by up to PENALTY
  bm25 K1:B,...                  BM25's k1 and b (the default 1.2:0.75; not a vector-side change, but
                                 not a RankingConfig field either: the keyword module's constants)
  chunks TARGET:OVERLAP          chunks of TARGET tokens with OVERLAP (the default 200:32), every
                                 corpus chunked and embedded again into build/bench-quality/
                                 home-chunks-TARGET-OVERLAP/ (one value a run; minutes per corpus)

Example: `python -m tools.bench.quality_probe windows 96x64:0.5 96x64:0.7 48x32:0.5`.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tools.bench.quality import RankingTimer
from tools.bench.quality_corpora import WORK
from tools.bench.quality_grid import Found, header, score, tune_split

Vector = npt.NDArray[np.float32]
Patch = Callable[[Any, Vector, Any, Any], None]  # (prepared, query vector, rows, signals) -> None
WORDPIECES_PER_WORD = 1.3  # English prose through all-MiniLM-L6-v2's tokenizer, about


class Probe:
    """Per-source arrays a candidate needs, computed once per run (embeddings cached on disk)."""

    def __init__(self) -> None:
        self.embedder: Any = None
        self.memo: dict[tuple[str, str], Any] = {}

    def chunks(self, prepared: Any) -> list[Any]:
        key = (prepared.source, "chunks")
        if key not in self.memo:
            self.memo[key] = prepared.index.chunks_at(list(range(prepared.index.vectors.shape[0])))
        return list(self.memo[key])

    def embed(self, name: str, texts: list[str], dimension: int) -> Vector:
        if not texts:  # e.g. no chunk longer than one window
            return np.zeros((0, dimension), dtype=np.float32)
        digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
        path = WORK / "probe" / f"{name}-{digest}.npy"
        if path.is_file():
            return np.load(path)  # type: ignore[no-any-return]
        if self.embedder is None:
            from thoth.refresh_service.embed import SentenceTransformerEmbedder

            self.embedder = SentenceTransformerEmbedder()
        vectors = np.asarray(self.embedder.encode(texts), dtype=np.float32).reshape(len(texts), -1)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    def windows(self, prepared: Any, size: int, stride: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        """Window vectors of every chunk longer than one window, and the row each belongs to."""
        key = (prepared.source, f"windows{size}x{stride}")
        if key not in self.memo:
            from thoth.refresh_service.chunk import embed_text

            words_per, step = int(size / WORDPIECES_PER_WORD), max(1, int(stride / WORDPIECES_PER_WORD))
            texts, owners = [], []
            for row, chunk in enumerate(self.chunks(prepared)):
                words = chunk.text.split()
                if len(words) <= words_per:
                    continue
                description = chunk.meta.get("description")
                about = description if isinstance(description, str) else None
                context = embed_text(chunk.title, chunk.heading_path, "", about).rstrip()
                for start in range(0, len(words), step):
                    texts.append(f"{context}\n\n{' '.join(words[start : start + words_per])}")
                    owners.append(row)
                    if start + words_per >= len(words):
                        break
            name = f"{prepared.source}-windows{size}x{stride}"
            dimension = prepared.index.vectors.shape[1]
            self.memo[key] = (self.embed(name, texts, dimension), np.asarray(owners, dtype=np.int64))
        return self.memo[key]  # type: ignore[no-any-return]

    def headings(self, prepared: Any) -> tuple[Vector, npt.NDArray[np.int64]]:
        key = (prepared.source, "headings")
        if key not in self.memo:
            trails = [
                " > ".join([c.title, *(h for h in c.heading_path if h != c.title)])
                for c in self.chunks(prepared)
            ]
            unique = sorted(set(trails))
            at = {t: i for i, t in enumerate(unique)}
            vectors = self.embed(f"{prepared.source}-headings", unique, prepared.index.vectors.shape[1])
            self.memo[key] = (vectors, np.asarray([at[t] for t in trails], dtype=np.int64))
        return self.memo[key]  # type: ignore[no-any-return]

    def words(self, prepared: Any) -> Vector:
        key = (prepared.source, "words")
        if key not in self.memo:
            self.memo[key] = np.asarray(
                [len(c.text.split()) for c in self.chunks(prepared)], dtype=np.float32
            )
        return self.memo[key]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class BM25:
    """BM25's constants for a run (run() sets them before searching; the signals need no patch)."""

    k1: float
    b: float

    def __call__(self, prepared: Any, query: Vector, rows: Any, signals: Any) -> None:
        return None


def _rows(values: Any, rows: Any) -> Any:
    return values if rows is None else values[rows]


def candidate(kind: str, spec: str, probe: Probe) -> Patch:
    """The patch one `KIND SPEC` names; SystemExit on a malformed spec."""
    try:
        if kind == "windows":
            shape, _, blend_text = spec.partition(":")
            size, _, stride = shape.partition("x")
            size_n, stride_n, blend = int(size), int(stride or size), float(blend_text)

            def windows(prepared: Any, query: Vector, rows: Any, signals: Any) -> None:
                vectors, owners = probe.windows(prepared, size_n, stride_n)
                chunk = np.asarray(prepared.index.vectors @ query, dtype=np.float32)
                best = chunk.copy()
                np.maximum.at(best, owners, np.asarray(vectors @ query, dtype=np.float32))
                signals.scores[1] = _rows(blend * chunk + (1 - blend) * best, rows)

            return windows
        if kind == "headings":
            weight = float(spec)

            def headings(prepared: Any, query: Vector, rows: Any, signals: Any) -> None:
                vectors, owner = probe.headings(prepared)
                signals.scores.append(_rows(np.asarray(vectors @ query, dtype=np.float32)[owner], rows))
                signals.weights.append(weight * signals.weights[1])

            return headings
        if kind == "prf":
            k_text, _, beta_text = spec.partition(":")
            k, beta = int(k_text), float(beta_text)

            def prf(prepared: Any, query: Vector, rows: Any, signals: Any) -> None:
                vectors = _rows(prepared.index.vectors, rows)
                nearest = np.argsort(-signals.scores[1])[:k]
                moved = query + beta * vectors[nearest].mean(axis=0)
                moved = moved / np.linalg.norm(moved)
                signals.scores[1] = np.asarray(vectors @ moved.astype(np.float32), dtype=np.float32)

            return prf
        if kind == "bm25":
            k1_text, _, b_text = spec.partition(":")
            k1, b = float(k1_text), float(b_text)
            if k1 <= 0 or not 0 <= b <= 1:
                raise SystemExit(f"bm25 {spec!r}: k1 above 0, b from 0 to 1")

            return BM25(k1, b)
        if kind == "length":
            words_text, _, penalty_text = spec.partition(":")
            floor, penalty = float(words_text), float(penalty_text)

            def length(prepared: Any, query: Vector, rows: Any, signals: Any) -> None:
                short = np.clip(1 - _rows(probe.words(prepared), rows) / floor, 0, 1)
                signals.scores[1] = (signals.scores[1] * (1 - penalty * short)).astype(np.float32)

            return length
    except ValueError:
        raise SystemExit(f"malformed {kind} value {spec!r} (see --help)") from None
    raise SystemExit(f"unknown kind {kind!r}: windows, headings, prf, length or bm25")


def run(kind: str, specs: list[str], found: Found) -> list[str]:
    from thoth.mcp_server.search import ranking

    probe = Probe()
    real = ranking._signals
    active: list[Patch] = []

    def patched(prepared: Any, query: str, terms: Any, vector: Vector, rows: Any, config: Any) -> Any:
        signals = real(prepared, query, terms, vector, rows, config)
        for patch in active:
            patch(prepared, vector, rows, signals)
        return signals

    from thoth.shared.index import keyword

    ranking._signals = patched  # type: ignore[assignment]
    defaults = (keyword.K1, keyword.B)
    with RankingTimer() as timer:
        lines = [header(found), score("default", found, timer)]
        print("\n".join(lines), flush=True)
        for spec in specs:
            active[:] = [candidate(kind, spec, probe)]
            keyword.K1, keyword.B = (active[0].k1, active[0].b) if isinstance(active[0], BM25) else defaults
            lines.append(score(f"{kind} {spec}", found, timer))
            print(lines[-1], flush=True)
    keyword.K1, keyword.B = defaults
    ranking._signals = real
    return lines


def chunk_settings(spec: str) -> Any:
    """ChunkSettings from `TARGET:OVERLAP`; SystemExit on a malformed one."""
    from thoth.refresh_service.chunk import ChunkSettings

    target, _, overlap = spec.partition(":")
    try:
        settings = ChunkSettings(target_tokens=int(target), overlap_tokens=int(overlap))
    except ValueError:
        raise SystemExit(f"malformed chunks value {spec!r}: TARGET:OVERLAP, e.g. 200:32") from None
    if not 16 <= settings.target_tokens <= 2000 or not 0 <= settings.overlap_tokens < settings.target_tokens:
        raise SystemExit(f"chunks {spec!r}: TARGET from 16 to 2000 tokens, OVERLAP from 0 to below TARGET")
    return settings


def rechunked(spec: str, corpora: str | None, only: str | None) -> list[str]:
    """Every corpus chunked by `spec` into a home of its own, then the default ranking on its tune split."""
    from tools.bench.quality import ensure_encoder, environment, index
    from tools.bench.quality_corpora import CORPORA, corpora_dir

    settings = chunk_settings(spec)
    home = WORK / f"home-chunks-{settings.target_tokens}-{settings.overlap_tokens}"
    home.mkdir(parents=True, exist_ok=True)
    folder = corpora_dir(corpora)
    environment(home)
    ensure_encoder()
    from thoth.refresh_service.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    wanted = only.split(",") if only else [c.name for c in CORPORA]
    for corpus in (c for c in CORPORA if c.name in wanted):
        root = corpus.locate(folder)
        if root is not None:
            index(corpus, root, home, embedder, settings)
    found = tune_split(corpora, only, home)
    with RankingTimer() as timer:
        lines = [header(found), score(f"chunks {spec}", found, timer)]
    print("\n".join(lines), flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("kind", choices=("windows", "headings", "prf", "length", "bm25", "chunks"))
    parser.add_argument("values", nargs="+", help="one candidate each (see below)")
    parser.add_argument("--corpora", help="folder holding the cloned 18F handbook and Docsy (README)")
    parser.add_argument("--only", help="comma-separated corpora (default: every one found)")
    args = parser.parse_args(argv)
    if args.kind == "chunks":
        if len(args.values) != 1:
            raise SystemExit("chunks takes one TARGET:OVERLAP a run (each is a separate index)")
        rechunked(args.values[0], args.corpora, args.only)
        return 0
    for spec in args.values:
        candidate(args.kind, spec, Probe())  # refuse a malformed value before any work
    run(args.kind, args.values, tune_split(args.corpora, args.only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
