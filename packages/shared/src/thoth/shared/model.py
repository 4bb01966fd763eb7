"""Identity of the embedding model shared by the refresh (torch) and MCP (ONNX) encoders."""

from __future__ import annotations

import hashlib
from pathlib import Path

from thoth.shared.digest import update_from_file

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_SEQ_LENGTH = 256
# Files that decide what a vector means: weights, tokenizer, pooling and length.
FINGERPRINT_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "1_Pooling/config.json",
    "sentence_bert_config.json",
)


def fingerprint(model_dir: Path) -> str:
    """A stable id of the model's weights and tokenizer, e.g. 'sha256:3f2a…' (16 hex digits)."""
    digest = hashlib.sha256(MODEL_ID.encode() + b"\0")
    for name in FINGERPRINT_FILES:
        digest.update(name.encode() + b"\0")
        update_from_file(digest, Path(model_dir) / name)
    return "sha256:" + digest.hexdigest()[:16]
