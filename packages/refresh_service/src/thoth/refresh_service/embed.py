"""Sentence-transformers embeddings (offline, normalized) and a content-hash embedding cache."""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from thoth.refresh_service.settings import use_offline_model_env
from thoth.shared.errors import ConfigError, ObjectNotFound, StorageError
from thoth.shared.index import ModelInfo
from thoth.shared.index.format import check_name
from thoth.shared.model import EmbeddingModel, configured
from thoth.shared.storage import ObjectStore

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors of `info.dimension`."""

    @property
    def info(self) -> ModelInfo: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class SentenceTransformerEmbedder:
    """The configured model (THOTH_EMBEDDING_MODEL), loaded once from local files; never a model hub.

    Passages get the model's passage prefix; the query encoder puts the query prefix before queries.
    """

    def __init__(self, model: EmbeddingModel | None = None, batch_size: int = 32) -> None:
        self._spec = model
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def spec(self) -> EmbeddingModel:
        """The model's description, read on first use (a bad setting fails the run, not the import)."""
        if self._spec is None:
            self._spec = configured()
        return self._spec

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(self.spec.model_id, self.spec.dimension, self.spec.fingerprint)

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                use_offline_model_env()
                from sentence_transformers import SentenceTransformer

                spec = self.spec
                model = SentenceTransformer(str(spec.directory), device="cpu", local_files_only=True)
                if model.max_seq_length != spec.max_length:
                    raise ConfigError(
                        f"sentence-transformers reads {spec.directory} with max length "
                        f"{model.max_seq_length}, Thoth with {spec.max_length}; "
                        "set max_seq_length in its sentence_bert_config.json"
                    )
                self._model = model
            return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.spec.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt=self.spec.passage_prefix,  # a str, even empty: no default prompt slips in
            batch_size=self.batch_size,
            normalize_embeddings=True,  # search ranks by cosine, whether or not the model normalizes
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class EmbeddingCache:
    """Vectors by chunk content hash, per model fingerprint and source (cache/embeddings/<fp>/<source>/).

    Per source, so one source's publish never deletes another's unfinished work.
    """

    def __init__(self, store: ObjectStore, info: ModelInfo, source: str) -> None:
        self.store = store
        self.prefix = f"cache/embeddings/{info.fingerprint.split(':')[-1]}/{check_name('source', source)}/"
        self.dimension = info.dimension
        self._vectors: dict[str, Vectors] = {}
        self._pending: dict[str, Vectors] = {}
        self.loaded_shards: list[str] = []

    def load(self) -> None:
        """Read every shard written so far (e.g. by an interrupted run or fan-out workers)."""
        for key in list(self.store.list(self.prefix)):
            try:
                with np.load(io.BytesIO(self.store.get(key)), allow_pickle=False) as data:
                    hashes, vectors = data["hashes"], data["vectors"]
            except (ObjectNotFound, OSError, ValueError, KeyError):
                continue  # a shard deleted meanwhile or unreadable: its chunks are simply embedded again
            if vectors.shape == (len(hashes), self.dimension):
                for h, v in zip(hashes.tolist(), vectors, strict=True):
                    self._vectors[str(h)] = v
                self.loaded_shards.append(key)

    def seed(self, hashes: Iterable[str], vectors: Vectors) -> None:
        """Add vectors already published in an index version (not written back)."""
        for h, v in zip(hashes, vectors, strict=True):
            self._vectors.setdefault(h, np.asarray(v, dtype=np.float32))

    def get(self, content_hash: str) -> Vectors | None:
        return self._vectors.get(content_hash)

    def __contains__(self, content_hash: str) -> bool:
        return content_hash in self._vectors

    def add(self, hashes: Sequence[str], vectors: Vectors) -> None:
        for h, v in zip(hashes, vectors, strict=True):
            self._vectors[h] = v
            self._pending[h] = v

    def flush(self) -> str | None:
        """Persist vectors added since the last flush as one shard; returns its key."""
        if not self._pending:
            return None
        buffer = io.BytesIO()
        hashes = list(self._pending)
        np.savez(buffer, hashes=np.array(hashes), vectors=np.stack([self._pending[h] for h in hashes]))
        key = f"{self.prefix}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.npz"
        self.store.put(key, buffer.getvalue())
        self._pending.clear()
        return key

    def drop_loaded(self) -> int:
        """Delete the shards read at load() (their vectors now live in a published version)."""
        removed = 0
        for key in self.loaded_shards:
            try:
                self.store.delete(key)
                removed += 1
            except StorageError:
                pass  # harmless: the next successful run retries
        self.loaded_shards = []
        return removed
