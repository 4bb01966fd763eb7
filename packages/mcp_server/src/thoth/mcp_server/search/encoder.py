"""Torch-free query encoder: the ONNX export of the index's embedding model (`nox -s build_encoder`).

Artifacts are found via THOTH_ENCODER_DIR, else /opt/thoth-encoder (the Lambda layer),
else build/encoder in a source checkout. onnxruntime, tokenizers and numpy load on
first use; reading the fingerprint only reads encoder.json.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thoth.mcp_server.settings import ENCODER_CHECKOUT_DIR, ENCODER_LAYER_DIR, search_settings
from thoth.shared.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

ENV_VAR = "THOTH_ENCODER_DIR"
LAYER_DIR = ENCODER_LAYER_DIR
_CHECKOUT_DIR = ENCODER_CHECKOUT_DIR
# model.onnx keeps its weights in model.onnx.data: onnxruntime loads that 3-4x faster than
# weights inside the protobuf (tools/build/encoder_export.py).
_FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "encoder.json")
_FIX = "run `nox -s build_encoder` (writes build/encoder) and set THOTH_ENCODER_DIR to that directory"


# Local runs from a checkout install a builder for a missing encoder (thoth.mcp_server.encoder_build):
# called with the directory to fill and whether the caller may wait; raises ConfigError until built.
Builder = Callable[[Path, bool], None]
_builder: Builder | None = None


def build_missing_with(builder: Builder | None) -> None:
    """Let `encoder_dir` build a missing encoder through `builder` (None: never build, as on Lambda)."""
    global _builder
    _builder = builder


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class EncoderInfo:
    """encoder.json: which model the ONNX file is and how to feed it.

    Fields after `max_length` came with the model setting; an older encoder.json (all-MiniLM-L6-v2,
    mean pooling, no prefixes) reads with their defaults.
    """

    directory: Path
    model_id: str
    dimension: int
    fingerprint: str
    max_length: int
    pooling: str = "mean"
    query_prefix: str = ""
    passage_prefix: str = ""
    lower_case: bool = False
    inputs: tuple[str, ...] = _INPUTS

    def describe(self) -> str:
        """One line for errors: the model, its fingerprint and what decides its vectors."""
        return (
            f"{self.model_id} ({self.fingerprint}, {self.pooling} pooling, "
            f"query prefix {self.query_prefix!r}, passage prefix {self.passage_prefix!r})"
        )


def _complete(path: Path) -> bool:
    return all((path / name).is_file() for name in _FILES)


def encoder_dir(wait: bool = True) -> Path:
    """Where the encoder artifacts are; ConfigError naming the fix when nowhere.

    With a builder installed (local runs) a missing encoder is built, and `wait` lets the caller
    wait a bounded time for it (searches do; /health does not).
    """
    configured = search_settings().encoder_dir
    if configured is not None:
        missing = [name for name in _FILES if not (configured / name).is_file()]
        if missing and _builder is not None:
            _builder(configured, wait)
            missing = [name for name in _FILES if not (configured / name).is_file()]
        if missing:
            raise ConfigError(f"{ENV_VAR}={str(configured)!r} lacks {', '.join(missing)}; {_FIX}")
        return configured
    for path in (LAYER_DIR, _CHECKOUT_DIR):
        if _complete(path):
            return path
    if _builder is not None:
        _builder(_CHECKOUT_DIR, wait)
        if _complete(_CHECKOUT_DIR):
            return _CHECKOUT_DIR
    raise ConfigError(f"no query encoder found ({ENV_VAR} is unset and {LAYER_DIR} is empty); {_FIX}")


@lru_cache(maxsize=8)
def read_info(directory: Path) -> EncoderInfo:
    """Parse `directory`/encoder.json (cached per directory)."""
    path = Path(directory) / "encoder.json"
    try:
        raw = json.loads(path.read_text())
        inputs = tuple(str(name) for name in raw.get("inputs", _INPUTS))
        if not set(inputs) <= set(_INPUTS) or inputs[:2] != _INPUTS[:2]:
            raise ValueError(f"unknown graph inputs {list(inputs)}")
        return EncoderInfo(
            directory=Path(directory),
            model_id=str(raw["model_id"]),
            dimension=int(raw["dimension"]),
            fingerprint=str(raw["fingerprint"]),
            max_length=int(raw["max_length"]),
            pooling=str(raw.get("pooling", "mean")),
            query_prefix=str(raw.get("query_prefix", "")),
            passage_prefix=str(raw.get("passage_prefix", "")),
            lower_case=raw.get("lower_case", False) is True,
            inputs=inputs,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path} is unreadable or malformed ({exc}); {_FIX}") from None


def info(wait: bool = True) -> EncoderInfo:
    """The configured encoder's identity (no model load)."""
    return read_info(encoder_dir(wait))


def fingerprint(wait: bool = True) -> str:
    """Fingerprint of the model the encoder was exported from (matches index manifests)."""
    return info(wait).fingerprint


class QueryEncoder:
    """Embeds one query at a time: no padding, one intra-op thread (short inputs lose to thread sync)."""

    def __init__(self, directory: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        self.info = read_info(self.directory)
        self.model_path = self.directory / "model.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self._tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises a bare Exception
            raise ConfigError(f"cannot load {self.directory}/tokenizer.json ({exc}); {_FIX}") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.info.max_length)
        try:
            self._session = ort.InferenceSession(
                str(self.model_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ConfigError(f"cannot load {self.model_path} ({exc}); {_FIX}") from None

    def encode(self, text: str, prefix: str | None = None) -> npt.NDArray[np.float32]:
        """The L2-normalized embedding of `text` as a query, shape (dimension,).

        `prefix` replaces the model's query prefix, e.g. `info.passage_prefix` to embed a passage.
        """
        import numpy as np

        text = (self.info.query_prefix if prefix is None else prefix) + text
        if self.info.lower_case:
            text = text.lower()  # as sentence-transformers does for do_lower_case models, prompt included
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        feed: dict[str, Any] = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.info.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        (vectors,) = self._session.run(["embedding"], feed)
        vector: npt.NDArray[np.float32] = np.asarray(vectors[0], dtype=np.float32)
        return vector


_instance: QueryEncoder | None = None
_loaded_for: Path | None = None  # the THOTH_ENCODER_DIR setting `_instance` was loaded under
_lock = threading.Lock()


def get_encoder() -> QueryEncoder:
    """The process-wide encoder, loaded on first use (again if THOTH_ENCODER_DIR moves)."""
    global _instance, _loaded_for
    configured = search_settings().encoder_dir
    current = _instance
    if current is not None and _loaded_for == configured:
        return current  # loaded for this setting: no file checks on every search
    directory = encoder_dir()
    with _lock:
        if _instance is None or _instance.directory != directory:
            _instance = QueryEncoder(directory)
        _loaded_for = configured
        return _instance


def reset() -> None:
    """Forget the loaded encoder and cached info (tests, or after THOTH_ENCODER_DIR changes)."""
    global _instance, _loaded_for
    with _lock:
        _instance, _loaded_for = None, None
    read_info.cache_clear()
