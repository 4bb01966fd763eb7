"""Export the embedding model (THOTH_EMBEDDING_MODEL, default all-MiniLM-L6-v2) to an ONNX query encoder.

Writes build/encoder/ (or --out): model.onnx + model.onnx.data (the model's pooling, mean or CLS,
and L2 normalization inside the graph, attention/LayerNorm/GELU fused by onnxruntime's transformer
optimizer, the word-embedding table stored as float16),
tokenizer.json and encoder.json (model id, dimension, source-model fingerprint, max
length, pooling, query and passage prefixes, build options). Skips the work when encoder.json
records the same inputs. The result is checked against sentence-transformers (with the model's
prompts) before it is kept.

Usage: python -m tools.build.encoder_export [--out DIR] [--model DIR] [--force]   (from the repo root)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from thoth.shared.config import embedding_settings
from thoth.shared.errors import ConfigError
from thoth.shared.model import EmbeddingModel, configured
from tools.paths import ENCODER

DEFAULT_OUT = ENCODER
# Bump when the export recipe changes, so cached artifacts are rebuilt.
RECIPE = 4
OPSET = 17
# The Lambda layer pins onnxruntime 1.16 (glibc 2.26), which reads IR versions up to 9.
MAX_IR_VERSION = 8
MIN_COSINE = 0.999
# The graph's weights live in a side file: onnxruntime loads that 3-4x faster than weights embedded
# in the protobuf (measured here: ~25 ms instead of ~90 ms, also on 1.16).
MODEL, MODEL_DATA = "model.onnx", "model.onnx.data"
ARTIFACTS = (MODEL, MODEL_DATA, "tokenizer.json", "encoder.json")
CHECK_QUERIES = (
    "how do I request time off",
    "What is the on-call rotation for incidents?",
    "expense reimbursement policy for travel and conferences abroad",
    "merge request review guidelines",
    "security vulnerability disclosure process",
    "Terraform state locking in AWS accounts",
    "a",
    "interview scorecard " * 80,  # longer than the 256-token limit: truncation must agree
)
# Checked with the passage prefix: the refresh embeds chunks with it, and tests embed with the encoder.
CHECK_PASSAGES = (
    "Parental leave: employees may take up to 16 weeks of paid leave after the birth or adoption of a child.",
)


def _log(message: str) -> None:
    print(f"build_encoder: {message}", flush=True)


def build_options() -> dict[str, Any]:
    """What decides the artifact besides the model files."""
    from importlib.metadata import version

    return {
        "recipe": RECIPE,
        "opset": OPSET,
        "ir_version_max": MAX_IR_VERSION,
        "attention": "eager",
        "fusion": "onnxruntime.transformers.optimizer bert opt_level=0",
        "normalize": "always (search ranks by cosine)",
        "word_embeddings": "float16 stored, cast to float32 at load",
        "torch": version("torch"),
        "onnxruntime": version("onnxruntime"),
    }


def _export(spec: EmbeddingModel, target: Path) -> list[str]:
    """Trace the model with its pooling and normalization into `target`; returns the graph's inputs."""
    import inspect

    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, which the optimizer fuses into Attention ops.
    model = AutoModel.from_pretrained(
        str(spec.transformer_dir), attn_implementation="eager", **dict(spec.model_args)
    ).eval()
    by_cls = spec.pooling == "cls"

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            if by_cls:
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.ones(1, 8, dtype=torch.long)
    inputs = ["input_ids", "attention_mask"]
    # DistilBERT-like models take no segment ids; BERT-like ones do.
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        inputs.append("token_type_ids")
    example = (ids, ids, torch.zeros_like(ids))[: len(inputs)]
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(
            Pooled(model),
            example,
            str(target),
            input_names=inputs,
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    return inputs


def _optimize(source: Path, target: Path, hidden: int, heads: int) -> dict[str, int]:
    import onnx
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0
    )
    stats = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    optimized.save_model_to_file(str(work_graph := target.with_suffix(".fused.onnx")))
    proto = onnx.load(str(work_graph))
    work_graph.unlink()
    if proto.ir_version > MAX_IR_VERSION:
        proto.ir_version = MAX_IR_VERSION
    _store_word_embeddings_as_float16(proto)
    onnx.save_model(
        proto,
        str(target),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=MODEL_DATA,
        size_threshold=1024,
    )
    return stats


def _store_word_embeddings_as_float16(proto: Any) -> None:
    """Halve the 30522x384 word-embedding table (47 MB -> 23 MB) and Cast it back to float32.

    The table is half the model's bytes and the layer budget (function + layers <= 150 MB) is
    tight. onnxruntime constant-folds the Cast when the session loads, so queries still run in
    float32; the cosine gate below (>= 0.999 vs sentence-transformers) bounds the precision cost.
    """
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    table = max(graph.initializer, key=lambda t: int(np.prod(t.dims)) if "word_embeddings" in t.name else 0)
    if "word_embeddings" not in table.name or table.data_type != TensorProto.FLOAT:
        raise SystemExit("no float32 word-embedding table found in the exported graph")
    half = numpy_helper.from_array(numpy_helper.to_array(table).astype(np.float16), table.name + ".fp16")
    graph.initializer.remove(table)
    graph.initializer.append(half)
    graph.node.insert(0, helper.make_node("Cast", [half.name], [table.name], to=TensorProto.FLOAT))


