"""Helpers and fixtures for the MCP search tests: the ONNX encoder, a chunked sample handbook, publishing.

The chunker here is deliberately simple (one chunk per heading section) so these tests do not
depend on the refresh service; vectors come from the real ONNX encoder.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from thoth.mcp_server.protocol.dispatch import run_tool
from thoth.mcp_server.protocol.tools import NO_DEADLINE, Deadline, ToolOutput
from thoth.mcp_server.search import encoder as encoder_module
from thoth.mcp_server.search.catalog import CATALOG
from thoth.shared.index import Chunk, LivePointer, ModelInfo, read_live, swap_live, write_version
from thoth.shared.index.format import CHANGED_AT
from thoth.shared.model import DIMENSION, MODEL_ID
from thoth.shared.state import state_store
from thoth.shared.storage import object_store

REPO = Path(__file__).resolve().parents[2]
ENCODER_DIR = REPO / "build" / "encoder"
SAMPLES = REPO / "samples" / "handbook"
BASE_URL = "https://handbook.example.com"
SECTION_CHANGED = "2026-10-15T08:00:00+00:00"  # every section's changed_at in markdown_chunks
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def ensure_encoder(out: Path = ENCODER_DIR) -> Path:
    """Build the ONNX encoder once (the export caches it across runs); returns its directory."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "tools.build.encoder_export", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"build_encoder failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return out


def call_tool(name: str, arguments: dict[str, Any], deadline: float | None = None) -> ToolOutput:
    """A tool call as the endpoint runs it: bad arguments raise, failures come back as isError outputs."""
    return run_tool(CATALOG, name, arguments, NO_DEADLINE if deadline is None else Deadline(deadline))


index_health = CATALOG.index_health
tool_specs = CATALOG.tool_specs


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sections(lines: list[str], start: int, markdown: bool) -> list[tuple[list[str], int, int, str]]:
    """(heading path, first line, last line, text) of each heading section, outside code fences."""
    sections: list[tuple[list[str], int, int, str]] = []
    stack: list[str] = []
    body: list[str] = []
    body_start = start + 1
    fenced = False
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = _HEADING_RE.match(line) if markdown and not fenced else None
        if match:
            sections.append((list(stack), body_start, number - 1, "\n".join(body).strip()))
            body, body_start = [], number
            stack = [*stack[: len(match.group(1)) - 1], match.group(2)]
        else:
            body.append(line)
    sections.append((list(stack), body_start, len(lines), "\n".join(body).strip()))
    return [section for section in sections if section[3]]


def markdown_chunks(root: Path, source: str, commit: str = "c0ffee") -> list[Chunk]:
    """One chunk per heading section of every .md/.txt file under `root`."""
    chunks: list[Chunk] = []
    for file in sorted(p for p in root.rglob("*") if p.suffix in (".md", ".txt")):
        rel = file.relative_to(root).as_posix()
        lines = file.read_text(encoding="utf-8").splitlines()
        title = file.stem.replace("-", " ").title()
        start = 0
        if lines and lines[0] == "---":
            end = lines.index("---", 1)
            for line in lines[1:end]:
                if line.startswith("title:"):
                    title = line.split(":", 1)[1].strip()
            start = end + 1
        for headings, first, last, text in _sections(lines, start, file.suffix == ".md"):
            anchor = slug(headings[-1]) if headings else ""
            chunks.append(
                Chunk(
                    id=hashlib.sha256(f"{source}:{rel}:{first}".encode()).hexdigest()[:16],
                    source=source,
                    path=rel,
                    title=title,
                    heading_path=headings,
                    url=f"{BASE_URL}/{rel.rsplit('.', 1)[0]}" + (f"#{anchor}" if anchor else ""),
                    line_start=first,
                    line_end=last,
                    text=text,
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                    commit=commit,
                    last_modified="2026-11-01T00:00:00+00:00",
                    meta={CHANGED_AT: SECTION_CHANGED},
                )
            )
    return chunks


def embed(texts: list[str], directory: Path = ENCODER_DIR) -> npt.NDArray[np.float32]:
    """Document vectors from the ONNX encoder (same model, passage prefix and truncation as the refresh)."""
    encoder = encoder_module.QueryEncoder(directory)
    prefix = encoder.info.passage_prefix
    return np.stack([encoder.encode(text, prefix=prefix) for text in texts]).astype(np.float32)


def model_info(fingerprint: str, dimension: int = DIMENSION, model_id: str = MODEL_ID) -> ModelInfo:
    return ModelInfo(id=model_id, dimension=dimension, fingerprint=fingerprint)


def publish(
    source: str,
    version: str,
    chunks: list[Chunk],
    vectors: npt.NDArray[np.float32],
    fingerprint: str,
    commit: str | None = "c0ffee",
    model_id: str = MODEL_ID,
) -> LivePointer:
    """Write a version to the configured object store and point `source` at it."""
    manifest = write_version(
        object_store(),
        source,
        version,
        chunks,
        vectors,
        model=model_info(fingerprint, vectors.shape[1], model_id),
        commit=commit,
        builder_version="tests",
    )
    state = state_store()
    pointer = LivePointer(
        source=source,
        version=version,
        commit=commit,
        created_at=manifest.created_at,
        chunk_count=manifest.chunk_count,
        fingerprint=fingerprint,
    )
    swapped = swap_live(state, pointer, read_live(state, source))
    assert swapped is not None
    return swapped


# -- fixtures (re-exported by the mcp_search conftests) ---------------------------------------------


@pytest.fixture(scope="session")
def built_encoder() -> Path:
    """build/encoder, built once and cached across runs."""
    return ensure_encoder()


@pytest.fixture
def encoder_env(built_encoder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """THOTH_ENCODER_DIR pointing at the built encoder, and fresh module singletons."""
    monkeypatch.setenv("THOTH_ENCODER_DIR", str(built_encoder))
    encoder_module.reset()
    yield built_encoder
    encoder_module.reset()


@pytest.fixture(scope="session")
def sample_corpus(built_encoder: Path) -> tuple[list[Chunk], npt.NDArray[np.float32]]:
    """The sample handbook chunked and embedded once per test session."""
    chunks = markdown_chunks(SAMPLES, "handbook")
    return chunks, embed([c.keyword_text for c in chunks], built_encoder)


@pytest.fixture(scope="session")
def encoder_fingerprint(built_encoder: Path) -> str:
    return encoder_module.read_info(built_encoder).fingerprint


@pytest.fixture
def published(
    encoder_env: Path,
    sample_corpus: tuple[list[Chunk], npt.NDArray[np.float32]],
    encoder_fingerprint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> LivePointer:
    """The sample handbook as source 'handbook' version v1 in THOTH_HOME; pointers re-read on every call."""
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    chunks, vectors = sample_corpus
    return publish("handbook", "v1", chunks, vectors, encoder_fingerprint)
