"""Encoder benchmark: what another embedding model costs in layer bytes, query latency and refresh time.

Measures the packaged all-MiniLM-L6-v2 and a randomly initialised BERT with the shape of
BAAI/bge-small-en-v1.5 and Snowflake/snowflake-arctic-embed-s (12 layers, 384 wide, 12 heads,
1,536 intermediate, the 30,522-word uncased vocabulary, 512 tokens, CLS pooling and their query
prompt), built here because nothing is downloaded. Random weights have the real models' bytes and
arithmetic, so sizes and timings carry over; answer quality does not (see the README). Also
`--model DIR` for any sentence-transformers directory at hand.

Usage: python -m tools.bench.encoder [--model DIR ...] [--queries 100] [--rounds 5]   (from the repo root)
Figures are printed side by side; nothing is asserted. Work files live in build/bench-encoder/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from thoth.shared.model import EmbeddingModel, configured, read_model
from tools.build import artifact, encoder_export
from tools.paths import BUILD

WORK = BUILD / "bench-encoder"
MB = 1_000_000
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


class Measured:
    """One model: its exported encoder, sizes, and the best figures of the rounds so far."""

    def __init__(self, key: str, spec: EmbeddingModel) -> None:
        from sentence_transformers import SentenceTransformer

        from thoth.mcp_server.search.encoder import QueryEncoder

        self.spec = spec
        out = encoder_export.build(WORK / f"encoder-{key}", spec=spec)
        zipped = WORK / f"{key}.zip"
        artifact.write_zip([(f"thoth-encoder/{n}", out / n) for n in encoder_export.ARTIFACTS], zipped)
        self.params_m = params(spec) / 1e6
        self.unzipped_mb = sum((out / n).stat().st_size for n in encoder_export.ARTIFACTS) / MB
        self.zipped_mb = zipped.stat().st_size / MB
        started = time.perf_counter()
        self.encoder = QueryEncoder(out)
        self.load_ms = (time.perf_counter() - started) * 1000
        for query in QUERIES:
            self.encoder.encode(query)  # warm up
        self.model = SentenceTransformer(str(spec.directory), device="cpu", local_files_only=True)
        self.model.encode([PASSAGE] * 4, prompt=spec.passage_prefix)
        self.p50_ms = self.p95_ms = float("inf")
        self.chunks_per_s = 0.0

    def round(self, queries: int) -> None:
        """Time `queries` query encodings and one refresh batch; keep the best figures."""
        timings = []
        for i in range(queries):
            started = time.perf_counter()
            self.encoder.encode(QUERIES[i % len(QUERIES)])
            timings.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(timings), statistics.quantiles(timings, n=20)[18]
        if p50 < self.p50_ms:
            self.p50_ms, self.p95_ms = p50, p95
        started = time.perf_counter()
        self.model.encode(
            [PASSAGE] * 32, prompt=self.spec.passage_prefix, batch_size=32, normalize_embeddings=True
        )
        self.chunks_per_s = max(self.chunks_per_s, 32 / (time.perf_counter() - started))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", default=[], help="also measure this directory")
    parser.add_argument("--queries", type=int, default=100, help="queries per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, models interleaved; the best is kept")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    torch.set_num_threads(1)  # per core, like the query encoder: comparable on a shared machine
    WORK.mkdir(parents=True, exist_ok=True)
    specs = {
        "all-MiniLM-L6-v2": configured(),
        "12x384-random (bge-small / arctic-s shape)": read_model(small_twelve_layer(WORK / "small-12l")),
        **{path.name: read_model(path) for path in args.model},
    }
    rows = {name: Measured(f"m{i}", spec) for i, (name, spec) in enumerate(specs.items())}
    # Interleaved rounds, best kept: on a shared machine other processes only ever add time.
    for _ in range(args.rounds):
        for row in rows.values():
            row.round(args.queries)
    print(f"\nencoder bench ({os.cpu_count()} cores; one thread for queries and for the refresh batch)")
    header = "model | params | encoder layer zipped / unzipped | session load | query p50 / p95 | refresh"
    print(header + "\n" + " | ".join("---" for _ in header.split(" | ")))
    for name, r in rows.items():
        print(
            f"{name} | {r.params_m:.1f} M | {r.zipped_mb:.1f} / {r.unzipped_mb:.1f} MB | "
            f"{r.load_ms:.0f} ms | {r.p50_ms:.1f} / {r.p95_ms:.1f} ms | "
            f"{r.chunks_per_s:.1f} chunks/s (~140 tokens, batch 32)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