def _check(spec: EmbeddingModel, work: Path) -> float:
    """Lowest cosine between sentence-transformers and the ONNX encoder, each text with its prefix."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from thoth.mcp_server.search.encoder import QueryEncoder

    reference = SentenceTransformer(str(spec.directory), device="cpu", local_files_only=True)
    if reference.max_seq_length != spec.max_length:
        raise SystemExit(
            f"sentence-transformers reads max length {reference.max_seq_length}, thoth.shared.model "
            f"{spec.max_length}: fix the reading of {spec.directory} in thoth.shared.model"
        )
    encoder = QueryEncoder(work)
    lowest = 1.0
    for texts, prefix in ((CHECK_QUERIES, spec.query_prefix), (CHECK_PASSAGES, spec.passage_prefix)):
        expected = reference.encode(list(texts), prompt=prefix, normalize_embeddings=True)
        got = np.stack([encoder.encode(text, prefix=prefix) for text in texts])
        lowest = min(lowest, float((got * expected).sum(axis=1).min()))
    return lowest


def _cache_key(spec: EmbeddingModel, options: dict[str, Any]) -> str:
    inputs = [spec.fingerprint, spec.settings(), spec.model_id, options]
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def exported_from(out: Path, spec: EmbeddingModel) -> bool:
    """True when `out` holds a complete encoder of `spec`'s model and settings (reads encoder.json only)."""
    if not all((out / name).is_file() for name in ARTIFACTS):
        return False
    try:
        info = json.loads((out / "encoder.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("fingerprint") == spec.fingerprint


def _info(
    spec: EmbeddingModel, inputs: list[str], options: dict[str, Any], stats: dict[str, int]
) -> dict[str, Any]:
    """encoder.json: what the MCP server needs to encode a query the way the index's passages were."""
    return {
        "model_id": spec.model_id,
        "dimension": spec.dimension,
        "fingerprint": spec.fingerprint,
        "max_length": spec.max_length,
        "pooling": spec.pooling,
        "normalize": True,
        "lower_case": spec.lower_case,
        "query_prefix": spec.query_prefix,
        "passage_prefix": spec.passage_prefix,
        "inputs": inputs,
        "output": "embedding",
        "build_options": options,
        "fused_operators": stats,
        "cache_key": _cache_key(spec, options),
    }


def build(out: Path, force: bool = False, spec: EmbeddingModel | None = None) -> Path:
    """Build (or reuse) the encoder of `spec` (default: the configured model) in `out`; returns `out`."""
    spec = spec or configured()
    options = build_options()
    cache_key = _cache_key(spec, options)
    info_path = out / "encoder.json"
    complete = all((out / name).is_file() for name in ARTIFACTS)
    if not force and complete:
        try:
            if json.loads(info_path.read_text()).get("cache_key") == cache_key:
                _log(f"{out} is up to date ({spec.model_id}, fingerprint {spec.fingerprint}); nothing to do")
                return out
        except ValueError:
            pass
    config = json.loads((spec.transformer_dir / "config.json").read_text())
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".encoder-", dir=out.parent))
    try:
        _log(f"exporting {spec.describe()} from {spec.directory}")
        inputs = _export(spec, work / "plain.onnx")
        heads, hidden = config["num_attention_heads"], config["hidden_size"]
        stats = _optimize(work / "plain.onnx", work / "model.onnx", hidden, heads)
        (work / "plain.onnx").unlink()
        _log("fused operators: " + ", ".join(f"{k}={v}" for k, v in sorted(stats.items())))
        shutil.copyfile(spec.transformer_dir / "tokenizer.json", work / "tokenizer.json")
        info = _info(spec, inputs, options, stats)
        (work / "encoder.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        cosine = _check(spec, work)
        if cosine < MIN_COSINE:
            raise SystemExit(
                f"ONNX encoder disagrees with sentence-transformers (cosine {cosine:.6f} < {MIN_COSINE})"
            )
        info["check_min_cosine"] = round(cosine, 6)
        (work / "encoder.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        # mkdtemp and onnx create owner-only files; Lambda reads layers as another user.
        work.chmod(0o755)
        for path in work.iterdir():
            path.chmod(0o644)
        if out.exists():
            shutil.rmtree(out)
        os.rename(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    _log(
        f"wrote {out} ({size:.1f} MB, fingerprint {spec.fingerprint}, min cosine {cosine:.6f} "
        f"on {len(CHECK_QUERIES) + len(CHECK_PASSAGES)} texts) in {time.monotonic() - started:.1f}s"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--model", type=Path, help="a sentence-transformers model directory (default: THOTH_EMBEDDING_MODEL)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    settings = embedding_settings()
    try:
        spec = configured(settings._replace(model=args.model) if args.model else settings)
    except ConfigError as exc:
        raise SystemExit(f"build_encoder: {exc}") from None
    build(args.out.resolve(), force=args.force, spec=spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
