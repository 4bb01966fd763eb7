"""The query-encoder layer: build/encoder (from tools.build.encoder_export) zipped for /opt/thoth-encoder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from thoth.shared.errors import ConfigError
from thoth.shared.model import configured
from tools.build import artifact, encoder_export, manifest
from tools.build.errors import PackagingError
from tools.paths import ENCODER, LAYERS, ROOT

ENCODER_LAYER = "thoth-encoder-layer"
FILES = encoder_export.ARTIFACTS
EXPORT = "tools.build.encoder_export"


def ensure_encoder(directory: Path = ENCODER, log: Callable[[str], None] = print) -> Path:
    """build/encoder, exported from the configured model (THOTH_EMBEDDING_MODEL) when missing or of another
    model (the export caches itself)."""
    try:
        spec = configured()
    except ConfigError as exc:
        raise PackagingError(
            str(exc), "fix THOTH_EMBEDDING_MODEL or unset it for the packaged model"
        ) from None
    if encoder_export.exported_from(directory, spec):
        return directory
    log(f"exporting the query encoder of {spec.model_id} into {directory} (python -m {EXPORT})")
    # A child process: the export loads torch, which this build process never needs to hold.
    proc = subprocess.run(
        [sys.executable, "-m", EXPORT, "--out", str(directory)],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
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
        [*inputs, *artifact.code_files("encoder")],
        ROOT if directory.is_relative_to(ROOT) else directory.parent,
        {},
    )
    meta = manifest.reuse(out, key, log)
    if meta is not None:
        return meta
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir) as tmp:
        tmp_zip = Path(tmp) / out.name
        artifact.write_zip([(f"thoth-encoder/{path.name}", path) for path in inputs], tmp_zip)
        info = json.loads((directory / "encoder.json").read_text())
        meta = {
            "layer": ENCODER_LAYER,
            "cache_key": key,
            **manifest.measure(tmp_zip).as_json(),
            "fingerprint": info.get("fingerprint"),
            "model_id": info.get("model_id"),
            "files": {path.name: path.stat().st_size for path in inputs},
            "mount": "/opt/thoth-encoder",
        }
        manifest.publish(tmp_zip, out, meta)
    log(f"wrote {out.name}: {meta['zip_bytes']:,} bytes zipped in {time.monotonic() - started:.1f}s")
    return meta
