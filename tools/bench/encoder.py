"""Encoder benchmark: what another embedding model costs in layer bytes, query latency and refresh time.

Measures the packaged all-MiniLM-L6-v2 and a randomly initialised BERT with the shape of
BAAI/bge-small-en-v1.5 and Snowflake/snowflake-arctic-embed-s (12 layers, 384 wide, 12 heads,
1,536 intermediate, the 30,522-word uncased vocabulary, 512 tokens, CLS pooling and their query
prompt), built here because nothing is downloaded. Random weights have the real models' bytes and
arithmetic, so sizes and timings carry over; answer quality does not (see the README). Also
`--model DIR` for any sentence-transformers directory at hand.

Usage: python -m tools.bench.encoder [--model DIR ...] [--queries 200]   (from the repository root)
Figures are printed side by side; nothing is asserted. Work files live in build/bench-encoder/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from thoth.shared.model import EmbeddingModel, configured, read_model
from tools.build import artifact, encoder_export
from tools.paths import BUILD

WORK = BUILD / "bench-encoder"
MB = 1_000_000
ROUNDS = 3
BGE_QUERY_PROMPT = "Represent this sentence for searching relevant passages: "
QUERIES = (
    "how do I request time off",
    "What is the on-call rotation for incidents?",
    "expense reimbursement policy for travel and conferences abroad",
    "merge request review guidelines",
    "security vulnerability disclosure process",
)
PASSAGE = (
    "Team members who travel for work book through the company travel tool, keep receipts for every "
    "expense above 25 dollars and file a reimbursement request within 30 days of returning. "
) * 4  # about 150 tokens: a typical chunk


def small_twelve_layer(out: Path) -> Path:
    """A random BERT shaped like bge-small-en-v1.5 / arctic-embed-s, saved as a sentence-transformers dir."""
    if (out / "modules.json").is_file():
        return out
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    minilm = configured().directory  # the same uncased WordPiece vocabulary
    bert = out.with_name(out.name + "-bert")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=1536, max_position_embeddings=512,
    )  # fmt: skip
    BertModel(config).save_pretrained(bert)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(minilm / name, bert / name)
    modules = [Transformer(str(bert), max_seq_length=512), Pooling(384, pooling_mode="cls"), Normalize()]
    model = SentenceTransformer(modules=modules, prompts={"query": BGE_QUERY_PROMPT}, device="cpu")
    model.save(str(out))
    shutil.rmtree(bert)
    return out


def params(spec: EmbeddingModel) -> int:
    """The model's parameter count, from the safetensors header (no weights loaded)."""
    from safetensors import safe_open

    total = 0
    with safe_open(str(spec.transformer_dir / "model.safetensors"), "np") as weights:
        for key in weights.keys():  # noqa: SIM118 (safe_open is not a mapping)
            count = 1
            for size in weights.get_slice(key).get_shape():
                count *= int(size)
            total += count
    return total


def measure(name: str, spec: EmbeddingModel, queries: int) -> dict[str, Any]:
    """Export (cached), then layer bytes, session load, warm query latency and refresh throughput."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from thoth.mcp_server.search.encoder import QueryEncoder

    out = encoder_export.build(WORK / f"encoder-{name}", spec=spec)
    zipped = WORK / f"{name}.zip"
    artifact.write_zip([(f"thoth-encoder/{n}", out / n) for n in encoder_export.ARTIFACTS], zipped)
    started = time.perf_counter()
    encoder = QueryEncoder(out)
    load_ms = (time.perf_counter() - started) * 1000
    for query in QUERIES:
        encoder.encode(query)  # warm up
    # The best of several rounds: on a shared machine the other processes only ever add time.
    rounds = []
    for _ in range(ROUNDS):
        timings = []
        for i in range(queries):
            started = time.perf_counter()
            encoder.encode(QUERIES[i % len(QUERIES)])
            timings.append((time.perf_counter() - started) * 1000)
        rounds.append((statistics.median(timings), statistics.quantiles(timings, n=20)[18]))
    p50, p95 = min(rounds)
    model = SentenceTransformer(str(spec.directory), device="cpu", local_files_only=True)
    passages = [PASSAGE] * 32
    model.encode(passages[:8], prompt=spec.passage_prefix)
    per_s = 0.0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        vectors = model.encode(passages, prompt=spec.passage_prefix, batch_size=32, normalize_embeddings=True)
        per_s = max(per_s, len(passages) / (time.perf_counter() - started))
        assert np.isfinite(vectors).all()
    return {
        "params_m": params(spec) / 1e6,
        "unzipped_mb": sum((out / n).stat().st_size for n in encoder_export.ARTIFACTS) / MB,
        "zipped_mb": zipped.stat().st_size / MB,
        "load_ms": load_ms,
        "p50_ms": p50,
        "p95_ms": p95,
        "chunks_per_s": per_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", default=[], help="also measure this directory")
    parser.add_argument("--queries", type=int, default=200, help="queries per round (best of 3 rounds)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    WORK.mkdir(parents=True, exist_ok=True)
    models = {
        "all-MiniLM-L6-v2": configured(),
        "12x384-random (bge-small / arctic-s shape)": read_model(small_twelve_layer(WORK / "small-12l")),
        **{path.name: read_model(path) for path in args.model},
    }
    rows = {name: measure(f"m{i}", spec, args.queries) for i, (name, spec) in enumerate(models.items())}
    print(f"\nencoder bench ({os.cpu_count()} cores, one intra-op thread per query as on Lambda)")
    header = "model | params | encoder layer zipped / unzipped | session load | query p50 / p95 | refresh"
    print(header + "\n" + " | ".join("---" for _ in header.split(" | ")))
    for name, r in rows.items():
        print(
            f"{name} | {r['params_m']:.1f} M | {r['zipped_mb']:.1f} / {r['unzipped_mb']:.1f} MB | "
            f"{r['load_ms']:.0f} ms | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} ms | "
            f"{r['chunks_per_s']:.0f} chunks/s (150 tokens, batch 32)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
