"""The query-encoder layer: build/encoder (from tools/build_encoder.py) zipped as thoth-encoder/ → /opt."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.packaging import artifact
from tools.packaging.errors import PackagingError
from tools.packaging.paths import ENCODER, LAYERS, ROOT, code_files

ENCODER_LAYER = "thoth-encoder-layer"
FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "encoder.json")
BUILD_SCRIPT = ROOT / "tools" / "build_encoder.py"


def ensure_encoder(directory: Path = ENCODER, log: Callable[[str], None] = print) -> Path:
    """build/encoder, exported from the pinned model package when missing (the script caches itself)."""
    if all((directory / name).is_file() for name in FILES):
        return directory
    if not BUILD_SCRIPT.is_file():
        raise PackagingError(
            f"{directory} has no encoder and {BUILD_SCRIPT} is missing", "restore tools/build_encoder.py"
        )
    log(f"exporting the query encoder into {directory} (tools/build_encoder.py)")
    proc = subprocess.run(
        [sys.executable, "-P", str(BUILD_SCRIPT), "--out", str(directory)],
        env={**__import__("os").environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    if proc.returncode != 0 or not all((directory / name).is_file() for name in FILES):
        raise PackagingError(
            "exporting the query encoder failed", "run `nox -s build_encoder` and fix what it reports"
        )
    return directory


def build_encoder_layer(
    directory: Path = ENCODER, out_dir: Path = LAYERS, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Zip the encoder artifacts (cached on their content); returns the manifest."""
    started = time.monotonic()
    directory = ensure_encoder(directory, log)
    out = out_dir / f"{ENCODER_LAYER}.zip"
    inputs = [directory / name for name in FILES]
    key = artifact.digest_paths(
        [*inputs, *code_files("encoder")], ROOT if directory.is_relative_to(ROOT) else directory.parent, {}
    )
    meta = artifact.cached(out, key)
    if meta is not None:
        log(f"{out.name} is up to date ({meta['zip_bytes']:,} bytes); nothing rebuilt")
        return meta
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        tmp_zip = Path(tmp) / out.name
        artifact.write_zip([(f"thoth-encoder/{path.name}", path) for path in inputs], tmp_zip)
        import json

        info = json.loads((directory / "encoder.json").read_text())
        meta = {
            "layer": ENCODER_LAYER,
            "cache_key": key,
            "sha256": artifact.sha256_file(tmp_zip),
            "zip_bytes": tmp_zip.stat().st_size,
            "unzipped_bytes": artifact.unzipped_bytes(tmp_zip),
            "fingerprint": info.get("fingerprint"),
            "model_id": info.get("model_id"),
            "files": {path.name: path.stat().st_size for path in inputs},
            "mount": "/opt/thoth-encoder",
        }
        artifact.publish(tmp_zip, out, meta)
    log(f"wrote {out.name}: {meta['zip_bytes']:,} bytes zipped in {time.monotonic() - started:.1f}s")
    return meta
