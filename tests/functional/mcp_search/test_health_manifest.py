"""A fresh instance's /health tells whether the live version can be served, before any search:
it reads the version's manifest (nothing of the index, no numpy) and says "degraded" for one that
the first search would refuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support.mcp_app import REPO_ROOT
from thoth.shared.index import Chunk, LivePointer, ModelInfo, swap_live, write_version
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore

FINGERPRINT = "sha256:" + "ab" * 32
CHILD = r"""
import json, sys
from thoth.mcp_server.lambda_handler import handler

def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "onnxruntime", "zstandard"})

event = json.loads(sys.argv[1])
reply = handler(event, None)
health = (reply["statusCode"], json.loads(reply["body"])["status"], loaded())
again = handler(event, None)["statusCode"]
print(json.dumps({"health": health, "again": again}))
"""


def _encoder(directory: Path) -> Path:
    """What /health reads of an encoder: its identity (the model files are never opened here)."""
    directory.mkdir()
    for name in ("model.onnx", "model.onnx.data", "tokenizer.json"):
        (directory / name).write_bytes(b"")
    info = {"model_id": "m", "dimension": 4, "fingerprint": FINGERPRINT, "max_length": 128}
    (directory / "encoder.json").write_text(json.dumps(info))
    return directory


def _publish(home: Path) -> Path:
    store = LocalObjectStore(home / "objects")
    chunks = [
        Chunk(f"c{i}", "handbook", f"p{i}.md", f"P{i}", [f"P{i}"], f"https://h/p{i}", 1, 2, f"t {i}", f"h{i}")
        for i in range(3)
    ]
    manifest = write_version(
        store, "handbook", "v1", chunks, np.eye(3, 4, dtype=np.float32),
        model=ModelInfo("m", 4, FINGERPRINT), commit=None, builder_version="t",
    )  # fmt: skip
    pointer = LivePointer("handbook", "v1", None, manifest.created_at, 3, FINGERPRINT)
    swap_live(SqliteStateStore(home / "state.sqlite3"), pointer, None)
    return home / "objects" / "indexes" / "handbook" / "v1" / "manifest.json"


def _fresh_health(home: Path, encoder: Path) -> dict[str, list[object]]:
    event = (REPO_ROOT / "packages" / "mcp_server" / "events" / "health.json").read_text()
    env = {
        "PATH": "/usr/bin:/bin",
        "THOTH_HOME": str(home),
        "THOTH_ENCODER_DIR": str(encoder),
        "THOTH_API_KEYS": "k" * 32,
        "THOTH_SECRETS_BACKEND": "env",
        "LOG_LEVEL": "ERROR",
        **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, event], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (None, [200, "ok", []]),
        (lambda m: m["sections"]["row_page"].update({"shape": [4], "raw_bytes": 16}), [503, "degraded", []]),
        (lambda m: m.update({"chunk_count": 4}), [503, "degraded", []]),
        (lambda m: m.pop("sections"), [503, "degraded", []]),
    ],
    ids=["intact", "bad-shape", "count-unlike-pointer", "no-sections"],
)
def test_a_fresh_instance_health_judges_the_live_manifest_without_loading_the_index(
    tmp_path: Path, tamper: object, expected: list[object]
) -> None:
    manifest = _publish(tmp_path / "home")
    if callable(tamper):
        data = json.loads(manifest.read_text())
        tamper(data)
        manifest.write_text(json.dumps(data))
    result = _fresh_health(tmp_path / "home", _encoder(tmp_path / "encoder"))
    assert result["health"] == expected
    assert result["again"] == expected[0]  # the verdict holds (remembered, not re-fetched each time)
